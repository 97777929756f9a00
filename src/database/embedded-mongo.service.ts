import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { mkdir } from 'node:fs/promises';
import { MongoMemoryServer } from 'mongodb-memory-server';

/** The embedded development database could not be had; the user must point MONGODB_URI at a server. */
export class EmbeddedDatabaseUnavailableError extends Error {
  constructor(reason: string) {
    super(
      `The embedded development MongoDB could not start (${reason}). Set MONGODB_URI to a running MongoDB server and start again.`,
    );
    this.name = 'EmbeddedDatabaseUnavailableError';
  }
}

function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return text.split('\n')[0].trim();
}

/**
 * Runs a real mongod (downloaded by mongodb-memory-server on first use) for
 * development, keeping its data in a folder so it survives restarts.
 */
@Injectable()
export class EmbeddedMongoService implements OnApplicationShutdown {
  private readonly logger = new Logger(EmbeddedMongoService.name);
  private server?: MongoMemoryServer;

  async start(dataDir: string): Promise<string> {
    try {
      await mkdir(dataDir, { recursive: true, mode: 0o700 });
      this.server = await MongoMemoryServer.create({
        instance: { dbPath: dataDir, storageEngine: 'wiredTiger' },
      });
    } catch (error) {
      throw new EmbeddedDatabaseUnavailableError(firstLine(error));
    }
    this.logger.warn(
      `Using the EMBEDDED DEVELOPMENT database (data in ${dataDir}). Set MONGODB_URI for production.`,
    );
    return this.server.getUri('relance');
  }

  async onApplicationShutdown(): Promise<void> {
    await this.server?.stop({ doCleanup: false });
  }
}
