/**
 * Several instances over one database (WHATSAPP_CLUSTER=on), as real app
 * processes (src/main.ts) on one MongoDB and one WhatsApp-edge simulator,
 * which counts every account's live logged-in sockets over time.
 *
 * The users are linked first through one process (GET /qr, the simulated
 * phone scans), which then stops; the stories run on three fresh processes.
 * Leases are short (LEASE_TTL_MS) so takeovers happen within the test's
 * generous waits; nothing asserts a duration.
 */
import mongoose, { Connection } from 'mongoose';
import { AppProcess, startAppProcess } from './support/app-process';
import { testDatabaseUri } from './support/test-database';
import { bearer, tokenFor } from './support/tokens';
import { waitUntil } from './support/wait';
import { WaSimulator } from './support/wa-simulator';
import { simulatorRootEnvironment } from './support/wa-simulator-trust';

const USERS = Number(process.env.CLUSTER_TEST_USERS ?? 30);
const INSTANCES = ['a', 'b', 'c'] as const;
const LEASE_TTL_MS = 10_000;
/** The "10 ± 4" for 30 users on 3 instances, as a share of any user count. */
const BALANCE_TOLERANCE = Math.ceil((4 * USERS) / 30);
const SETTLE_MS = 120_000;

const userIds = Array.from(
  { length: USERS },
  (_, i) => `cluster_u${String(i + 1).padStart(2, '0')}`,
);
const phoneOf = (i: number) => `336120${String(i + 1).padStart(5, '0')}`;

interface LeaseDoc {
  userId: string;
  seq: number;
  epoch: number;
  owner: string | null;
  expiresAt: Date;
}

describe('several instances over one database (e2e, 3 app processes)', () => {
  let sim: WaSimulator;
  let mongoUri: string;
  let db: Connection;
  const processes = new Map<string, AppProcess>();
  /** Simulator account (phone) of each user. */
  const accountOf = new Map<string, string>();

  const envFor = (instanceId: string): Record<string, string> => ({
    LOG_LEVEL: 'info',
    MONGODB_URI: mongoUri,
    WHATSAPP_AUTH_STORE: 'mongodb',
    WHATSAPP_CLUSTER: 'on',
    INSTANCE_ID: instanceId,
    WHATSAPP_LEASE_TTL_MS: String(LEASE_TTL_MS),
    WHATSAPP_WS_URL: sim.url,
    WHATSAPP_QR_WAIT_MS: '15000',
    WHATSAPP_RESTORE_JITTER_MS: '500',
    WHATSAPP_RESTORE_TIMEOUT_MS: '20000',
    WHATSAPP_RECONNECT_BASE_MS: '200',
    WHATSAPP_RECONNECT_MAX_MS: '1000',
    ...simulatorRootEnvironment(),
  });

  const start = async (instanceId: string): Promise<AppProcess> => {
    const app = await startAppProcess(envFor(instanceId), {
      trustSimulator: true,
    });
    processes.set(instanceId, app);
    return app;
  };

  const api = async (
    app: AppProcess,
    userId: string,
    path: string,
    init: RequestInit = {},
  ) => {
    const response = await fetch(`${app.url}/api/relance/${path}`, {
      ...init,
      headers: {
        ...bearer(await tokenFor(userId)),
        'content-type': 'application/json',
      },
    });
    return {
      status: response.status,
      body: (await response.json()) as Record<string, unknown>,
    };
  };

  /** The holder of each user's lease now (latest step, unexpired, not released). */
  const owners = async (): Promise<Map<string, string>> => {
    const steps = await db
      .collection<LeaseDoc>('sessionleases')
      .find({})
      .toArray();
    const latest = new Map<string, LeaseDoc>();
    for (const step of steps) {
      const seen = latest.get(step.userId);
      if (!seen || seen.seq < step.seq) latest.set(step.userId, step);
    }
    const now = Date.now();
    const held = new Map<string, string>();
    for (const [userId, step] of latest)
      if (step.owner && step.expiresAt.getTime() > now)
        held.set(userId, step.owner);
    return held;
  };

  const shares = async (): Promise<Map<string, number>> => {
    const counts = new Map<string, number>();
    for (const owner of (await owners()).values())
      counts.set(owner, (counts.get(owner) ?? 0) + 1);
    return counts;
  };

  /** Every user has exactly one live socket at the simulator, and its lease is held by one of `instances`. */
  const allLiveOn = async (instances: readonly string[]): Promise<boolean> => {
    const live = sim.liveSockets();
    const held = await owners();
    return userIds.every(
      (userId) =>
        live.get(accountOf.get(userId)!) === 1 &&
        instances.includes(held.get(userId) ?? ''),
    );
  };

  const failureCounts = async (): Promise<number[]> =>
    (
      await db
        .collection<{ userId: string; connectionFailureCount?: number }>(
          'relanceconfigs',
        )
        .find({ userId: { $in: userIds } })
        .toArray()
    ).map((doc) => doc.connectionFailureCount ?? 0);

  const eventsSince = (seq: number, type: string) =>
    sim.events().filter((event) => event.seq > seq && event.type === type);

  const output = () =>
    [...processes]
      .map(([id, app]) => `--- ${id} ---\n${app.output().slice(-4_000)}`)
      .join('\n');

  /** What a failed wait shows: the shares, the live sockets and the processes' last lines. */
  const state = async () => {
    const held = await owners();
    const live = sim.liveSockets();
    const rows = userIds.map(
      (userId) =>
        `${userId}: owner ${held.get(userId) ?? '-'}, live ${live.get(accountOf.get(userId)!) ?? 0}`,
    );
    return `${rows.join('\n')}\n${output()}`;
  };

  const settle = async (
    condition: () => Promise<boolean>,
    what: string,
  ): Promise<void> => {
    try {
      await waitUntil(condition, {
        timeoutMs: SETTLE_MS,
        intervalMs: 500,
        what,
      });
    } catch (error) {
      throw new Error(`${(error as Error).message}\n${await state()}`, {
        cause: error,
      });
    }
  };

  beforeAll(async () => {
    sim = await WaSimulator.start();
    mongoUri = await testDatabaseUri();
    db = await mongoose.createConnection(mongoUri).asPromise();
    // Linking: one instance, one user after the other.
    const linker = await start('linker');
    for (const [i, userId] of userIds.entries()) {
      const answer = await api(linker, userId, 'qr');
      expect(answer.body).toMatchObject({ status: 'awaiting_qr' });
      const device = await sim.scan(answer.body.qr as string, {
        phone: phoneOf(i),
      });
      accountOf.set(userId, device.user);
      await waitUntil(
        async () =>
          (await api(linker, userId, 'status')).body.status === 'connected',
        { timeoutMs: 60_000, what: `${userId} linked` },
      ).catch((error: Error) => {
        throw new Error(`${error.message}\n${output()}`, { cause: error });
      });
    }
    await sim.waitForQuiet(300, 30_000);
    await linker.kill('SIGTERM');
    processes.delete('linker');
  }, 600_000);

  afterAll(async () => {
    for (const app of processes.values()) {
      app.signal('SIGCONT');
      await app.kill('SIGKILL');
    }
    await db?.close();
    await sim?.close();
  });

  it('story 1: booted together, each user has exactly one live socket and the instances share them fairly', async () => {
    const before = sim.events().at(-1)?.seq ?? 0;
    await Promise.all(INSTANCES.map((id) => start(id)));

    const balanced = async () => {
      const counts = await shares();
      return INSTANCES.every(
        (id) =>
          Math.abs((counts.get(id) ?? 0) - USERS / INSTANCES.length) <=
          BALANCE_TOLERANCE,
      );
    };
    // Settled: every user live once, and the shares within the tolerance, at the same moment.
    await settle(
      async () => (await allLiveOn(INSTANCES)) && balanced(),
      'every user live once on a, b or c, balanced',
    );
    expect(sim.peakLiveSockets(before)).toBe(1);
    expect(eventsSince(before, 'registration')).toEqual([]);
    expect(new Set(await failureCounts())).toEqual(new Set([0]));
  }, 300_000);

  it("story 2: a SIGKILLed instance's users are back on the others, without a QR, a counted failure or two sockets at once", async () => {
    const victim = 'c';
    const before = sim.events().at(-1)?.seq ?? 0;
    const hisUsers = [...(await owners())]
      .filter(([, owner]) => owner === victim)
      .map(([userId]) => userId);
    expect(hisUsers.length).toBeGreaterThan(0);

    await processes.get(victim)!.kill('SIGKILL');
    processes.delete(victim);

    await settle(() => allLiveOn(['a', 'b']), 'every user live once on a or b');
    expect(sim.peakLiveSockets(before)).toBe(1);
    expect(eventsSince(before, 'registration')).toEqual([]);
    expect(new Set(await failureCounts())).toEqual(new Set([0]));
  }, 300_000);

  it('story 3: a SIGTERMed instance hands its sessions over at once, without waiting for its leases to run out', async () => {
    const leaving = 'b';
    const before = sim.events().at(-1)?.seq ?? 0;
    const hisUsers = [...(await owners())]
      .filter(([, owner]) => owner === leaving)
      .map(([userId]) => userId);
    expect(hisUsers.length).toBeGreaterThan(0);

    await processes.get(leaving)!.kill('SIGTERM');
    processes.delete(leaving);
    // Right after it exits, none of its leases is still its own: released, not left to expire.
    const held = await owners();
    expect(hisUsers.filter((userId) => held.get(userId) === leaving)).toEqual(
      [],
    );

    await settle(() => allLiveOn(['a']), 'every user live once on a');
    expect(sim.peakLiveSockets(before)).toBe(1);
    expect(eventsSince(before, 'registration')).toEqual([]);
    expect(new Set(await failureCounts())).toEqual(new Set([0]));
  }, 300_000);
});
