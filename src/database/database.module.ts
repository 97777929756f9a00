import { Global, Module } from '@nestjs/common';
import { getConnectionToken } from '@nestjs/mongoose';
import mongoose, { Connection } from 'mongoose';
import { DatabaseConnection } from './database-connection';

/**
 * The app's MongoDB connection, created unopened: DatabaseConnection opens it
 * in the background (retrying), so the app boots and serves its health
 * routes before the database answers. Models (MongooseModule.forFeature) and
 * terminus' ping find it under @nestjs/mongoose's default connection token.
 */
@Global()
@Module({
  providers: [
    {
      provide: getConnectionToken(),
      useFactory: (): Connection => {
        const connection = mongoose.createConnection();
        // Refuse commands until connected (the API answers 503) rather than
        // queueing them: openUri sets this too, but only once it is called.
        (connection.config as { bufferCommands?: boolean }).bufferCommands =
          false;
        return connection;
      },
    },
    DatabaseConnection,
  ],
  exports: [getConnectionToken(), DatabaseConnection],
})
export class DatabaseModule {}
