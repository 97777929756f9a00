/**
 * Event path: up to 1,000 users through the real SessionSupervisor (AppModule,
 * real MongoDB, real session folders, scripted sockets).
 *
 * Each user's socket is started once the way a boot restore starts it
 * (`startInBackground`, counted on its own), then gets 15 events: 5 opens and
 * 10 closes (428/401/408/503; 401 counted, the threshold raised to 100). Every
 * close is followed by the supervisor's OWN reconnect: the backoff is 1 ms, so
 * the ReconnectScheduler fires and starts the next socket with the count the
 * close carried. A close's phase ends only when that next socket exists, so
 * the round trips and the time of a close include the start it causes.
 *
 * Round trips are counted by command monitoring on the app's client, per phase
 * and per command (collection + purpose). An open also wakes the user's
 * delivery worker (messaging), whose first poll of the outbox is a read of
 * `relancemessages`: it is counted in the open's phase and reported apart.
 *
 * Baseline: the raw driver (the same client, no Mongoose) sending the same
 * write per event (updateOne shaped like applyClose / markConnected), all
 * users at once, in phases interleaved with the service's so both see the
 * same database state and warm-up.
 */
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
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
/** 401 is counted by default; 428, 408 (outside a QR wait) and 503 are transient. */
const COUNTED_CODES = new Set([401]);

type Step = { type: 'open' } | { type: 'close'; code: number };
const open: Step = { type: 'open' };
const close = (code: number): Step => ({ type: 'close', code });
/** Reconnects that open and reconnects that fail again, mixed: 5 opens, 10 closes. */
const SCRIPT: Step[] = [
  open,
  close(428),
  open,
  close(401),
  close(408),
  open,
  close(503),
  close(428),
  close(401),
  open,
  close(408),
  close(503),
  open,
  close(428),
  close(401),
];
const OPENS = SCRIPT.filter((s) => s.type === 'open').length;
const CLOSES = SCRIPT.length - OPENS;
/** Per user: its events and the first start by the service, the same events by the baseline, the outbox polls. */
const WRITES_PER_USER = 2 * SCRIPT.length + 1 + OPENS;

const SESSION_WRITES = 'relanceconfigs ';
const OUTBOX = 'relancemessages ';
const OUTBOX_POLL = 'relancemessages find (nextDue)';

runBenchProcess(NAME, async () => {
  const factory = new FakeSocketFactory();
  const latest = new Map<string, FakeSocket>();
  const telemetry = new CountingTelemetry();
  factory.onCreate = (socket) => {
    latest.set(socket.userId, socket);
    telemetry.socketCreated();
  };
  const context = await createBenchContext({
    mongoUri: benchDatabaseUri('events', { monitorCommands: true }),
    env: {
      WHATSAPP_MAX_CONNECTION_FAILURES: '100',
      // The scheduler fires within 1 ms (full jitter in [0, 1]): the reconnect path is what runs.
      WHATSAPP_RECONNECT_BASE_MS: '1',
      WHATSAPP_RECONNECT_MAX_MS: '1',
      // One outbox poll per open; the worker then sleeps longer than the run.
      MESSAGE_POLL_INTERVAL_MS: '60000',
    },
    override: (builder) =>
      builder.overrideProvider(WhatsAppSocketFactory).useValue(factory),
  });
  telemetry.attach(context.moduleRef.get(SessionEvents));
  try {
    const supervisor = context.moduleRef.get(SessionSupervisor);
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

    /** The write the service sends for `step`, through the raw driver, for every user at once. */
    const baselinePhase = async (step: Step): Promise<number> => {
      const started = process.hrtime.bigint();
      await Promise.all(
        users.map((userId) => {
          const at = new Date();
          if (step.type === 'open')
            return baseline.updateOne(
              { userId },
              {
                $set: {
                  whatsappStatus: 'connected',
                  connectionFailureCount: 0,
                  lastConnectionCheck: at,
                  disconnectedByUser: false,
                },
                $unset: { lastConnectionFailure: 1 },
              },
              { upsert: true },
            );
          const counted = COUNTED_CODES.has(step.code);
          return baseline.updateOne(
            { userId },
            {
              $set: {
                whatsappStatus: 'connecting',
                connectionFailureCount: counted ? 1 : 0,
                lastDisconnectReason: {
                  code: step.code,
                  name: disconnectCodeName(step.code),
                },
                lastConnectionCheck: at,
                ...(counted ? { lastConnectionFailure: at } : {}),
              },
            },
            { upsert: true },
          );
        }),
      );
      return elapsedSeconds(started);
    };

    // Warm-up (untimed, uncounted): connections in the pool, JIT, first upserts.
    await baselinePhase(close(428));

    // The first socket of each user, started as a boot restore does: no carried count, so it writes.
    const firstStarts = await counter.during('first start', async () => {
      const outcomes = await Promise.all(
        users.map((userId) => supervisor.startInBackground(userId)),
      );
      return outcomes.filter((o) => o === 'started').length;
    });
    if (firstStarts !== USERS)
      throw new Error(`${USERS - firstStarts} first starts did not start`);

    let serviceSeconds = 0;
    let baselineSeconds = 0;
    const phaseTimes: Array<{
      step: string;
      service: number;
      baseline: number;
    }> = [];
    for (const step of SCRIPT) {
      const handledBefore = telemetry.closes + telemetry.opens;
      const socketsBefore = telemetry.socketsCreated;
      const pollsBefore = counter.total(OUTBOX_POLL);
      const service = await counter.during(step.type, async () => {
        const started = process.hrtime.bigint();
        for (const userId of users) {
          const socket = latest.get(userId);
          if (!socket) throw new Error(`no socket for ${userId}`);
          if (step.type === 'open') socket.open();
          else socket.close(step.code);
        }
        await telemetry.handled(handledBefore + USERS);
        if (step.type === 'close')
          // The close is done when the reconnect it scheduled has started the next socket.
          await telemetry.until(
            () => telemetry.socketsCreated >= socketsBefore + USERS,
            () =>
              `only ${telemetry.socketsCreated - socketsBefore}/${USERS} reconnect starts`,
          );
        const seconds = elapsedSeconds(started);
        // Untimed, still in the phase: each open's delivery worker polls the outbox once.
        if (step.type === 'open') await outboxPolls(pollsBefore + USERS);
        return seconds;
      });
      const base = await baselinePhase(step);
      serviceSeconds += service;
      baselineSeconds += base;
      phaseTimes.push({
        step: step.type === 'open' ? 'open' : `close ${step.code}`,
        service,
        baseline: base,
      });
    }

    async function outboxPolls(expected: number): Promise<void> {
      const deadline = Date.now() + 60_000;
      while (counter.total(OUTBOX_POLL) < expected) {
        if (Date.now() > deadline)
          throw new Error(
            `only ${counter.total(OUTBOX_POLL)}/${expected} outbox polls; commands seen: ${JSON.stringify(counter.allKinds())}`,
          );
        await sleep(5);
      }
    }

    const events = SCRIPT.length * USERS;
    const { closes, opens, reconnectAttempts } = telemetry;
    if (closes !== CLOSES * USERS || opens !== OPENS * USERS)
      throw new Error(
        `handled ${closes} closes and ${opens} opens, expected ${CLOSES * USERS} and ${OPENS * USERS}`,
      );
    const reconnectStarts = telemetry.socketsCreated - firstStarts;
    const serviceRate = events / serviceSeconds;
    const baselineRate = events / baselineSeconds;
    const perClose = counter.count('close') / closes;
    const perOpenSession = counter.count('open', SESSION_WRITES) / opens;
    const perOpenOutbox = counter.count('open', OUTBOX) / opens;
    const perOpen = counter.count('open') / opens;
    const perFirstStart = counter.count('first start') / firstStarts;
    const perEvent = (counter.count('close') + counter.count('open')) / events;
    const perEventSession =
      (counter.count('close') + counter.count('open', SESSION_WRITES)) / events;
    log(
      NAME,
      `${events} events: ${serviceRate.toFixed(0)}/s vs raw driver ${baselineRate.toFixed(0)}/s; ` +
        `round trips per close (incl. its reconnect start) ${perClose}, per open ${perOpenSession} ` +
        `+ ${perOpenOutbox} outbox poll, per first start ${perFirstStart}`,
    );

    const sample = await context.model
      .findOne({ userId: users[0] })
      .lean()
      .exec();
    const rows: BenchRow[] = [
      ratioRow({
        benchmark: 'Event path',
        figure:
          'events handled /s, each close incl. its reconnect start (service vs raw updateOne /s)',
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
        figure: 'DB round trips per close, incl. the reconnect start it causes',
        measured: perClose,
        note: `goal: 1; ${reconnectStarts} reconnect starts by the scheduler, one per close`,
      },
      {
        benchmark: 'Event path',
        figure: 'DB round trips per open (relanceconfigs)',
        measured: perOpenSession,
        note: 'goal: 1',
      },
      {
        benchmark: 'Event path',
        figure: "DB round trips per open, messaging's outbox poll",
        measured: perOpenOutbox,
        note: 'the delivery worker resumes on open: 1 read of relancemessages',
      },
      {
        benchmark: 'Event path',
        figure:
          'DB round trips per event to relanceconfigs (close incl. its start, open)',
        measured: perEventSession,
        note: `goal: 1; with the outbox polls: ${perEvent.toFixed(2)}`,
      },
      {
        benchmark: 'Event path',
        figure: 'DB round trips per first start (startInBackground)',
        measured: perFirstStart,
        note: `${firstStarts} boot-restore-style starts, no carried count (markConnecting)`,
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
        firstStarts,
        reconnectStarts,
        reconnectingEvents: reconnectAttempts,
        serviceSeconds,
        baselineSeconds,
        serviceEventsPerSecond: serviceRate,
        baselineOpsPerSecond: baselineRate,
        roundTrips: {
          close: counter.count('close'),
          open: counter.count('open'),
          firstStart: counter.count('first start'),
          perOpenAllCollections: perOpen,
          kinds: {
            close: counter.kinds('close'),
            open: counter.kinds('open'),
            firstStart: counter.kinds('first start'),
          },
        },
        outcomes: Object.fromEntries(telemetry.outcomes),
        phases: phaseTimes,
        sampleStoredDocument: sample,
      },
    };
  } finally {
    await context.close();
  }
});
