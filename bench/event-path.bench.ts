/**
 * Event path: 1,000 users through the real SessionLifecycleService (AppModule,
 * real MongoDB, real session folders, scripted sockets). Each user: a socket
 * opens, then 10 closes, each followed by a fresh socket start. Only the event
 * handling is timed; starts run in their own, untimed phases.
 *
 * Baseline: the raw driver (the same client, no Mongoose) doing the same
 * number of findOneAndUpdate calls, 1,000 at a time, in phases interleaved
 * with the service's so both see the same database state and warm-up.
 */
import { randomBytes } from 'node:crypto';
import { disconnectCodeName } from '../src/relance/retry/disconnect-codes';
import { SessionEvents } from '../src/relance/events/session-events';
import { SessionSupervisor } from '../src/relance/supervisor/session-supervisor';
import { WhatsAppSocketFactory } from '../src/relance/supervisor/whatsapp-socket';
import {
  FakeSocket,
  FakeSocketFactory,
  plantStoredSession,
} from '../test/support/fake-socket-factory';
import { benchUserIds, createBenchContext } from './support/bench-app';
import {
  benchDatabaseUri,
  measureWriteRate,
  sizeForBudget,
} from './support/bench-database';
import {
  elapsedSeconds,
  forEachBounded,
  log,
  runBenchProcess,
} from './support/bench-process';
import { CommandCounter } from './support/command-counter';
import { CountingTelemetry } from './support/counting-telemetry';
import { BenchRow, ratioRow } from './support/report';

const NAME = 'event-path';
const WANTED_USERS = 1000;
/** Seconds of database writes this benchmark may take; it shrinks the user count on a slow database. */
const BUDGET_SECONDS = 45;
/** 11 events + 10 socket starts by the service, 11 baseline calls. */
const WRITES_PER_USER = 32;
/** 401 is counted by default; 428, 408 (outside a QR wait) and 503 are transient. */
const CLOSE_CODES = [428, 401, 408, 503, 428, 401, 503, 408, 428, 401];
const COUNTED_CODES = new Set([401]);
/** Under setTimeout's 2^31-1 ms ceiling, so the (jittered) reconnect timers almost never fire. */
const NEVER_MS = String(2_000_000_000);

type Step = { type: 'open' } | { type: 'close'; code: number };
/** open, then the 10 closes: 11 events per user. */
const SCRIPT: Step[] = [
  { type: 'open' },
  ...CLOSE_CODES.map((code) => ({ type: 'close' as const, code })),
];

runBenchProcess(NAME, async () => {
  const factory = new FakeSocketFactory();
  const latest = new Map<string, FakeSocket>();
  factory.onCreate = (socket) => latest.set(socket.userId, socket);
  const telemetry = new CountingTelemetry();
  const context = await createBenchContext({
    mongoUri: benchDatabaseUri('events', { monitorCommands: true }),
    env: {
      WHATSAPP_MAX_CONNECTION_FAILURES: '100',
      WHATSAPP_RECONNECT_BASE_MS: NEVER_MS,
      WHATSAPP_RECONNECT_MAX_MS: NEVER_MS,
    },
    override: (builder) =>
      builder.overrideProvider(WhatsAppSocketFactory).useValue(factory),
  });
  telemetry.attach(context.moduleRef.get(SessionEvents));
  try {
    const lifecycle = context.moduleRef.get(SessionSupervisor);
    const client = context.connection.getClient();
    const writesPerSecond = await measureWriteRate(
      client,
      context.connection.name,
    );
    const USERS = sizeForBudget({
      wanted: WANTED_USERS,
      minimum: 20,
      writesPerSecond,
      writesPerItem: WRITES_PER_USER,
      budgetSeconds: BUDGET_SECONDS,
      safety: 0.4,
    });
    log(
      NAME,
      `database sustains ~${writesPerSecond.toFixed(0)} writes/s: ${USERS} users`,
    );
    const users = benchUserIds(USERS);
    await forEachBounded(users, 50, async (userId) => {
      await plantStoredSession(context.sessionsDir, userId);
    });

    const counter = new CommandCounter(client);
    const baseline = client
      .db(context.connection.name)
      .collection(`bench_baseline_${randomBytes(3).toString('hex')}`);
    await baseline.createIndex({ userId: 1 }, { unique: true });
    await baseline.insertMany(
      users.map((userId) => ({ userId, connectionFailureCount: 0 })),
    );

    /** What recordClose sends, through the raw driver: one findOneAndUpdate per close. */
    const baselinePhase = async (code: number): Promise<number> => {
      const started = process.hrtime.bigint();
      const counted = COUNTED_CODES.has(code);
      await Promise.all(
        users.map((userId) => {
          const at = new Date();
          return baseline.findOneAndUpdate(
            { userId },
            {
              $inc: { connectionFailureCount: counted ? 1 : 0 },
              $set: {
                whatsappStatus: 'disconnected',
                lastDisconnectReason: { code, name: disconnectCodeName(code) },
                lastConnectionCheck: at,
                ...(counted ? { lastConnectionFailure: at } : {}),
              },
            },
            { upsert: true, returnDocument: 'after' },
          );
        }),
      );
      return elapsedSeconds(started);
    };

    const startAll = () =>
      counter.during('start', async () => {
        const outcomes = await Promise.all(
          users.map((userId) => lifecycle.startInBackground(userId)),
        );
        const started = outcomes.filter((o) => o === 'started').length;
        if (started !== USERS)
          log(NAME, `warning: ${USERS - started} starts found a live session`);
        return started;
      });

    // Warm-up (untimed, uncounted): connections in the pool, JIT, first upserts.
    await baselinePhase(428);

    let starts = 0;
    let serviceSeconds = 0;
    let baselineSeconds = 0;
    const phaseTimes: Array<{
      step: string;
      service: number;
      baseline: number;
    }> = [];
    for (const [index, step] of SCRIPT.entries()) {
      // A close leaves no socket; the open before the first close does.
      if (index !== 1) starts += await startAll();
      const handledBefore = telemetry.closes + telemetry.opens;
      const started = process.hrtime.bigint();
      await counter.during(step.type, async () => {
        for (const userId of users) {
          const socket = latest.get(userId);
          if (!socket) throw new Error(`no socket for ${userId}`);
          if (step.type === 'open') socket.open();
          else socket.close(step.code);
        }
        await telemetry.handled(handledBefore + USERS);
      });
      const service = elapsedSeconds(started);
      const base = await baselinePhase(step.type === 'close' ? step.code : 428);
      serviceSeconds += service;
      baselineSeconds += base;
      phaseTimes.push({
        step: step.type === 'open' ? 'open' : `close ${step.code}`,
        service,
        baseline: base,
      });
    }

    const events = SCRIPT.length * USERS;
    const closes = telemetry.closes;
    const opens = telemetry.opens;
    const serviceRate = events / serviceSeconds;
    const baselineRate = events / baselineSeconds;
    const perClose = counter.count('close') / closes;
    const perOpen = counter.count('open') / opens;
    const perStart = counter.count('start') / starts;
    const perEventWithStarts =
      (counter.count('close') +
        counter.count('open') +
        counter.count('start')) /
      events;
    log(
      NAME,
      `${events} events: ${serviceRate.toFixed(0)}/s vs raw driver ${baselineRate.toFixed(0)}/s; ` +
        `round trips per close ${perClose}, per open ${perOpen}, per start ${perStart}`,
    );

    const sample = await context.model
      .findOne({ userId: users[0] })
      .lean()
      .exec();
    const rows: BenchRow[] = [
      ratioRow({
        benchmark: 'Event path',
        figure: 'events handled /s (service vs raw findOneAndUpdate /s)',
        measured: serviceRate,
        baseline: baselineRate,
        note:
          `${events} events (${closes} closes, ${opens} opens), ${USERS} users in parallel` +
          (USERS < WANTED_USERS
            ? `; scaled from ${WANTED_USERS} to fit ~${writesPerSecond.toFixed(0)} DB writes/s`
            : ''),
      }),
      {
        benchmark: 'Event path',
        figure: 'DB round trips per close',
        measured: perClose,
        note: 'goal: 1',
      },
      {
        benchmark: 'Event path',
        figure: 'DB round trips per open',
        measured: perOpen,
        note: 'goal: 1',
      },
      {
        benchmark: 'Event path',
        figure: "DB round trips per socket start ('connecting')",
        measured: perStart,
        note: `${starts} starts, one after each close`,
      },
      {
        benchmark: 'Event path',
        figure: 'DB round trips per event, incl. the start it forces',
        measured: perEventWithStarts,
      },
      {
        benchmark: 'Event path',
        figure: 'reconnect timers that fired (should be 0)',
        measured: telemetry.reconnectAttempts,
      },
    ];
    return {
      rows,
      details: {
        users: USERS,
        wantedUsers: WANTED_USERS,
        calibratedWritesPerSecond: writesPerSecond,
        script: SCRIPT.map((s) => (s.type === 'open' ? 'open' : s.code)),
        events,
        closes,
        opens,
        starts,
        serviceSeconds,
        baselineSeconds,
        serviceEventsPerSecond: serviceRate,
        baselineOpsPerSecond: baselineRate,
        roundTrips: {
          close: counter.count('close'),
          open: counter.count('open'),
          start: counter.count('start'),
          kinds: {
            close: counter.kinds('close'),
            open: counter.kinds('open'),
            start: counter.kinds('start'),
          },
          otherCommands: Object.fromEntries(counter.otherCommands),
        },
        outcomes: Object.fromEntries(telemetry.outcomes),
        reconnectTimersFired: telemetry.reconnectAttempts,
        phases: phaseTimes,
        sampleStoredDocument: sample,
      },
    };
  } finally {
    await context.close();
  }
});
