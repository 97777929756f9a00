import { randomBytes } from 'node:crypto';
import {
  startTestDatabaseServer,
  TestDatabaseServer,
} from './embedded-test-database';

let embedded: TestDatabaseServer | undefined;

function withDatabaseName(uri: string, dbName: string): string {
  const url = new URL(uri);
  url.pathname = `/${dbName}`;
  return url.toString();
}

/**
 * A fresh database for one test file, on MONGODB_URI: set by the developer,
 * or by the e2e global setup, which starts the app's embedded fallback chain
 * once. Run without that setup, the file starts its own.
 */
export async function testDatabaseUri(): Promise<string> {
  if (!process.env.MONGODB_URI) embedded ??= await startTestDatabaseServer();
  const base = process.env.MONGODB_URI || embedded!.uri;
  return withDatabaseName(
    base,
    `relance_test_${randomBytes(6).toString('hex')}`,
  );
}

export async function stopTestDatabase(): Promise<void> {
  await embedded?.stop();
  embedded = undefined;
}
