import { MongoMemoryServer } from 'mongodb-memory-server';
import mongoose, { type mongo } from 'mongoose';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freeLoopbackPort } from '../../src/database/embedded/free-port';

/** Set by the runner for every benchmark process: the server all of them use. */
export const BENCH_MONGODB_URI = 'BENCH_MONGODB_URI';
/**
 * FerretDB on SQLite answers "database is locked" when too many connections
 * write at once; the runner caps the pool for it (the service and each
 * baseline share that cap, so ratios stay fair).
 */
export const BENCH_MONGODB_POOL = 'BENCH_MONGODB_POOL';
export const FERRETDB_POOL_SIZE = 10;

export interface BenchDatabaseServer {
  uri: string;
  description: string;
  ferretDb: boolean;
  stop(): Promise<void>;
}

/** Pings the server; true when it is FerretDB (its buildInfo says so). */
async function probe(uri: string): Promise<{ ferretDb: boolean }> {
  const connection = await mongoose
    .createConnection(uri, { serverSelectionTimeoutMS: 3000 })
    .asPromise();
  try {
    const admin = connection.getClient().db('admin');
    await admin.command({ ping: 1 });
    const info = await admin.command({ buildInfo: 1 });
    return { ferretDb: 'ferretdbVersion' in info };
  } finally {
    await connection.close();
  }
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split(
    '\n',
  )[0];
}

const FERRETDB_START_TIMEOUT_MS = 30_000;

/**
 * The run's own FerretDB (the CI runner from .ci/ferretdb, given as
 * FERRETDB_BIN) on a free loopback port, its SQLite files in a temp folder
 * that is removed afterwards: every run starts from an empty database.
 */
async function startOwnFerretDb(bin: string): Promise<BenchDatabaseServer> {
  const port = await freeLoopbackPort();
  const dir = await mkdtemp(join(tmpdir(), 'relance-bench-ferretdb-'));
  const child = spawn(bin, ['-listen', `127.0.0.1:${port}`, '-dir', dir], {
    stdio: 'ignore',
  });
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => resolve()),
  );
  // e.g. ENOENT for a wrong path: reported by the start loop below.
  let spawnError: Error | undefined;
  child.once('error', (error) => {
    spawnError = error;
  });
  const uri = `mongodb://127.0.0.1:${port}/`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + FERRETDB_START_TIMEOUT_MS;
  for (;;) {
    const failure = await probe(uri).then(
      () => undefined,
      (error: unknown) => error,
    );
    if (failure === undefined && !spawnError) break;
    if (spawnError || child.exitCode !== null || Date.now() > deadline) {
      await stop();
      const reason = spawnError ?? failure;
      throw new Error(
        `FERRETDB_BIN=${bin} did not start on 127.0.0.1:${port} (${firstLine(reason)})`,
        { cause: reason },
      );
    }
    await sleep(200);
  }
  return {
    uri,
    ferretDb: true,
    description: `FerretDB started by the runner from FERRETDB_BIN (127.0.0.1:${port}, fresh SQLite folder)`,
    stop,
  };
}

/**
 * MONGODB_URI when set; else the run's own FerretDB when FERRETDB_BIN is set;
 * else an embedded mongod. A clear error when none answers.
 */
export async function startBenchDatabase(): Promise<BenchDatabaseServer> {
  const configured = process.env.MONGODB_URI;
  if (configured) {
    let ferretDb: boolean;
    try {
      ({ ferretDb } = await probe(configured));
    } catch (error) {
      throw new Error(
        `MONGODB_URI=${configured} does not answer (${firstLine(error)}). ` +
          'Start the database (e.g. FerretDB), or unset MONGODB_URI to let the runner start FerretDB ' +
          '(FERRETDB_BIN) or mongodb-memory-server.',
        { cause: error },
      );
    }
    return {
      uri: configured,
      ferretDb,
      description: `${ferretDb ? 'FerretDB' : 'MongoDB'} at MONGODB_URI (${new URL(configured).host})`,
      stop: () => Promise.resolve(),
    };
  }
  const ferretDbBin = process.env.FERRETDB_BIN;
  if (ferretDbBin) return startOwnFerretDb(ferretDbBin);
  let server: MongoMemoryServer;
  try {
    server = await MongoMemoryServer.create();
  } catch (error) {
    throw new Error(
      'The benchmarks need MongoDB: set MONGODB_URI to a MongoDB-compatible server, ' +
        'FERRETDB_BIN to the FerretDB runner (.ci/ferretdb), ' +
        `or let mongodb-memory-server download mongod. It could not start: ${firstLine(error)}`,
      { cause: error },
    );
  }
  return {
    uri: server.getUri(),
    ferretDb: false,
    description: 'mongodb-memory-server (embedded mongod)',
    stop: async () => {
      await server.stop();
    },
  };
}

/**
 * A fresh database on the run's server for one benchmark. `monitorCommands`
 * switches on the driver's command events for the app's own client.
 */
export function benchDatabaseUri(
  label: string,
  { monitorCommands = false } = {},
): string {
  const base = process.env[BENCH_MONGODB_URI];
  if (!base) {
    throw new Error(
      `${BENCH_MONGODB_URI} is not set: run the benchmarks with "npm run bench"`,
    );
  }
  const url = new URL(base);
  url.pathname = `/relance_bench_${label}_${randomBytes(4).toString('hex')}`;
  if (monitorCommands) url.searchParams.set('monitorCommands', 'true');
  const pool = process.env[BENCH_MONGODB_POOL];
  if (pool) url.searchParams.set('maxPoolSize', pool);
  return url.toString();
}

/**
 * The write rate the database sustains right now, through `client`'s pool:
 * `count` findOneAndUpdate calls, all in flight at once, on a scratch collection.
 * Benchmarks whose size is bounded by database writes size themselves from it.
 */
export async function measureWriteRate(
  client: mongo.MongoClient,
  dbName: string,
  count = 60,
): Promise<number> {
  const collection = client
    .db(dbName)
    .collection(`bench_calibration_${randomBytes(3).toString('hex')}`);
  await collection.createIndex({ userId: 1 }, { unique: true });
  const ids = Array.from({ length: count }, (_, i) => `calibration_${i}`);
  await collection.insertMany(ids.map((userId) => ({ userId, n: 0 })));
  const started = process.hrtime.bigint();
  await Promise.all(
    ids.map((userId) =>
      collection.findOneAndUpdate(
        { userId },
        { $inc: { n: 1 }, $set: { at: new Date() } },
        { returnDocument: 'after' },
      ),
    ),
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  await collection.drop();
  return count / seconds;
}

/** How many items fit in `budgetSeconds` at `writesPerSecond`, each costing `writesPerItem`. */
export function sizeForBudget(options: {
  wanted: number;
  minimum: number;
  writesPerSecond: number;
  writesPerItem: number;
  budgetSeconds: number;
  /** Below 1 when the rate was measured on an easier load than the real one. */
  safety: number;
}): number {
  if (process.env.BENCH_FULL_SIZE === '1') return options.wanted;
  const fits = Math.floor(
    (options.budgetSeconds * options.writesPerSecond * options.safety) /
      options.writesPerItem,
  );
  return Math.max(options.minimum, Math.min(options.wanted, fits));
}
