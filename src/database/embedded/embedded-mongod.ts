import { mkdir } from 'node:fs/promises';
import { MongoBinary, MongoMemoryServer } from 'mongodb-memory-server';

const ONE_LINE_MAX = 300;

/**
 * An error message on one line, for a log line or a one-sentence exit:
 * mongodb-memory-server's run over several ("Download failed for url …,
 * Details:" then the cause on the next line).
 */
export function oneLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  const joined = text.replace(/\s+/g, ' ').trim();
  return joined.length > ONE_LINE_MAX
    ? `${joined.slice(0, ONE_LINE_MAX - 1)}…`
    : joined;
}

/**
 * Makes sure a mongod binary is there: already in mongodb-memory-server's
 * cache, or downloaded now. Rejects (after the library's own retries) when
 * it is neither, e.g. offline on a first run.
 */
export async function ensureMongodBinary(): Promise<void> {
  await MongoBinary.getPath();
}

export interface MongodProcess {
  /** mongodb://127.0.0.1:<port>/ (no database name). */
  uri: string;
  stop(): Promise<void>;
}

/** A real mongod (mongodb-memory-server); with `dataDir` its data survives restarts, else it is thrown away. */
export async function startMongod(dataDir?: string): Promise<MongodProcess> {
  if (dataDir) await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const server = await MongoMemoryServer.create(
    dataDir
      ? { instance: { dbPath: dataDir, storageEngine: 'wiredTiger' } }
      : {},
  );
  return {
    uri: server.getUri(),
    async stop() {
      await server.stop({ doCleanup: !dataDir });
    },
  };
}
