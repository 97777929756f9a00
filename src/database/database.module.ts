import { Module } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { MongooseModule } from '@nestjs/mongoose';
import { databaseConfig } from '../config/database.config';
import { EmbeddedMongoService } from './embedded-mongo.service';

@Module({
  providers: [EmbeddedMongoService],
  exports: [EmbeddedMongoService],
})
class EmbeddedMongoModule {}

@Module({
  imports: [
    MongooseModule.forRootAsync({
      imports: [EmbeddedMongoModule],
      inject: [databaseConfig.KEY, EmbeddedMongoService],
      useFactory: async (
        config: ConfigType<typeof databaseConfig>,
        embedded: EmbeddedMongoService,
      ) => ({
        uri: config.uri ?? (await embedded.start(config.embeddedDir)),
        serverSelectionTimeoutMS: config.serverSelectionTimeoutMs,
        // Fail fast while the database is unreachable (the API answers 503)
        // instead of queueing writes in memory.
        bufferCommands: false,
        retryAttempts: 2,
        retryDelay: 1000,
      }),
    }),
  ],
})
export class DatabaseModule {}
