import {
  Inject,
  Injectable,
  Logger,
  OnApplicationShutdown,
  OnModuleInit,
} from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { InjectConnection } from '@nestjs/mongoose';
import { ExponentialBackoff, handleAll, retry } from 'cockatiel';
import type { ConnectOptions, Connection } from 'mongoose';
import {
  databaseConfig,
  DEFAULT_DATABASE_NAME,
} from '../config/database.config';
import {
  RunningEmbeddedDatabase,
  startEmbeddedDatabase,
} from './embedded/embedded-database';
import { oneLine } from './embedded/embedded-mongod';
import {
  describeMongoUri,
  redactCredentials,
  withDefaultDatabase,
} from './mongo-uri';

const FIRST_RETRY_DELAY_MS = 1_000;
const MAX_RETRY_DELAY_MS = 30_000;

/** MONGODB_CONNECT_TIMEOUT_MS passed without an answer from the database. */
export class DatabaseUnreachableError extends Error {
  constructor(where: string, timeoutMs: number, lastError: string) {
    super(
      `MongoDB at ${where} did not answer within MONGODB_CONNECT_TIMEOUT_MS (${timeoutMs} ms; last error: ${lastError}); start it, fix MONGODB_URI, or unset MONGODB_CONNECT_TIMEOUT_MS to wait for it.`,
    );
    this.name = 'DatabaseUnreachableError';
  }
}

const ENGINE_NAMES: Record<RunningEmbeddedDatabase['kind'], string> = {
  mongod: 'mongod (mongodb-memory-server)',
  ferretdb: 'FerretDB (SQLite)',
};

interface Deferred {
  promise: Promise<void>;
  resolve(): void;
}

function deferred(): Deferred {
  let resolve!: () => void;
  const promise = new Promise<void>((done) => (resolve = done));
  return { promise, resolve };
}

/**
 * Opens the app's one MongoDB connection in the background, so the HTTP
 * server can answer /api/health/live (and 503 on /ready) while the database
 * is not up yet: retried with exponential backoff, one log line per failed
 * attempt, for ever unless MONGODB_CONNECT_TIMEOUT_MS is set. Without
 * MONGODB_URI it first starts the embedded development database. Sole owner
 * of the connection and of the embedded database: it closes both at shutdown.
 */
@Injectable()
export class DatabaseConnection implements OnModuleInit, OnApplicationShutdown {
  private readonly logger = new Logger('Database');
  private readonly stopping = new AbortController();
  private readonly connected = deferred();
  private outcome: Promise<void> = this.connected.promise;
  private embedded?: RunningEmbeddedDatabase;

  constructor(
    @InjectConnection() private readonly connection: Connection,
    @Inject(databaseConfig.KEY)
    private readonly config: ConfigType<typeof databaseConfig>,
  ) {}

  onModuleInit(): void {
    this.outcome = this.open();
    // The failure reaches main.ts through untilConnected(); this only stops
    // Node from calling it unhandled while nobody is awaiting yet.
    this.outcome.catch(() => undefined);
  }

  /** Resolves once connected; never rejects (it stays pending if the app gives up or stops). */
  whenConnected(): Promise<void> {
    return this.connected.promise;
  }

  /**
   * Resolves once connected; rejects when the app cannot have its database
   * (MONGODB_CONNECT_TIMEOUT_MS passed, the embedded database cannot start).
   */
  untilConnected(): Promise<void> {
    return this.outcome;
  }

  /** Where the data lives, without credentials: for the listening line. */
  describe(): string {
    if (this.config.uri) return describeMongoUri(this.config.uri);
    return this.embedded
      ? `embedded ${ENGINE_NAMES[this.embedded.kind]}, data in ${this.embedded.dataDir}`
      : 'embedded development database (starting)';
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopping.abort();
    await this.connection.close();
    await this.embedded?.stop();
  }

  private async open(): Promise<void> {
    try {
      const uri = this.config.uri ?? (await this.startEmbedded());
      if (this.stopping.signal.aborted) {
        // Shutdown ran while the embedded database was starting.
        await this.embedded?.stop();
        return;
      }
      if (await this.connectWithRetry(uri)) {
        await this.buildIndexes();
        this.connected.resolve();
      }
    } catch (error) {
      // Stopping mid-way (e.g. a signal during the runner's build) is not a failed boot.
      if (this.stopping.signal.aborted) return;
      throw error;
    }
  }

  private async startEmbedded(): Promise<string> {
    this.embedded = await startEmbeddedDatabase({
      mongoDir: this.config.embeddedMongoDir,
      ferretDbDir: this.config.embeddedFerretDbDir,
      runnerCacheDir: this.config.ferretDbRunnerCacheDir,
      log: (message) => this.logger.log(message),
      signal: this.stopping.signal,
    });
    const uri = withDefaultDatabase(this.embedded.uri, DEFAULT_DATABASE_NAME);
    const why = this.embedded.reason ? ` (${this.embedded.reason})` : '';
    this.logger.warn(
      `Using the EMBEDDED DEVELOPMENT database: ${ENGINE_NAMES[this.embedded.kind]} at ${describeMongoUri(uri)}, data in ${this.embedded.dataDir}${why}. Set MONGODB_URI for production.`,
    );
    return uri;
  }

  private options(): ConnectOptions {
    return {
      serverSelectionTimeoutMS: this.config.serverSelectionTimeoutMs,
      // Fail fast while the database is unreachable (the API answers 503)
      // instead of queueing writes in memory.
      bufferCommands: false,
    };
  }

  /**
   * Creates every model's declared indexes. Mongoose's own automatic build
   * runs when a model is compiled, which here is before the connection opens
   * (commands are refused, not buffered, until then), so it never happens:
   * the unique indexes that arbitrate races (one relanceconfigs document per
   * user, lease steps, fenced credential writes) must be built here, before
   * anyone waiting for the connection writes. A failure is logged and the
   * app runs on: reads and writes still work, only the races lose their
   * arbiter, which the log says.
   */
  private async buildIndexes(): Promise<void> {
    for (const model of Object.values(this.connection.models)) {
      try {
        await model.createIndexes();
      } catch (error) {
        this.logger.error(
          `Could not create the indexes of ${model.collection.collectionName}: ${oneLine(error)}`,
        );
      }
    }
  }

  /** True once connected; false when the app stopped first. */
  private async connectWithRetry(uri: string): Promise<boolean> {
    const where = describeMongoUri(uri);
    const giveUp = new AbortController();
    const signal = AbortSignal.any([this.stopping.signal, giveUp.signal]);
    let lastError = 'no attempt finished';
    const policy = retry(handleAll, {
      maxAttempts: Number.POSITIVE_INFINITY,
      backoff: new ExponentialBackoff({
        initialDelay: FIRST_RETRY_DELAY_MS,
        maxDelay: MAX_RETRY_DELAY_MS,
      }),
    });
    policy.onRetry((event) => {
      if (!('error' in event)) return;
      lastError = redactCredentials(oneLine(event.error), uri);
      const next = new Date(Date.now() + event.delay);
      this.logger.warn(
        `MongoDB at ${where} is not reachable (attempt ${event.attempt}: ${lastError}); next attempt in ${(event.delay / 1000).toFixed(1)} s, at ${next.toISOString()}`,
      );
    });
    const timeoutMs = this.config.connectTimeoutMs;
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      if (timeoutMs === undefined) return;
      timer = setTimeout(() => {
        giveUp.abort();
        reject(new DatabaseUnreachableError(where, timeoutMs, lastError));
      }, timeoutMs);
    });
    try {
      await Promise.race([
        policy.execute(
          () => this.connection.openUri(uri, this.options()),
          signal,
        ),
        deadline,
      ]);
    } catch (error) {
      if (this.stopping.signal.aborted) return false;
      throw error;
    } finally {
      clearTimeout(timer);
    }
    this.logger.log(`Connected to MongoDB at ${where}`);
    return true;
  }
}
