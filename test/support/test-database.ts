import { MongoMemoryServer } from 'mongodb-memory-server';
import { randomBytes } from 'node:crypto';

let embedded: MongoMemoryServer | undefined;

function withDatabaseName(uri: string, dbName: string): string {
  const url = new URL(uri);
  url.pathname = `/${dbName}`;
  return url.toString();
}

async function startEmbedded(): Promise<string> {
  try {
    embedded ??= await MongoMemoryServer.create();
    return embedded.getUri();
  } catch (error) {
    const reason =
      error instanceof Error ? error.message.split('\n')[0] : String(error);
    throw new Error(
      `Tests need MongoDB: set MONGODB_URI to a MongoDB-compatible server (CI starts FerretDB), ` +
        `or let mongodb-memory-server download mongod. It could not start: ${reason}`,
    );
  }
}

/**
 * A fresh database for one test file: MONGODB_URI when set, else an embedded
 * mongod. Never skips: without either, the tests fail with a clear message.
 */
export async function testDatabaseUri(): Promise<string> {
  const base = process.env.MONGODB_URI || (await startEmbedded());
  return withDatabaseName(
    base,
    `relance_test_${randomBytes(6).toString('hex')}`,
  );
}

export async function stopTestDatabase(): Promise<void> {
  await embedded?.stop();
  embedded = undefined;
}
