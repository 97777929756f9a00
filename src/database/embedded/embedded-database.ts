import { readdir, stat } from 'node:fs/promises';
import { ensureMongodBinary, oneLine, startMongod } from './embedded-mongod';
import {
  ferretDbRunnerBinary,
  FerretDbRunnerUnavailableError,
  Log,
  startFerretDb,
} from './ferretdb-runner';

/** Neither embedded database can be had: the user must point MONGODB_URI at a server or install Go. */
export class EmbeddedDatabaseUnavailableError extends Error {
  constructor(mongodReason: string, ferretDbReason: string) {
    super(
      `No embedded development database could start: mongod could not be had (${mongodReason}) and the FerretDB runner neither (${ferretDbReason}); set MONGODB_URI to a running MongoDB server, or install Go (https://go.dev/dl/) so the FerretDB runner can be built, and start again.`,
    );
    this.name = 'EmbeddedDatabaseUnavailableError';
  }
}

type FerretDbEngine = { kind: 'ferretdb'; binary: string; reason: string };

export type EmbeddedEngine = { kind: 'mongod' } | FerretDbEngine;

export interface EngineChoiceOptions {
  /** Where built FerretDB runners are cached (FERRETDB_RUNNER_CACHE_DIR). */
  runnerCacheDir: string;
  log: Log;
  signal?: AbortSignal;
  /** Try FerretDB first, for this reason (it already holds the data). */
  preferFerretDb?: string;
}

async function ferretDbEngine(
  options: EngineChoiceOptions,
  reason: string,
): Promise<FerretDbEngine> {
  const binary = await ferretDbRunnerBinary({
    cacheDir: options.runnerCacheDir,
    log: options.log,
    signal: options.signal,
  });
  return { kind: 'ferretdb', binary, reason };
}

/**
 * The embedded database to run, in this order: mongodb-memory-server's
 * mongod (cached or downloadable), else the FerretDB runner (cached, or
 * built with Go), else EmbeddedDatabaseUnavailableError naming both ways out.
 */
export async function chooseEmbeddedEngine(
  options: EngineChoiceOptions,
): Promise<EmbeddedEngine> {
  if (options.preferFerretDb) {
    try {
      return await ferretDbEngine(options, options.preferFerretDb);
    } catch (error) {
      if (!(error instanceof FerretDbRunnerUnavailableError)) throw error;
      options.log(
        `The FerretDB runner cannot be had (${error.message}); trying mongod instead`,
      );
    }
  }
  let mongodReason: string;
  try {
    await ensureMongodBinary();
    return { kind: 'mongod' };
  } catch (error) {
    mongodReason = oneLine(error);
  }
  options.log(
    `mongod cannot be had (${mongodReason}); trying the FerretDB runner`,
  );
  try {
    return await ferretDbEngine(
      options,
      `mongod cannot be had: ${mongodReason}`,
    );
  } catch (error) {
    return explainFerretDbFailure(mongodReason, error);
  }
}

export interface EmbeddedDatabaseOptions extends Omit<
  EngineChoiceOptions,
  'preferFerretDb'
> {
  /** mongod's data folder (EMBEDDED_MONGO_DIR). */
  mongoDir: string;
  /** FerretDB's data folder (EMBEDDED_FERRETDB_DIR). */
  ferretDbDir: string;
}

export interface RunningEmbeddedDatabase {
  kind: EmbeddedEngine['kind'];
  /** mongodb://127.0.0.1:<port>/ (no database name). */
  uri: string;
  dataDir: string;
  /** Why FerretDB runs rather than mongod; absent for mongod. */
  reason?: string;
  stop(): Promise<void>;
}

/** A data folder that is there and not empty. */
async function isUsed(dir: string): Promise<boolean> {
  try {
    return (await readdir(dir)).length > 0;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}

function exists(dir: string): Promise<boolean> {
  return stat(dir).then(
    () => true,
    (error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return false;
      throw error;
    },
  );
}

/**
 * Starts the development database with its data in a folder, so it survives
 * restarts. Once FerretDB has run here (its folder exists, and mongod's holds
 * nothing), it keeps being used: the data does not seem to vanish the day
 * mongod becomes downloadable, and later starts skip the download attempt.
 */
export async function startEmbeddedDatabase(
  options: EmbeddedDatabaseOptions,
): Promise<RunningEmbeddedDatabase> {
  const sticky =
    (await exists(options.ferretDbDir)) && !(await isUsed(options.mongoDir));
  const engine = await chooseEmbeddedEngine({
    ...options,
    preferFerretDb: sticky
      ? `it ran here before: ${options.ferretDbDir} exists`
      : undefined,
  });
  if (engine.kind === 'ferretdb') {
    return runFerretDb(options, engine).catch((error: unknown) =>
      explainFerretDbFailure(engine.reason, error),
    );
  }
  try {
    const mongod = await startMongod(options.mongoDir);
    return { kind: 'mongod', dataDir: options.mongoDir, ...mongod };
  } catch (error) {
    // A binary that is there but does not run (a missing system library, say).
    const mongodReason = `mongod did not start: ${oneLine(error)}`;
    options.log(`${mongodReason}; trying the FerretDB runner`);
    try {
      return await runFerretDb(
        options,
        await ferretDbEngine(options, mongodReason),
      );
    } catch (ferretDbError) {
      return explainFerretDbFailure(mongodReason, ferretDbError);
    }
  }
}

function explainFerretDbFailure(mongodReason: string, error: unknown): never {
  if (error instanceof FerretDbRunnerUnavailableError) {
    throw new EmbeddedDatabaseUnavailableError(mongodReason, error.message);
  }
  throw error;
}

async function runFerretDb(
  options: EmbeddedDatabaseOptions,
  engine: FerretDbEngine,
): Promise<RunningEmbeddedDatabase> {
  const ferretDb = await startFerretDb({
    binary: engine.binary,
    dataDir: options.ferretDbDir,
  });
  return {
    kind: 'ferretdb',
    uri: ferretDb.uri,
    dataDir: options.ferretDbDir,
    reason: engine.reason,
    stop: () => ferretDb.stop(),
  };
}
