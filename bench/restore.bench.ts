/**
 * Restore: stored sessions (creds.json planted in their folders) brought back
 * by the real SessionRestoreService at WHATSAPP_RESTORE_CONCURRENCY = argv[2],
 * with scripted sockets that open a fixed delay after they are created.
 * The reference is the ideal rate concurrency / delay.
 */
import { SessionRestoreService } from '../src/relance/restore/session-restore.service';
import { SessionCredentialStore } from '../src/relance/credentials/session-credential-store';
import { SessionSupervisor } from '../src/relance/supervisor/session-supervisor';
import { SessionEvents } from '../src/relance/events/session-events';
import { WhatsAppSocketFactory } from '../src/relance/supervisor/whatsapp-socket';
import {
  FakeSocketFactory,
  plantStoredSession,
} from '../test/support/fake-socket-factory';
import { benchUserIds, createBenchContext } from './support/bench-app';
import { benchDatabaseUri, sizeForBudget } from './support/bench-database';
import {
  elapsedSeconds,
  forEachBounded,
  log,
  runBenchProcess,
} from './support/bench-process';
import { CommandCounter } from './support/command-counter';
import { CountingTelemetry } from './support/counting-telemetry';
import { BenchRow, ratioRow } from './support/report';

const NAME = 'restore';
const WANTED_SESSIONS = 1000;
const OPEN_DELAY_MS = 50;
/** Seconds of database writes one concurrency level may take. */
const BUDGET_SECONDS = 15;
const WARM_UP_SESSIONS = 20;
/** 'connecting' when the socket starts, 'connected' when it opens (the outbox poll is a read). */
const WRITES_PER_SESSION = 2;
const NEVER_MS = String(2_000_000_000);

runBenchProcess(NAME, async (args) => {
  const concurrency = Number(args[0] ?? 10);
  const factory = new FakeSocketFactory();
  factory.onCreate = (socket) => {
    setTimeout(() => {
      if (!socket.ended) socket.open();
    }, OPEN_DELAY_MS);
  };
  const telemetry = new CountingTelemetry();
  const context = await createBenchContext({
    mongoUri: benchDatabaseUri(`restore${concurrency}`, {
      monitorCommands: true,
    }),
    env: {
      WHATSAPP_RESTORE_CONCURRENCY: String(concurrency),
      WHATSAPP_RESTORE_JITTER_MS: '0',
      WHATSAPP_RESTORE_TIMEOUT_MS: '60000',
      WHATSAPP_RECONNECT_BASE_MS: NEVER_MS,
      WHATSAPP_RECONNECT_MAX_MS: NEVER_MS,
      // A connected session's delivery worker polls the outbox once, then sleeps past the run:
      // at the default (1 s) every restored session would add a read per second to the restore.
      MESSAGE_POLL_INTERVAL_MS: '60000',
    },
    override: (builder) =>
      builder.overrideProvider(WhatsAppSocketFactory).useValue(factory),
  });
  telemetry.attach(context.moduleRef.get(SessionEvents));
  try {
    const restore = context.moduleRef.get(SessionRestoreService);
    const files = context.moduleRef.get(SessionCredentialStore);
    // The boot restore ran on an empty folder; the measured one is called below.
    await restore.whenFinished();
    const client = context.connection.getClient();
    // Warm-up and sizing: a small restore of the real path tells how fast the database lets it go.
    const warmUsers = benchUserIds(WARM_UP_SESSIONS, 'warm');
    await forEachBounded(warmUsers, 50, async (userId) => {
      await plantStoredSession(context.sessionsDir, userId);
    });
    const warmStarted = process.hrtime.bigint();
    await restore.restoreAll();
    const warmRate = WARM_UP_SESSIONS / elapsedSeconds(warmStarted);
    context.moduleRef.get(SessionSupervisor).stopAll();
    await Promise.all(warmUsers.map((userId) => files.delete(userId)));
    const writesPerSecond = warmRate * WRITES_PER_SESSION;
    const sessions = sizeForBudget({
      wanted: WANTED_SESSIONS,
      minimum: 50,
      writesPerSecond,
      writesPerItem: WRITES_PER_SESSION,
      budgetSeconds: BUDGET_SECONDS,
      safety: 1,
    });
    const users = benchUserIds(sessions, 'restored');
    await forEachBounded(users, 50, async (userId) => {
      await plantStoredSession(context.sessionsDir, userId);
    });
    log(
      NAME,
      `concurrency ${concurrency}: restoring ${sessions} sessions (warm-up restored ${warmRate.toFixed(1)}/s)`,
    );
    const counter = new CommandCounter(client);
    const started = process.hrtime.bigint();
    const summary = await counter.during('restore', () => restore.restoreAll());
    const seconds = elapsedSeconds(started);
    if (summary.restored !== sessions) {
      throw new Error(
        `restored ${summary.restored}/${sessions}: ${JSON.stringify(summary)}`,
      );
    }
    const rate = sessions / seconds;
    const ideal = concurrency / (OPEN_DELAY_MS / 1000);
    const scaled =
      sessions < WANTED_SESSIONS
        ? `; scaled from ${WANTED_SESSIONS} to fit the database (warm-up ${warmRate.toFixed(1)} sessions/s)`
        : '';
    const rows: BenchRow[] = [
      ratioRow({
        benchmark: 'Restore',
        figure: `sessions/s at concurrency ${concurrency} (vs ideal concurrency/delay)`,
        measured: rate,
        baseline: ideal,
        note: `${sessions} sessions, sockets open after ${OPEN_DELAY_MS} ms${scaled}`,
      }),
      ratioRow({
        benchmark: 'Restore',
        figure: `sessions/s at concurrency ${concurrency} (vs its ${WARM_UP_SESSIONS}-session warm-up)`,
        measured: rate,
        baseline: warmRate,
      }),
      {
        benchmark: 'Restore',
        figure: `DB round trips per restored session to relanceconfigs (c=${concurrency})`,
        measured: counter.count('restore', 'relanceconfigs ') / sessions,
        note: "'connecting' at the start, 'connected' at the open; plus 1 find (findRestorable) per restore",
      },
      {
        benchmark: 'Restore',
        figure: `outbox reads per restored session (c=${concurrency})`,
        measured: counter.count('restore', 'relancemessages ') / sessions,
        note: 'the delivery worker polls when its session connects, then every MESSAGE_POLL_INTERVAL_MS (60 s here)',
      },
    ];
    return {
      rows,
      details: {
        concurrency,
        sessions,
        wantedSessions: WANTED_SESSIONS,
        openDelayMs: OPEN_DELAY_MS,
        seconds,
        sessionsPerSecond: rate,
        idealSessionsPerSecond: ideal,
        warmUpSessionsPerSecond: warmRate,
        summary,
        roundTrips: counter.kinds('restore'),
        opensHandled: telemetry.opens,
      },
    };
  } finally {
    await context.close();
  }
});
