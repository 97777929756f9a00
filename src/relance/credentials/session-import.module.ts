import { Module } from '@nestjs/common';
import { ConfigModule } from '@nestjs/config';
import { MongooseModule } from '@nestjs/mongoose';
import { databaseConfig } from '../../config/database.config';
import { whatsappConfig } from '../../config/whatsapp.config';
import { DatabaseModule } from '../../database/database.module';
import {
  SessionCredential,
  SessionCredentialSchema,
} from '../schemas/session-credential.schema';
import { SessionFiles } from './session-files';
import { SessionImporter } from './session-import';

/** Just what `npm run sessions:import` needs: the settings, the database, the folder and the collection. */
@Module({
  imports: [
    ConfigModule.forRoot({
      isGlobal: true,
      ignoreEnvFile: process.env.NODE_ENV === 'test',
      load: [databaseConfig, whatsappConfig],
    }),
    DatabaseModule,
    MongooseModule.forFeature([
      { name: SessionCredential.name, schema: SessionCredentialSchema },
    ]),
  ],
  providers: [SessionFiles, SessionImporter],
})
export class SessionImportModule {}
