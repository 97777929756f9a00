/**
 * The app the API benchmarks load, in its own process with production
 * settings (NODE_ENV=production: JSON access log on stdout through pino's
 * asynchronous destination, security headers, HTTP metrics). Its stdout is a
 * pipe the bench drains, as a log shipper would, so the log costs what it
 * costs in production without filling the terminal.
 *
 * argv[2] selects the app:
 * - `memory`: RelanceConfigRepository replaced by the in-memory one the unit
 *   specs use; a bare Fastify server on the same Node answers `/live` and
 *   `/status` (the same in-memory lookup) on its own port.
 * - `database`: the real repository; the bare route `/bench/baseline-status`
 *   does the same findOne on the app's own Fastify instance (the bench's
 *   baseline since it was written).
 * - `churn`: the real repository, scripted sockets that close with 428 soon
 *   after they start (a WhatsApp edge closing every connection), and
 *   CHURN_SESSIONS stored sessions that `churn-start` restores.
 *
 * The bench drives it over IPC (see ApiServerCommand) and reads back, per
 * phase, the database commands sent, the time they spent waiting for a pooled
 * connection and the time the server took for them.
 */
import { getConnectionToken, getModelToken } from '@nestjs/mongoose';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test, type TestingModule } from '@nestjs/testing';
import { setTimeout as sleep } from 'node:timers/promises';
import { fastify, type FastifyInstance } from 'fastify';
import type { Connection, Model, mongo } from 'mongoose';
import { rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { AppModule } from '../../src/app.module';
import { configureApp, createFastifyAdapter } from '../../src/app.setup';
import { appConfig } from '../../src/config/app.config';
import {
  DatabaseConnection,
  REQUEST_READS,
} from '../../src/database/database-connection';
import { SessionSupervisor } from '../../src/relance/supervisor/session-supervisor';
import { RelanceConfigRepository } from '../../src/relance/relance-config.repository';
import { SessionRestoreService } from '../../src/relance/restore/session-restore.service';
import { RelanceConfig } from '../../src/relance/schemas/relance-config.schema';
import { WhatsAppSocketFactory } from '../../src/relance/supervisor/whatsapp-socket';
import {
  FakeSocketFactory,
  plantStoredSession,
} from '../../test/support/fake-socket-factory';
import { InMemoryRelanceConfigRepository } from '../../test/support/in-memory-relance-config.repository';
import { tokenFor } from '../../test/support/tokens';
import { benchUserIds, makeBenchSessionsDir, setBenchEnv } from './bench-app';
import { benchDatabaseUri } from './bench-database';
import { forEachBounded } from './bench-process';
import { classifyCommand, CommandCounter } from './command-counter';

export type ApiServerMode = 'memory' | 'database' | 'churn';

export const BENCH_USER_ID = 'bench_api_user';
export const BASELINE_STATUS_PATH = '/bench/baseline-status';
export const CHURN_SESSIONS = 200;
/** The edge closes each connection this long after the socket starts. */
const CHURN_CLOSE_AFTER_MS = 20;
/** Transient: the RetryPolicy reconnects without counting a failure. */
const CHURN_CLOSE_CODE = 428;
/** Longest wait for the session writes in flight to finish before the database is dropped. */
const QUIESCE_TIMEOUT_MS = 20_000;

export interface ApiServerReady {
  port: number;
  /** The bare Fastify server (memory mode only). */
  barePort?: number;
  token: string;
}

export type ApiServerCommand =
  | { id: number; cmd: 'phase-start'; name: string }
  | { id: number; cmd: 'phase-end'; name: string }
  | { id: number; cmd: 'churn-start' }
  | { id: number; cmd: 'churn-stop' }
  | { id: number; cmd: 'stop' };

export interface Distribution {
  count: number;
  p50: number;
  p99: number;
  max: number;
}

export interface PhaseReport {
  commands: Record<string, number>;
  /** Per command kind, the server's time (driver's commandSucceeded duration), ms. */
  commandMs: Record<string, Distribution>;
  /** Every pool checkout of the main client: from asking the pool for a connection to getting one, ms. */
  poolCheckoutMs: Distribution;
  /** The same for the request-read client, when the app has one. */
  requestReadsPoolCheckoutMs?: Distribution;
  eventLoopDelayP99Ms: number;
  /** Reconnects the churn made during the phase (sockets created). */
  socketsCreated: number;
}

export function distribution(values: number[]): Distribution {
  if (values.length === 0) return { count: 0, p50: 0, p99: 0, max: 0 };
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) =>
    sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return {
    count: sorted.length,
    p50: at(0.5),
    p99: at(0.99),
    max: sorted[sorted.length - 1],
  };
}

/** Pool checkout waits and per-kind server times, for the phase that is open. */
class PoolWatch {
  private readonly checkoutStarted = new Map<number, number[]>();
  private checkouts: number[] = [];
  private readonly commandMs = new Map<string, number[]>();
  private readonly kinds = new Map<number, string>();
  recording = false;

  constructor(
    client: mongo.MongoClient,
    classify: (event: mongo.CommandStartedEvent) => string,
  ) {
    // CMAP events carry no request id: a checkout is matched to the oldest pending start (FIFO, as the pool serves).
    client.on('connectionCheckOutStarted', () => {
      const queue = this.checkoutStarted.get(0) ?? [];
      queue.push(performance.now());
      this.checkoutStarted.set(0, queue);
    });
    const done = () => {
      const started = this.checkoutStarted.get(0)?.shift();
      if (started !== undefined && this.recording)
        this.checkouts.push(performance.now() - started);
    };
    client.on('connectionCheckedOut', done);
    client.on('connectionCheckOutFailed', done);
    client.on('commandStarted', (event) =>
      this.kinds.set(event.requestId, classify(event)),
    );
    const finished = (requestId: number, duration: number) => {
      const kind = this.kinds.get(requestId);
      this.kinds.delete(requestId);
      if (!kind || !this.recording) return;
      const list = this.commandMs.get(kind) ?? [];
      list.push(duration);
      this.commandMs.set(kind, list);
    };
    client.on('commandSucceeded', (event) =>
      finished(event.requestId, event.duration),
    );
    client.on('commandFailed', (event) =>
      finished(event.requestId, event.duration),
    );
  }

  start(): void {
    this.checkouts = [];
    this.commandMs.clear();
    this.recording = true;
  }

  stop(): Pick<PhaseReport, 'commandMs' | 'poolCheckoutMs'> {
    this.recording = false;
    return {
      poolCheckoutMs: distribution(this.checkouts),
      commandMs: Object.fromEntries(
        [...this.commandMs].map(([kind, values]) => [
          kind,
          distribution(values),
        ]),
      ),
    };
  }
}

function sumByKind(
  tables: Array<Record<string, number>>,
): Record<string, number> {
  const sum: Record<string, number> = {};
  for (const table of tables)
    for (const [kind, count] of Object.entries(table))
      sum[kind] = (sum[kind] ?? 0) + count;
  return sum;
}

function optionalConnection(
  moduleRef: TestingModule,
  name: string,
): Connection | undefined {
  try {
    return moduleRef.get<Connection>(getConnectionToken(name), {
      strict: false,
    });
  } catch {
    // An app without that connection: its reads share the main client.
    return undefined;
  }
}

function send(message: unknown): void {
  process.send?.(message);
}

async function main(mode: ApiServerMode): Promise<void> {
  const sessionsDir = await makeBenchSessionsDir();
  setBenchEnv({
    NODE_ENV: 'production',
    LOG_LEVEL: 'info',
    MONGODB_URI: benchDatabaseUri(`api_${mode}`, { monitorCommands: true }),
    WHATSAPP_SESSIONS_DIR: sessionsDir,
    ...(mode === 'churn'
      ? {
          WHATSAPP_RECONNECT_BASE_MS: '100',
          WHATSAPP_RECONNECT_MAX_MS: '400',
          WHATSAPP_RESTORE_JITTER_MS: '0',
          MESSAGE_POLL_INTERVAL_MS: '60000',
        }
      : {}),
  });
  const memory = new InMemoryRelanceConfigRepository();
  const sockets = new FakeSocketFactory();
  let churning = false;
  sockets.onCreate = (socket) => {
    setTimeout(() => {
      if (socket.ended) return;
      if (churning) socket.close(CHURN_CLOSE_CODE);
      else socket.open();
    }, CHURN_CLOSE_AFTER_MS);
  };
  let builder = Test.createTestingModule({ imports: [AppModule] });
  if (mode === 'memory')
    builder = builder
      .overrideProvider(RelanceConfigRepository)
      .useValue(memory);
  if (mode === 'churn')
    builder = builder.overrideProvider(WhatsAppSocketFactory).useValue(sockets);
  const moduleRef = await builder.compile();
  const app = moduleRef.createNestApplication<NestFastifyApplication>(
    createFastifyAdapter(appConfig().bodyLimitBytes),
  );
  await configureApp(app);
  const model = moduleRef.get<Model<RelanceConfig>>(
    getModelToken(RelanceConfig.name),
  );
  if (mode !== 'memory') {
    // The baseline since the bench was written: same instance, same model, same query, no Nest in the way.
    app
      .getHttpAdapter()
      .getInstance()
      .get(BASELINE_STATUS_PATH, async () => {
        const doc = await model
          .findOne({ userId: BENCH_USER_ID })
          .lean()
          .exec();
        return { status: doc?.whatsappStatus ?? 'disconnected', doc };
      });
  }
  await app.listen({ port: 0, host: '127.0.0.1' });
  await app.get(DatabaseConnection).whenConnected();
  const connection = moduleRef.get<Connection>(getConnectionToken());
  const stored = {
    userId: BENCH_USER_ID,
    whatsappStatus: 'disconnected' as const,
    connectionFailureCount: 1,
    lastConnectionCheck: new Date(),
    lastDisconnectReason: { code: 428, name: 'connectionClosed' },
  };
  if (mode === 'memory') {
    memory.docs.set(BENCH_USER_ID, { ...stored, disconnectedByUser: false });
  } else {
    // Not model.init(): see createBenchContext.
    await model.createIndexes();
    await model.create(stored);
  }

  let bare: FastifyInstance | undefined;
  if (mode === 'memory') {
    // A plain Fastify server on the same Node: no hooks, no Nest, the same lookup.
    bare = fastify();
    bare.get('/live', () => ({ status: 'ok' }));
    bare.get('/status', async () => {
      const doc = await memory.findByUserId(BENCH_USER_ID);
      return { status: doc?.whatsappStatus ?? 'disconnected', ...doc };
    });
    await bare.listen({ port: 0, host: '127.0.0.1' });
  }

  // The user polling its status has linked WhatsApp: its credentials are stored.
  await plantStoredSession(sessionsDir, BENCH_USER_ID);
  const churnUsers = benchUserIds(
    mode === 'churn' ? CHURN_SESSIONS : 0,
    'churn',
  );
  await forEachBounded(churnUsers, 20, async (userId) => {
    await plantStoredSession(sessionsDir, userId);
  });

  // Reads that answer requests may have their own client (REQUEST_READS); both are watched.
  const clients = [connection.getClient()];
  const requestReads = optionalConnection(moduleRef, REQUEST_READS);
  if (requestReads) clients.push(requestReads.getClient());
  const counters = clients.map((client) => new CommandCounter(client));
  const pools = clients.map(
    (client, index) =>
      new PoolWatch(client, (event) =>
        index === 0
          ? classifyCommand(event)
          : `${classifyCommand(event)} [request reads]`,
      ),
  );
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  const phaseEnds = new Map<string, () => void>();
  const phaseDone = new Map<string, Promise<void>>();
  let socketsAtPhaseStart = 0;

  const handle = async (message: ApiServerCommand): Promise<unknown> => {
    switch (message.cmd) {
      case 'phase-start': {
        for (const pool of pools) pool.start();
        loopDelay.reset();
        loopDelay.enable();
        socketsAtPhaseStart = sockets.sockets.length;
        let end!: () => void;
        const ended = new Promise<void>((resolve) => (end = resolve));
        phaseEnds.set(message.name, end);
        phaseDone.set(
          message.name,
          Promise.all(
            counters.map((counter) =>
              counter.during(message.name, () => ended),
            ),
          ).then(() => undefined),
        );
        return undefined;
      }
      case 'phase-end': {
        phaseEnds.get(message.name)?.();
        await phaseDone.get(message.name);
        loopDelay.disable();
        const [main, reads] = pools.map((pool) => pool.stop());
        const report: PhaseReport = {
          commands: sumByKind(
            counters.map((counter) => counter.kinds(message.name)),
          ),
          commandMs: { ...main.commandMs, ...reads?.commandMs },
          poolCheckoutMs: main.poolCheckoutMs,
          requestReadsPoolCheckoutMs: reads?.poolCheckoutMs,
          eventLoopDelayP99Ms: loopDelay.percentile(99) / 1e6,
          socketsCreated: sockets.sockets.length - socketsAtPhaseStart,
        };
        return report;
      }
      case 'churn-start': {
        churning = true;
        // Not awaited: with every socket closing, the restore's starts are the churn's first round.
        void moduleRef.get(SessionRestoreService).restoreAll();
        return { sessions: churnUsers.length };
      }
      case 'churn-stop': {
        churning = false;
        return undefined;
      }
      case 'stop': {
        churning = false;
        if (mode === 'churn') {
          // No write may be in flight when the database is dropped: FerretDB
          // (SQLite) crashed with a SIGBUS when one was.
          moduleRef.get(SessionSupervisor).stopAll();
          const deadline = Date.now() + QUIESCE_TIMEOUT_MS;
          while (
            counters.some((counter) => counter.pending > 0) &&
            Date.now() < deadline
          )
            await sleep(100);
          await sleep(500);
        }
        await bare?.close();
        if (mode !== 'memory')
          await connection
            .dropDatabase()
            .catch((error: unknown) =>
              console.error(
                `Could not drop the bench database: ${String(error)}`,
              ),
            );
        await app.close();
        await rm(sessionsDir, { recursive: true, force: true });
        return undefined;
      }
    }
  };

  process.on('message', (message: ApiServerCommand) => {
    void handle(message)
      .then(
        (result) => ({ id: message.id, ok: true, result }),
        (error: unknown) => ({
          id: message.id,
          ok: false,
          error: String(error),
        }),
      )
      .then((answer) =>
        process.send?.(answer, () => {
          if (message.cmd === 'stop') process.exit(0);
        }),
      );
  });
  const { port } = app.getHttpServer().address() as AddressInfo;
  const ready: ApiServerReady = {
    port,
    barePort: bare ? (bare.server.address() as AddressInfo).port : undefined,
    token: await tokenFor(BENCH_USER_ID, { expiresIn: '1h' }),
  };
  if (process.send) send({ ready });
  else {
    // Run by hand (e.g. under --cpu-prof): the ports on stderr, a clean exit on SIGTERM writes the profile.
    console.error(JSON.stringify(ready));
    process.once('SIGTERM', () => process.exit(0));
  }
}

main(process.argv[2] as ApiServerMode).catch((error: unknown) => {
  console.error(
    `[bench:api-server] failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
  );
  send({ failed: String(error) });
  process.exit(1);
});
