/**
 * Memory per session above the idle process, after forced GCs (--expose-gc).
 * argv[2] = 'fake': 1,000 scripted-socket sessions, opened.
 * argv[2] = 'baileys': 200 production Baileys sockets (BaileysSocketFactory)
 * against a local WebSocket server that accepts and never answers, held in
 * 'connecting'.
 * Session persistence is stubbed (no I/O): the documents live in MongoDB, not
 * in this process, and a slow shared database would only stretch the run.
 * Messaging is real: each connected session gets its delivery worker, whose
 * first outbox poll is answered before the memory is measured.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { RelanceConfigRepository } from '../src/relance/relance-config.repository';
import { SessionLifecycleService } from '../src/relance/commands/session-lifecycle.service';
import { SessionSupervisor } from '../src/relance/supervisor/session-supervisor';
import { WhatsAppSocketFactory } from '../src/relance/supervisor/whatsapp-socket';
import {
  FakeSocketFactory,
  plantStoredSession,
} from '../test/support/fake-socket-factory';
import { waitUntil } from '../test/support/wait';
import { benchUserIds, createBenchContext } from './support/bench-app';
import { benchDatabaseUri } from './support/bench-database';
import { forEachBounded, log, runBenchProcess } from './support/bench-process';
import { CommandCounter } from './support/command-counter';
import { BenchRow } from './support/report';
import { settledMemory } from './support/settled-memory';
import { stubRepository } from './support/stub-repository';

const NAME = 'memory';
const FAKE_SESSIONS = 1000;
const BAILEYS_SESSIONS = 200;
const MIB = 1024 * 1024;
const NEVER_MS = String(2_000_000_000);
const OUTBOX_POLL = 'relancemessages find (nextDue)';

function startSilentServer(): Promise<{
  port: number;
  connections: () => Promise<number>;
  stop: () => void;
}> {
  const child: ChildProcess = fork(
    join(__dirname, 'support', 'silent-ws-server.ts'),
    [],
    {
      execArgv: ['-r', 'ts-node/register'],
      env: { ...process.env, TS_NODE_TRANSPILE_ONLY: '1' },
    },
  );
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('message', (message) => {
      const { port } = message as { port: number };
      resolve({
        port,
        connections: () =>
          new Promise((answer) => {
            child.once('message', (reply) =>
              answer((reply as { connections: number }).connections),
            );
            child.send('count');
          }),
        stop: () => child.disconnect(),
      });
    });
  });
}

runBenchProcess(NAME, async (args) => {
  const mode = args[0] === 'baileys' ? 'baileys' : 'fake';
  const server = mode === 'baileys' ? await startSilentServer() : undefined;
  const factory = new FakeSocketFactory();
  factory.onCreate = (socket) => setImmediate(() => socket.open());
  const context = await createBenchContext({
    mongoUri: benchDatabaseUri(`memory_${mode}`, { monitorCommands: true }),
    env: {
      WHATSAPP_QR_WAIT_MS: '100',
      WHATSAPP_RECONNECT_BASE_MS: NEVER_MS,
      WHATSAPP_RECONNECT_MAX_MS: NEVER_MS,
      // Each connected session's delivery worker (its memory is counted) polls the outbox once, then sleeps.
      MESSAGE_POLL_INTERVAL_MS: '60000',
      ...(server ? { WHATSAPP_WS_URL: `ws://127.0.0.1:${server.port}` } : {}),
    },
    override: (builder) => {
      const stubbed = builder
        .overrideProvider(RelanceConfigRepository)
        .useValue(stubRepository());
      return mode === 'fake'
        ? stubbed.overrideProvider(WhatsAppSocketFactory).useValue(factory)
        : stubbed;
    },
  });
  const commands = new CommandCounter(context.connection.getClient());
  try {
    const lifecycle = context.moduleRef.get(SessionLifecycleService);
    const registry = context.moduleRef.get(SessionSupervisor);
    const count = mode === 'fake' ? FAKE_SESSIONS : BAILEYS_SESSIONS;
    const users = benchUserIds(count, mode);
    if (mode === 'fake') {
      await forEachBounded(users, 50, async (userId) => {
        await plantStoredSession(context.sessionsDir, userId);
      });
    }
    const idle = await settledMemory();
    const startedAt = Date.now();
    if (mode === 'fake') {
      await forEachBounded(users, 50, async (userId) => {
        await registry.startInBackground(userId);
      });
      await waitUntil(
        () =>
          registry.liveSessions().filter((s) => s.status === 'connected')
            .length === count,
        { what: 'every fake session to open', timeoutMs: 30_000 },
      );
      // Measured once every worker is idle: its first outbox poll answered, no query in flight.
      await waitUntil(
        () => commands.total(OUTBOX_POLL) >= count && commands.pending === 0,
        {
          what: "every delivery worker's first outbox poll",
          timeoutMs: 120_000,
        },
      );
    } else {
      // Interactive starts (no stored creds): each socket dials the silent server and waits.
      await Promise.all(
        users.map((userId) => lifecycle.generateQRCode(userId)),
      );
      await waitUntil(async () => (await server!.connections()) >= count, {
        what: `${count} WebSocket connections on the silent server`,
        timeoutMs: 15_000,
      });
    }
    const loaded = await settledMemory();
    const heldSeconds = (Date.now() - startedAt) / 1000;
    const expected = mode === 'fake' ? 'connected' : 'connecting';
    const held = registry
      .liveSessions()
      .filter((s) => s.status === expected).length;
    if (held !== count) {
      throw new Error(
        `only ${held}/${count} sessions were ${expected} when measured`,
      );
    }
    const rssPerSession = (loaded.rss - idle.rss) / count / MIB;
    const heapPerSession = (loaded.heapUsed - idle.heapUsed) / count / MIB;
    log(
      NAME,
      `${mode}: ${count} sessions ${expected}, ${rssPerSession.toFixed(3)} MiB RSS and ${heapPerSession.toFixed(3)} MiB heap each`,
    );
    const label =
      mode === 'fake' ? 'fake-socket session' : 'Baileys socket (connecting)';
    const rows: BenchRow[] = [
      {
        benchmark: 'Memory',
        figure: `RSS per ${label}, above idle`,
        measured: rssPerSession,
        unit: 'MiB',
        note: `${count} sessions ${expected}; idle RSS ${(idle.rss / MIB).toFixed(0)} MiB`,
      },
      {
        benchmark: 'Memory',
        figure: `heap per ${label}, above idle`,
        measured: heapPerSession,
        unit: 'MiB',
        note: `idle heap ${(idle.heapUsed / MIB).toFixed(0)} MiB`,
      },
    ];
    return {
      rows,
      details: {
        mode,
        sessions: count,
        idle,
        loaded,
        heldSeconds,
        held,
        outboxPolls: commands.total(OUTBOX_POLL),
      },
    };
  } finally {
    await context.close();
    server?.stop();
  }
});
