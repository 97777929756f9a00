import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  chooseEmbeddedEngine,
  EmbeddedEngine,
} from '../../src/database/embedded/embedded-database';
import { startMongod } from '../../src/database/embedded/embedded-mongod';
import {
  projectRoot,
  startFerretDb,
} from '../../src/database/embedded/ferretdb-runner';

/**
 * The tests' database when MONGODB_URI is unset: the app's own fallback chain
 * (mongodb-memory-server's mongod, else the FerretDB runner built with Go),
 * with throw-away data.
 */

/** The app's default cache (./data/ferretdb-runner at the project root), or FERRETDB_RUNNER_CACHE_DIR. */
export function runnerCacheDir(): string {
  return (
    process.env.FERRETDB_RUNNER_CACHE_DIR ||
    join(projectRoot(), 'data', 'ferretdb-runner')
  );
}

const say = (message: string) => console.log(`[test database] ${message}`);

export function chooseTestEngine(): Promise<EmbeddedEngine> {
  return chooseEmbeddedEngine({ runnerCacheDir: runnerCacheDir(), log: say });
}

export interface TestDatabaseServer {
  /** mongodb://127.0.0.1:<port>/ */
  uri: string;
  stop(): Promise<void>;
}

export async function startTestDatabaseServer(): Promise<TestDatabaseServer> {
  const engine = await chooseTestEngine();
  if (engine.kind === 'mongod') {
    const mongod = await startMongod();
    say(`mongod at ${mongod.uri}`);
    return mongod;
  }
  const dataDir = await mkdtemp(join(tmpdir(), 'relance-test-ferretdb-'));
  const ferretDb = await startFerretDb({ binary: engine.binary, dataDir });
  say(`FerretDB at ${ferretDb.uri} (${engine.reason})`);
  return {
    uri: ferretDb.uri,
    async stop() {
      await ferretDb.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
