import { Global, Module } from '@nestjs/common';
import { getConnectionToken } from '@nestjs/mongoose';
import mongoose, { Connection } from 'mongoose';
import { DatabaseConnection, REQUEST_READS } from './database-connection';

function unopenedConnection(): Connection {
  const connection = mongoose.createConnection();
  // Refuse commands until connected (the API answers 503) rather than
  // queueing them: openUri sets this too, but only once it is called.
  (connection.config as { bufferCommands?: boolean }).bufferCommands = false;
  return connection;
}

/**
 * The app's MongoDB connections, created unopened: DatabaseConnection opens
 * them in the background (retrying), so the app boots and serves its health
 * routes before the database answers. Models (MongooseModule.forFeature) and
 * terminus' ping find the main one under @nestjs/mongoose's default
 * connection token; models for reads that answer API requests are bound to
 * REQUEST_READS (see database-connection.ts for why it has its own pool).
 */
@Global()
@Module({
  providers: [
    { provide: getConnectionToken(), useFactory: unopenedConnection },
    {
      provide: getConnectionToken(REQUEST_READS),
      useFactory: unopenedConnection,
    },
    DatabaseConnection,
  ],
  exports: [
    getConnectionToken(),
    getConnectionToken(REQUEST_READS),
    DatabaseConnection,
  ],
})
export class DatabaseModule {}
