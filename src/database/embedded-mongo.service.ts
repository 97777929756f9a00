import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { mkdir } from 'node:fs/promises';
import { MongoBinary, MongoMemoryServer } from 'mongodb-memory-server';

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
 * Makes sure a mongod binary is there (downloading it on first use) before
 * the app boots, so that being offline ends in one clear sentence rather than
 * the library's and Nest's stack traces.
 */
export async function ensureEmbeddedMongoBinary(): Promise<void> {
  try {
    await MongoBinary.getPath();
  } catch (error) {
    throw new EmbeddedDatabaseUnavailableError(firstLine(error));
  }
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
