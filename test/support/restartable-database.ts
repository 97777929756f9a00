import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MongoMemoryServer } from 'mongodb-memory-server';
import { freeLoopbackPort } from '../../src/database/embedded/free-port';
import {
  FerretDbProcess,
  startFerretDb,
} from '../../src/database/embedded/ferretdb-runner';
import { chooseTestEngine } from './embedded-test-database';

/** A database server the test can stop and start again on the same port, keeping its data. */
export interface RestartableDatabase {
  uri: string;
  /** Like a crash: the server is killed. */
  stop(): Promise<void>;
  start(): Promise<void>;
  dispose(): Promise<void>;
}

/** The FerretDB runner (SIGKILLed to stop), with its SQLite data in a temp folder. */
async function ferretDb(
  binary: string,
  port: number,
): Promise<RestartableDatabase> {
  const dataDir = await mkdtemp(join(tmpdir(), 'ferretdb-fault-'));
  let running: FerretDbProcess | undefined;
  const start = async () => {
    running = await startFerretDb({ binary, dataDir, port });
  };
  const stop = async () => {
    await running?.stop('SIGKILL');
    running = undefined;
  };
  await start();
  return {
    uri: `mongodb://127.0.0.1:${port}/relance_fault`,
    start,
    stop,
    async dispose() {
      await stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** An embedded mongod restarted on the same port and data folder. */
async function embeddedMongo(port: number): Promise<RestartableDatabase> {
  const dir = await mkdtemp(join(tmpdir(), 'mongod-fault-'));
  const server = await MongoMemoryServer.create({
    instance: { port, dbPath: dir },
  });
  return {
    uri: `mongodb://127.0.0.1:${port}/relance_fault`,
    start: async () => {
      await server.start(true);
    },
    stop: async () => {
      await server.stop({ doCleanup: false, force: false });
    },
    async dispose() {
      await server.stop({ doCleanup: true, force: true });
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A database the fault tests may kill, from the app's own fallback chain:
 * mongod when mongodb-memory-server has or can download it, else the
 * FerretDB runner (cached, or built with Go). `port` fixes where it listens,
 * for a test that starts the app before its database.
 */
export async function startRestartableDatabase(
  port?: number,
): Promise<RestartableDatabase> {
  const engine = await chooseTestEngine();
  const chosenPort = port ?? (await freeLoopbackPort());
  return engine.kind === 'mongod'
    ? embeddedMongo(chosenPort)
    : ferretDb(engine.binary, chosenPort);
}
