/**
 * The whole app against the local WhatsApp-edge simulator: AppModule with the production
 * BaileysSocketFactory (WHATSAPP_WS_URL points at the simulator), a real database, real HTTP. Each story
 * is driven from the server side (scan, kick, refused logins) and asserted on both sides: what the API
 * reports and what the simulated edge saw.
 *
 * Gotcha inherited from Baileys (see wa-simulator.e2e-spec.ts): a socket that ends while its post-open
 * queries are in flight leaves 60 s timers behind, so every story waits for the simulator to go quiet
 * after a connection opens and before it kicks, disconnects or closes the app.
 */
import { Logger } from '@nestjs/common';
import { existsSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import request from 'supertest';
import {
  DISCONNECTED_MESSAGE,
  RESET_MESSAGE,
} from '../src/relance/dto/disconnect-response.dto';
import { SessionRestoreService } from '../src/relance/restore/session-restore.service';
import {
  SessionEvent,
  SessionEvents,
} from '../src/relance/events/session-events';
import { plantBaileysCredentials } from './support/baileys-credentials';
import type { QrBody, StatusBody } from './support/response-bodies';
import { createTestApp, makeSessionsDir, TestApp } from './support/test-app';
import { stopTestDatabase } from './support/test-database';
import { bearer, tokenFor } from './support/tokens';
import { waitUntil } from './support/wait';
import {
  isEvent,
  lifecycleLogs,
  simEventLog,
  statusWhen as statusWhenShared,
} from './support/lifecycle-observers';
import {
  WaSimulator,
  type LinkedDevice,
  type SimEventOf,
} from './support/wa-simulator';
import { trustWaSimulatorRoot } from './support/wa-simulator-trust';

const MAX_FAILURES = 3;
const RECONNECT_BASE_MS = 100;
const RECONNECT_MAX_MS = 400;
/** Well past the longest reconnect delay: a reconnect that has not started by then is not coming. */
const NO_RECONNECT_WINDOW_MS = 3 * RECONNECT_MAX_MS;
const STORY_TIMEOUT_MS = 30_000;
const QR_PATTERN =
  /^https:\/\/wa\.me\/settings\/linked_devices#[^,]+(,[^,]+){4}$/;

const APP_ENV = {
  WHATSAPP_MAX_CONNECTION_FAILURES: String(MAX_FAILURES),
  WHATSAPP_RECONNECT_BASE_MS: String(RECONNECT_BASE_MS),
  WHATSAPP_RECONNECT_MAX_MS: String(RECONNECT_MAX_MS),
  WHATSAPP_QR_WAIT_MS: '10000',
  WHATSAPP_LOGOUT_TIMEOUT_MS: '2000',
  WHATSAPP_RESTORE_JITTER_MS: '0',
  WHATSAPP_RESTORE_TIMEOUT_MS: '10000',
  RATE_LIMIT_QR_PER_MINUTE: '1000',
  RATE_LIMIT_DISCONNECT_PER_MINUTE: '1000',
};

// -----------------------------------------------------------------------------
// Harness: one simulator per story, apps and temp folders closed after it
// -----------------------------------------------------------------------------

let sim: WaSimulator;
let distrust: () => void;
const liveApps = new Set<TestApp>();
const extraDirs: string[] = [];
let warnSpy: jest.SpyInstance;
let logSpy: jest.SpyInstance;

const startApp = async (
  options: { mongoUri?: string; sessionsDir?: string } = {},
): Promise<TestApp> => {
  const testApp = await createTestApp({
    ...options,
    env: { ...APP_ENV, WHATSAPP_WS_URL: sim.url },
  });
  liveApps.add(testApp);
  return testApp;
};

const closeApp = async (
  testApp: TestApp,
  options?: { keepFiles?: boolean },
): Promise<void> => {
  liveApps.delete(testApp);
  await testApp.close(options);
};

/** One user of one app, talking HTTP with their own bearer token. */
interface Caller {
  readonly userId: string;
  readonly credsFile: string;
  getQr(): request.Test;
  status(): Promise<StatusBody>;
  disconnect(body?: object): request.Test;
}

const callerFor = async (testApp: TestApp, userId: string): Promise<Caller> => {
  const auth = bearer(await tokenFor(userId));
  const http = () => request(testApp.app.getHttpServer());
  return {
    userId,
    credsFile: join(testApp.sessionsDir, userId, 'creds.json'),
    getQr: () => http().get('/api/relance/qr').set(auth),
    status: async () =>
      (await http().get('/api/relance/status').set(auth).expect(200))
        .body as StatusBody,
    disconnect: (body) => {
      const call = http().delete('/api/relance/disconnect').set(auth);
      return body === undefined ? call : call.send(body);
    },
  };
};

// -----------------------------------------------------------------------------
// What the app logged (its decisions) and what the simulator saw
// -----------------------------------------------------------------------------

const { failureLogs, decisions, deletionLogs } = lifecycleLogs({
  warn: () => warnSpy,
  log: () => logSpy,
  maxFailures: MAX_FAILURES,
});
const { lastSeq, eventsAfter, typesAfter } = simEventLog(() => sim);

const statusWhen = (
  caller: Caller,
  predicate: (status: StatusBody) => boolean,
  what: string,
): Promise<StatusBody> =>
  statusWhenShared(caller.status, predicate, what, 10_000);

const readCreds = async (
  caller: Caller,
): Promise<{ me?: { id?: string }; registered?: boolean }> =>
  JSON.parse(await readFile(caller.credsFile, 'utf8')) as {
    me?: { id?: string };
  };

/**
 * GET /qr, then the simulated phone scans that QR: the app restarts on the 515 and opens. Resolves once the
 * API says connected and Baileys' post-open queries are answered.
 */
const linkDevice = async (
  caller: Caller,
  phone: string,
): Promise<{ device: LinkedDevice; qr: string }> => {
  const answer = await caller.getQr().expect(200);
  expect(answer.body).toEqual({
    status: 'awaiting_qr',
    qr: expect.stringMatching(QR_PATTERN) as unknown,
    qrImage: expect.stringMatching(
      /^data:image\/png;base64,[A-Za-z0-9+/=]+$/,
    ) as unknown,
  });
  const { qr } = answer.body as QrBody;
  const device = await sim.scan(qr, { phone });
  await statusWhen(caller, (s) => s.status === 'connected', 'connected');
  await sim.waitForQuiet();
  return { device, qr };
};

// -----------------------------------------------------------------------------
// Stories
// -----------------------------------------------------------------------------

afterAll(async () => {
  await stopTestDatabase();
});

describe('session lifecycle through the real app against the WhatsApp-edge simulator (e2e)', () => {
  beforeAll(() => {
    distrust = trustWaSimulatorRoot();
  });

  afterAll(async () => {
    distrust();
    await Promise.all(
      extraDirs
        .splice(0)
        .map((dir) => rm(dir, { recursive: true, force: true })),
    );
  });

  beforeEach(async () => {
    sim = await WaSimulator.start();
    warnSpy = jest.spyOn(Logger.prototype, 'warn');
    logSpy = jest.spyOn(Logger.prototype, 'log');
  });

  afterEach(async () => {
    // Never end a socket with post-open queries in flight (60 s Baileys timers); then apps, then the server.
    await sim.waitForQuiet().catch(() => undefined);
    for (const testApp of [...liveApps]) await closeApp(testApp);
    await sim.close();
    jest.restoreAllMocks();
  });

  it(
    'links a new device: GET /qr shows the real QR, the scan connects it, the 515 is not a failure and the creds are saved',
    async () => {
      const testApp = await startApp();
      const alice = await callerFor(testApp, 'sim_link');
      const mark = lastSeq();

      const { device } = await linkDevice(alice, '33611000001');

      const status = await alice.status();
      expect(status).toMatchObject({
        status: 'connected',
        connectionFailureCount: 0,
        lastDisconnectReason: { code: 515, name: 'restartRequired' },
        lastConnectionFailure: null,
        sessionStored: true,
      });
      expect(Date.parse(status.lastQrScanDate ?? '')).toBeGreaterThan(
        Date.now() - 60_000,
      );
      expect(decisions(alice.userId)).toEqual(['515 restart_required']);
      expect(failureLogs(alice.userId)).toEqual([]);
      expect((await readCreds(alice)).me?.id).toBe(device.jid);
      // The server side: one registration, the scan, the restart, then a login with the saved creds.
      expect(
        typesAfter(mark, [
          'registration',
          'pair-success',
          'restart-requested',
          'login-accepted',
          'login-refused',
        ]),
      ).toEqual([
        'registration',
        'pair-success',
        'restart-requested',
        'login-accepted',
      ]);
      expect(sim.online()).toEqual([device.user]);
    },
    STORY_TIMEOUT_MS,
  );

  it(
    'counts a spurious 401 once, keeps the files, reconnects and resets the count when the login succeeds',
    async () => {
      const testApp = await startApp();
      const bob = await callerFor(testApp, 'sim_spurious');
      const { device } = await linkDevice(bob, '33611000002');
      // A kick with 401 is "device removed" in the simulator (it refuses that device forever), so the
      // spurious 401 comes from a refused login instead: a transient 503 drops the connection, the first
      // reconnect is answered <failure reason=401>, and logins are accepted again right after it.
      sim.rejectLogins(device.user, 401);
      const mark = lastSeq();
      warnSpy.mockClear();
      logSpy.mockClear();

      expect(await sim.kick(device.user, 503)).toBe(1);
      const refused = await sim.waitFor(
        (e): e is SimEventOf<'login-refused'> =>
          e.type === 'login-refused' && e.seq > mark,
      );
      sim.acceptLogins(device.user);
      expect(refused).toMatchObject({
        jid: device.jid,
        code: 401,
        reason: 'rejected-on-demand',
      });

      const accepted = await sim.waitFor(
        (e): e is SimEventOf<'login-accepted'> =>
          e.type === 'login-accepted' && e.seq > refused.seq,
      );
      expect(accepted.jid).toBe(device.jid);
      const status = await statusWhen(
        bob,
        (s) => s.status === 'connected',
        'connected again',
      );
      await sim.waitForQuiet();

      expect(status).toMatchObject({
        connectionFailureCount: 0,
        lastDisconnectReason: { code: 401, name: 'loggedOut' },
        lastConnectionFailure: null,
        sessionStored: true,
      });
      expect(decisions(bob.userId)).toEqual([
        '503 transient',
        '401 counted_failure',
      ]);
      expect(failureLogs(bob.userId)).toEqual([
        `Connection failure 1/${MAX_FAILURES} for user ${bob.userId}`,
      ]);
      expect(deletionLogs(bob.userId)).toEqual([]);
      expect((await readCreds(bob)).me?.id).toBe(device.jid);
      expect(typesAfter(mark, ['registration', 'qr-refs-sent'])).toEqual([]);
    },
    STORY_TIMEOUT_MS,
  );

  it(
    `treats ${MAX_FAILURES} consecutive 401s as a logout: 1/${MAX_FAILURES}..${MAX_FAILURES}/${MAX_FAILURES}, deletes the session at ${MAX_FAILURES}, then offers a new QR`,
    async () => {
      const testApp = await startApp();
      const carol = await callerFor(testApp, 'sim_logout');
      const { device, qr: firstQr } = await linkDevice(carol, '33611000003');
      sim.rejectLogins(device.user, 401);
      const mark = lastSeq();
      warnSpy.mockClear();
      logSpy.mockClear();

      expect(await sim.kick(device.user, 401)).toBe(1);
      await waitUntil(() => deletionLogs(carol.userId).length > 0, {
        what: 'the threshold to delete the session',
      });
      await sleep(NO_RECONNECT_WINDOW_MS);

      expect(failureLogs(carol.userId)).toEqual(
        Array.from(
          { length: MAX_FAILURES },
          (_, i) =>
            `Connection failure ${i + 1}/${MAX_FAILURES} for user ${carol.userId}`,
        ),
      );
      expect(decisions(carol.userId)).toEqual([
        ...Array.from(
          { length: MAX_FAILURES - 1 },
          () => '401 counted_failure',
        ),
        '401 threshold_reached',
      ]);
      expect(deletionLogs(carol.userId)).toHaveLength(1);
      // Below the threshold every reconnect logged in with the stored device: its files were kept.
      const refusals = eventsAfter(mark).filter(isEvent('login-refused'));
      expect(refusals.map((e) => e.jid)).toEqual(
        Array.from({ length: MAX_FAILURES - 1 }, () => device.jid),
      );
      // At the threshold: no further attempt at all.
      expect(eventsAfter(mark).filter(isEvent('connected'))).toHaveLength(
        MAX_FAILURES - 1,
      );
      expect(existsSync(carol.credsFile)).toBe(false);
      const status = await carol.status();
      expect(status).toMatchObject({
        status: 'disconnected',
        connectionFailureCount: 0,
        lastDisconnectReason: { code: 401, name: 'loggedOut' },
        sessionStored: false,
      });
      expect(status.reconnectAttempt).toBeUndefined();

      const again = await carol.getQr().expect(200);
      expect(again.body).toMatchObject({
        status: 'awaiting_qr',
        qr: expect.stringMatching(QR_PATTERN) as unknown,
      });
      expect((again.body as QrBody).qr).not.toBe(firstQr);
      expect(typesAfter(mark, ['registration'])).toEqual(['registration']);
    },
    STORY_TIMEOUT_MS,
  );

  it(
    'stops on 440 (connection replaced): no reconnect, not counted, files kept',
    async () => {
      const testApp = await startApp();
      const dave = await callerFor(testApp, 'sim_replaced');
      const { device } = await linkDevice(dave, '33611000004');
      const mark = lastSeq();
      warnSpy.mockClear();
      logSpy.mockClear();

      expect(await sim.kick(device.user, 440)).toBe(1);
      await statusWhen(
        dave,
        (s) => s.lastDisconnectReason?.code === 440,
        'the 440 to be recorded',
      );
      await sleep(NO_RECONNECT_WINDOW_MS);

      expect(eventsAfter(mark).filter(isEvent('connected'))).toEqual([]);
      expect(decisions(dave.userId)).toEqual(['440 connection_replaced']);
      expect(failureLogs(dave.userId)).toEqual([]);
      const status = await dave.status();
      expect(status).toMatchObject({
        status: 'disconnected',
        connectionFailureCount: 0,
        lastDisconnectReason: { code: 440, name: 'connectionReplaced' },
        sessionStored: true,
      });
      expect(status.reconnectAttempt).toBeUndefined();
      expect((await readCreds(dave)).me?.id).toBe(device.jid);
    },
    STORY_TIMEOUT_MS,
  );

  it(
    'a normal disconnect closes the connection from our side, keeps the files and does not reconnect',
    async () => {
      const testApp = await startApp();
      const erin = await callerFor(testApp, 'sim_pause');
      const { device } = await linkDevice(erin, '33611000005');
      const mark = lastSeq();
      logSpy.mockClear();

      const answer = await erin.disconnect().expect(200);
      expect(answer.body).toEqual({
        success: true,
        message: DISCONNECTED_MESSAGE,
      });
      const closed = await sim.waitFor(
        (e): e is SimEventOf<'closed'> =>
          e.type === 'closed' && e.seq > mark && e.user === device.user,
      );
      expect(closed.by).toBe('client');
      await sleep(NO_RECONNECT_WINDOW_MS);

      expect(eventsAfter(mark).filter(isEvent('connected'))).toEqual([]);
      expect(eventsAfter(mark).filter(isEvent('logout'))).toEqual([]);
      expect(sim.linkedDevices(device.user)).toEqual([
        expect.objectContaining({ jid: device.jid }),
      ]);
      expect(decisions(erin.userId)).toEqual([]);
      expect((await readCreds(erin)).me?.id).toBe(device.jid);
      const status = await erin.status();
      expect(status).toMatchObject({
        status: 'disconnected',
        connectionFailureCount: 0,
        sessionStored: true,
      });
      expect(status.reconnectAttempt).toBeUndefined();
    },
    STORY_TIMEOUT_MS,
  );

  it(
    'a force disconnect logs the device out on the server and deletes the files',
    async () => {
      const testApp = await startApp();
      const frank = await callerFor(testApp, 'sim_reset');
      const { device } = await linkDevice(frank, '33611000006');
      const mark = lastSeq();

      const answer = await frank.disconnect({ force: true }).expect(200);
      expect(answer.body).toEqual({ success: true, message: RESET_MESSAGE });
      const logout = await sim.waitFor(
        (e): e is SimEventOf<'logout'> => e.type === 'logout' && e.seq > mark,
      );
      expect(logout).toMatchObject({
        user: device.user,
        jid: device.jid,
        reason: 'user_initiated',
      });
      expect(sim.linkedDevices(device.user)).toEqual([]);
      expect(existsSync(join(testApp.sessionsDir, frank.userId))).toBe(false);
      await sleep(NO_RECONNECT_WINDOW_MS);

      expect(eventsAfter(mark).filter(isEvent('connected'))).toEqual([]);
      const status = await frank.status();
      expect(status).toMatchObject({
        status: 'disconnected',
        connectionFailureCount: 0,
        sessionStored: false,
      });
    },
    STORY_TIMEOUT_MS,
  );

  it(
    'restores a connected session after a restart without any QR, and not one its user disconnected',
    async () => {
      const app1 = await startApp();
      const grace = await callerFor(app1, 'sim_restored');
      const henry = await callerFor(app1, 'sim_paused');
      const { device: graceDevice } = await linkDevice(grace, '33611000007');
      const { device: henryDevice } = await linkDevice(henry, '33611000008');
      await henry.disconnect().expect(200);
      await sim.waitFor(
        (e) => e.type === 'closed' && e.user === henryDevice.user,
      );
      await sim.waitForQuiet();

      await closeApp(app1, { keepFiles: true });
      extraDirs.push(app1.sessionsDir);
      await sim.waitFor(
        (e) => e.type === 'closed' && e.user === graceDevice.user,
      );
      expect(sim.online()).toEqual([]);
      const mark = lastSeq();

      const app2 = await startApp({
        mongoUri: app1.mongoUri,
        sessionsDir: app1.sessionsDir,
      });
      const summary = await app2.app.get(SessionRestoreService).whenFinished();
      expect(summary).toEqual({
        restored: 1,
        needsQr: 0,
        failed: 0,
        skipped: 1,
      });
      await sim.waitForQuiet();

      const seen = eventsAfter(mark);
      expect(seen.filter(isEvent('login-accepted')).map((e) => e.jid)).toEqual([
        graceDevice.jid,
      ]);
      expect(seen.filter(isEvent('connected'))).toHaveLength(1);
      expect(
        seen.filter(
          (e) => e.type === 'registration' || e.type === 'qr-refs-sent',
        ),
      ).toEqual([]);
      expect(sim.online()).toEqual([graceDevice.user]);

      const grace2 = await callerFor(app2, grace.userId);
      const henry2 = await callerFor(app2, henry.userId);
      expect(await grace2.status()).toMatchObject({
        status: 'connected',
        connectionFailureCount: 0,
        sessionStored: true,
      });
      expect((await grace2.getQr().expect(200)).body).toEqual({
        status: 'connected',
      });
      expect(await henry2.status()).toMatchObject({
        status: 'disconnected',
        sessionStored: true,
      });
    },
    STORY_TIMEOUT_MS,
  );

  it(
    'ends a restore whose stored credentials need a scan as disconnected (needs QR), without exposing a QR',
    async () => {
      const sessionsDir = await makeSessionsDir();
      extraDirs.push(sessionsDir);
      // Credentials as Baileys creates them before any scan: no `me`, so the client asks to register.
      await plantBaileysCredentials(sessionsDir, 'sim_stale');
      const emitted: Array<{ userId: string; event: SessionEvent }> = [];
      const emit = SessionEvents.prototype.emit;
      jest.spyOn(SessionEvents.prototype, 'emit').mockImplementation(function (
        this: SessionEvents,
        userId,
        event,
      ) {
        emitted.push({ userId, event });
        emit.call(this, userId, event);
      });

      const testApp = await startApp({ sessionsDir });
      const summary = await testApp.app
        .get(SessionRestoreService)
        .whenFinished();
      expect(summary).toEqual({
        restored: 0,
        needsQr: 1,
        failed: 0,
        skipped: 0,
      });

      // The client did receive QR refs from the server…
      const refs = await sim.waitFor(isEvent('qr-refs-sent'));
      const closed = await sim.waitFor(
        (e): e is SimEventOf<'closed'> =>
          e.type === 'closed' && e.conn === refs.conn,
      );
      expect(closed.by).toBe('client');
      await sleep(NO_RECONNECT_WINDOW_MS);

      // …but the app neither published one nor kept trying.
      const stale = emitted.filter((e) => e.userId === 'sim_stale');
      expect(stale.filter((e) => e.event.type === 'qr')).toEqual([]);
      expect(stale.map((e) => e.event)).toContainEqual(
        expect.objectContaining({
          type: 'status',
          status: 'disconnected',
          reason: 'needs_qr',
        }),
      );
      expect(sim.events().filter(isEvent('connected'))).toHaveLength(1);
      expect(sim.events().filter(isEvent('pair-success'))).toEqual([]);
      const caller = await callerFor(testApp, 'sim_stale');
      const status = await caller.status();
      expect(status).toMatchObject({
        status: 'disconnected',
        connectionFailureCount: 0,
      });
      expect(status.reconnectAttempt).toBeUndefined();
    },
    STORY_TIMEOUT_MS,
  );
});
