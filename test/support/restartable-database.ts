import { ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MongoMemoryServer } from 'mongodb-memory-server';
import { waitUntil } from './wait';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function canConnect(port: number): Promise<boolean> {
  const { connect } = await import('node:net');
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** A database server the test can stop and start again on the same port, keeping its data. */
export interface RestartableDatabase {
  uri: string;
  stop(): Promise<void>;
  start(): Promise<void>;
  dispose(): Promise<void>;
}

/** FerretDB from FERRETDB_BIN (CI builds it), with its SQLite data in a temp folder. */
async function ferretDb(bin: string): Promise<RestartableDatabase> {
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), 'ferretdb-fault-'));
  let child: ChildProcess | undefined;
  const start = async () => {
    child = spawn(bin, ['-listen', `127.0.0.1:${port}`, '-dir', dir], {
      stdio: 'ignore',
    });
    await waitUntil(() => canConnect(port), { what: 'FerretDB to listen' });
  };
  const stop = async () => {
    const running = child;
    child = undefined;
    if (!running || running.exitCode !== null) return;
    const exited = new Promise((resolve) => running.once('exit', resolve));
    running.kill('SIGKILL');
    await exited;
  };
  await start();
  return {
    uri: `mongodb://127.0.0.1:${port}/relance_fault`,
    start,
    stop,
    async dispose() {
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** An embedded mongod restarted on the same port and data folder. */
async function embeddedMongo(): Promise<RestartableDatabase> {
  const dir = await mkdtemp(join(tmpdir(), 'mongod-fault-'));
  const port = await freePort();
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
 * A database the fault tests may kill: FerretDB when CI provides its binary,
 * else an embedded mongod. Without either the test fails with this message.
 */
export async function startRestartableDatabase(): Promise<RestartableDatabase> {
  const bin = process.env.FERRETDB_BIN;
  if (bin) return ferretDb(bin);
  try {
    return await embeddedMongo();
  } catch (error) {
    throw new Error(
      `The database-outage test needs a server it can kill: set FERRETDB_BIN (.ci/run does) or let mongodb-memory-server download mongod (${(error as Error).message.split('\n')[0]})`,
    );
  }
}
