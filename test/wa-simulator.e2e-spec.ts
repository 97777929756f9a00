/**
 * Drives a raw, unmodified Baileys socket against the local WhatsApp-edge simulator through every lifecycle
 * story the sessions service has to survive. Each story asserts both sides: what Baileys reported
 * (connection.update / creds.update) and what the simulated server recorded.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import {
  makeWASocket,
  useMultiFileAuthState,
  type AuthenticationCreds,
  type ConnectionState,
  type WASocket,
} from '@whiskeysockets/baileys';
import {
  WaSimulator,
  type LinkedDevice,
  type SimEvent,
  type SimEventOf,
  type SimEventType,
} from './support/wa-simulator';
import { trustWaSimulatorRoot } from './support/wa-simulator-trust';

const STORY_TIMEOUT_MS = 15_000;
const WAIT_TIMEOUT_MS = 5_000;

// Set WA_SIM_LOG_LEVEL=debug to see what Baileys does while a story runs.
const logger = pino({ level: process.env.WA_SIM_LOG_LEVEL ?? 'silent' });

// -----------------------------------------------------------------------------
// A thin recorder around one Baileys socket
// -----------------------------------------------------------------------------

type ConnectionUpdate = Partial<ConnectionState>;

interface Client {
  readonly sock: WASocket;
  readonly updates: ConnectionUpdate[];
  readonly credsUpdates: Partial<AuthenticationCreds>[];
  /** Resolves with the first update (past or future) matching the predicate. */
  update(
    predicate: (update: ConnectionUpdate) => boolean,
  ): Promise<ConnectionUpdate>;
  /** Resolves once every creds.update has been written to the auth dir. */
  credsSaved(): Promise<void>;
}

const openSockets: WASocket[] = [];
const authDirs: string[] = [];

const statusCodeOf = (update: ConnectionUpdate): number | undefined => {
  const error = update.lastDisconnect?.error;
  return error && 'output' in error ? error.output.statusCode : undefined;
};

const newAuthDir = async (): Promise<string> => {
  const dir = await mkdtemp(join(tmpdir(), 'wa-sim-auth-'));
  authDirs.push(dir);
  return dir;
};

/** A socket exactly as an app would build it: multi-file auth state, creds saved on every update. */
const connect = async (
  sim: WaSimulator,
  authDir: string,
  qrTimeout?: number,
): Promise<Client> => {
  const { state, saveCreds } = await useMultiFileAuthState(authDir);
  const sock = makeWASocket({
    auth: state,
    waWebSocketUrl: sim.url,
    logger,
    ...(qrTimeout === undefined ? {} : { qrTimeout }),
  });
  openSockets.push(sock);

  const updates: ConnectionUpdate[] = [];
  const credsUpdates: Partial<AuthenticationCreds>[] = [];
  const listeners = new Set<() => void>();
  let saving = Promise.resolve();

  sock.ev.on('creds.update', (update) => {
    credsUpdates.push(update);
    saving = saving.then(saveCreds);
  });
  sock.ev.on('connection.update', (update) => {
    updates.push(update);
    for (const listener of [...listeners]) listener();
  });

  const update = (
    predicate: (u: ConnectionUpdate) => boolean,
  ): Promise<ConnectionUpdate> =>
    new Promise((resolve, reject) => {
      const check = (): boolean => {
        const found = updates.find(predicate);
        if (found) {
          listeners.delete(listener);
          clearTimeout(timer);
          resolve(found);
        }
        return found !== undefined;
      };
      const listener = (): void => void check();
      const timer = setTimeout(() => {
        listeners.delete(listener);
        reject(
          new Error(
            `no matching connection.update; got ${JSON.stringify(updates.map(summarize))}`,
          ),
        );
      }, WAIT_TIMEOUT_MS);
      listeners.add(listener);
      check();
    });

  return { sock, updates, credsUpdates, update, credsSaved: () => saving };
};

const summarize = (update: ConnectionUpdate): Record<string, unknown> => ({
  connection: update.connection,
  qr: update.qr === undefined ? undefined : 'qr',
  isNewLogin: update.isNewLogin,
  code: statusCodeOf(update),
});

const nextQr = async (client: Client): Promise<string> => {
  const { qr } = await client.update((u) => typeof u.qr === 'string');
  return qr ?? '';
};

/**
 * Waits for 'open', then for the simulator to go quiet: Baileys' post-open queries must be answered before
 * the connection ends, or their 60 s timers outlive the test (see WaSimulator.waitForQuiet).
 */
const opened = async (sim: WaSimulator, client: Client): Promise<void> => {
  await client.update((u) => u.connection === 'open');
  await sim.waitForQuiet();
};

interface CloseReason {
  readonly code: number | undefined;
  /** Baileys' Boom message, e.g. "Stream Errored (conflict)": tells which stanza caused the close. */
  readonly message: string | undefined;
}

const closeReason = async (client: Client): Promise<CloseReason> => {
  const update = await client.update((u) => u.connection === 'close');
  return {
    code: statusCodeOf(update),
    message: update.lastDisconnect?.error?.message,
  };
};

const isEvent =
  <T extends SimEventType>(type: T) =>
  (event: SimEvent): event is SimEventOf<T> =>
    event.type === type;

/** The lifecycle of one connection as the server saw it, without the iq chatter. */
const lifecycleOf = (sim: WaSimulator, conn: number): SimEventType[] =>
  sim
    .events()
    .filter(
      (e) => e.conn === conn && e.type !== 'iq' && e.type !== 'unknown-iq',
    )
    .map((e) => e.type);

// -----------------------------------------------------------------------------
// Story building blocks
// -----------------------------------------------------------------------------

/** New device -> QR -> the phone scans -> 515: returns the auth dir holding the linked creds. */
const linkNewDevice = async (
  sim: WaSimulator,
  phone: string,
): Promise<{ authDir: string; device: LinkedDevice }> => {
  const authDir = await newAuthDir();
  const client = await connect(sim, authDir);
  const device = await sim.scan(await nextQr(client), { phone });
  expect(await closeReason(client)).toEqual({
    code: 515,
    message: 'Stream Errored (restart required)',
  });
  await client.credsSaved();
  return { authDir, device };
};

/** Links a device then logs it in: the state every server-side story starts from. */
const loggedInClient = async (
  sim: WaSimulator,
  phone: string,
): Promise<{ client: Client; authDir: string; device: LinkedDevice }> => {
  const { authDir, device } = await linkNewDevice(sim, phone);
  const client = await connect(sim, authDir);
  await opened(sim, client);
  return { client, authDir, device };
};

// -----------------------------------------------------------------------------
// Stories
// -----------------------------------------------------------------------------

describe('WaSimulator driving an unmodified Baileys socket', () => {
  let sim: WaSimulator;
  let distrust: () => void;

  beforeAll(() => {
    distrust = trustWaSimulatorRoot();
  });

  afterAll(async () => {
    distrust();
    await Promise.all(
      authDirs.map((dir) => rm(dir, { recursive: true, force: true })),
    );
  });

  beforeEach(async () => {
    sim = await WaSimulator.start();
  });

  afterEach(async () => {
    await sim.waitForQuiet();
    for (const sock of openSockets.splice(0)) await sock.end(undefined);
    await sim.close();
  });

  it(
    'registers a new device: QR, scan, creds + isNewLogin, 515, then opens with the saved creds',
    async () => {
      const authDir = await newAuthDir();
      const registering = await connect(sim, authDir);

      const qr = await nextQr(registering);
      expect(qr).toMatch(
        /^https:\/\/wa\.me\/settings\/linked_devices#[^,]+(,[^,]+){4}$/,
      );
      const refsSent = await sim.waitFor(isEvent('qr-refs-sent'));
      expect(refsSent.refs).toContain(qr.split('#')[1].split(',')[0]);

      const device = await sim.scan(qr, { phone: '33600000001' });
      expect(device).toMatchObject({
        user: '33600000001',
        deviceId: 1,
        jid: '33600000001:1@s.whatsapp.net',
      });
      expect(await closeReason(registering)).toEqual({
        code: 515,
        message: 'Stream Errored (restart required)',
      });
      expect(registering.updates).toContainEqual(
        expect.objectContaining({ isNewLogin: true }),
      );
      expect(registering.credsUpdates).toContainEqual(
        expect.objectContaining({
          me: expect.objectContaining({ id: device.jid, lid: device.lid }),
        }),
      );
      await sim.waitFor((e) => e.type === 'closed' && e.conn === refsSent.conn);
      expect(lifecycleOf(sim, refsSent.conn)).toEqual([
        'connected',
        'registration',
        'qr-refs-sent',
        'pair-success',
        'paired',
        'restart-requested',
        'closed',
      ]);

      await registering.credsSaved();
      const loggingIn = await connect(sim, authDir); // fresh auth state, read back from disk
      await opened(sim, loggingIn);
      expect(loggingIn.sock.user?.id).toBe(device.jid);
      expect(WaSimulator.userOf(loggingIn.sock.user?.id ?? '')).toBe(
        device.user,
      );
      const accepted = await sim.waitFor(isEvent('login-accepted'));
      expect(accepted).toMatchObject({ user: device.user, jid: device.jid });
      expect(sim.online()).toEqual([device.user]);
      // Baileys waits for these answers before emitting 'open'.
      const answered = sim
        .events()
        .filter(
          (e): e is SimEventOf<'iq'> =>
            e.type === 'iq' && e.conn === accepted.conn,
        )
        .map((e) => `${e.xmlns}/${e.child ?? ''}`);
      expect(answered).toEqual(
        expect.arrayContaining([
          'encrypt/count',
          'passive/active',
          'encrypt/digest',
        ]),
      );
      // The server reported enough pre-keys, so Baileys had nothing to upload.
      expect(sim.linkedDevices(device.user)).toEqual([
        expect.objectContaining({ jid: device.jid, preKeysOnServer: 812 }),
      ]);
    },
    STORY_TIMEOUT_MS,
  );

  it(
    'kick 401 (device removed) closes the client with 401 and refuses its later logins',
    async () => {
      const { client, authDir, device } = await loggedInClient(
        sim,
        '33600000002',
      );

      expect(await sim.kick(device.user, 401)).toBe(1);
      expect(await closeReason(client)).toEqual({
        code: 401,
        message: 'Stream Errored (conflict)',
      });
      await sim.waitFor((e) => e.type === 'closed' && e.user === device.user);
      expect(sim.online()).toEqual([]);

      const again = await connect(sim, authDir);
      expect(await closeReason(again)).toEqual({
        code: 401,
        message: 'Connection Failure',
      });
      expect(await sim.waitFor(isEvent('login-refused'))).toMatchObject({
        jid: device.jid,
        code: 401,
        reason: 'device-removed',
      });
    },
    STORY_TIMEOUT_MS,
  );

  it.each([
    [440, 'Stream Errored (conflict)'],
    [503, 'Stream Errored (unknown)'],
    [515, 'Stream Errored (restart required)'],
  ])(
    'kick %i closes the client with that code ("%s") and the device can log in again',
    async (code, message) => {
      const { client, authDir, device } = await loggedInClient(
        sim,
        `3360000${code}`,
      );

      expect(await sim.kick(device.user, code)).toBe(1);
      expect(await closeReason(client)).toEqual({ code, message });
      expect(await sim.waitFor(isEvent('kick'))).toMatchObject({
        user: device.user,
        code,
      });

      const again = await connect(sim, authDir);
      await opened(sim, again);
      expect(sim.online()).toEqual([device.user]);
    },
    STORY_TIMEOUT_MS,
  );

  it(
    'rejectLogins(401) answers the next login with <failure reason=401>; acceptLogins lets it back in',
    async () => {
      const { authDir, device } = await linkNewDevice(sim, '33600000003');

      sim.rejectLogins(device.user, 401);
      const refused = await connect(sim, authDir);
      expect(await closeReason(refused)).toEqual({
        code: 401,
        message: 'Connection Failure',
      });
      expect(await sim.waitFor(isEvent('login-refused'))).toMatchObject({
        user: device.user,
        code: 401,
        reason: 'rejected-on-demand',
      });
      expect(refused.updates.some((u) => u.connection === 'open')).toBe(false);

      sim.acceptLogins(device.user);
      const accepted = await connect(sim, authDir);
      await opened(sim, accepted);
      expect(sim.online()).toEqual([device.user]);
    },
    STORY_TIMEOUT_MS,
  );

  it(
    'sock.logout() is recorded as a logout of that device and later logins are refused with 401',
    async () => {
      const { client, authDir, device } = await loggedInClient(
        sim,
        '33600000004',
      );

      await client.sock.logout();
      expect(await closeReason(client)).toEqual({
        code: 401,
        message: 'Intentional Logout',
      });
      expect(await sim.waitFor(isEvent('logout'))).toMatchObject({
        user: device.user,
        jid: device.jid,
        reason: 'user_initiated',
      });
      expect(sim.linkedDevices(device.user)).toEqual([]);

      const again = await connect(sim, authDir);
      expect(await closeReason(again)).toEqual({
        code: 401,
        message: 'Connection Failure',
      });
      expect(await sim.waitFor(isEvent('login-refused'))).toMatchObject({
        jid: device.jid,
        reason: 'device-removed',
      });
    },
    STORY_TIMEOUT_MS,
  );

  it(
    'closes with 408 once every QR ref has expired and nobody scanned',
    async () => {
      const client = await connect(sim, await newAuthDir(), 100);

      expect(await closeReason(client)).toEqual({
        code: 408,
        message: 'QR refs attempts ended',
      });
      const { refs } = await sim.waitFor(isEvent('qr-refs-sent'));
      const qrs = client.updates.flatMap((u) => (u.qr ? [u.qr] : []));
      expect(qrs).toHaveLength(refs.length);
      expect(qrs.map((qr) => qr.split('#')[1].split(',')[0])).toEqual(refs);
      expect(sim.events().some((e) => e.type === 'pair-success')).toBe(false);
    },
    STORY_TIMEOUT_MS,
  );
});
