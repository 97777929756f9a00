import {
  startTestDatabaseServer,
  TestDatabaseServer,
} from './embedded-test-database';

declare global {
  var relanceTestDatabase: TestDatabaseServer | undefined;
}

/**
 * `npm test` needs nothing set by hand: without MONGODB_URI, one database
 * for the whole e2e run comes from the app's own fallback chain, and the test
 * files (run in band, in this process) find it in MONGODB_URI.
 */
export default async function globalSetup(): Promise<void> {
  // One download attempt, not mongodb-memory-server's three with backoff:
  // offline, the FerretDB fallback then starts in a second instead of seven.
  process.env.MONGOMS_MAX_RETRIES ??= '1';
  if (process.env.MONGODB_URI) return;
  globalThis.relanceTestDatabase = await startTestDatabaseServer();
  process.env.MONGODB_URI = globalThis.relanceTestDatabase.uri;
}
