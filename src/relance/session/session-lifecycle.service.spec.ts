import { Logger } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  FakeSocketFactory,
  plantStoredSession,
  settle,
} from '../../../test/support/fake-socket-factory';
import { waitUntil } from '../../../test/support/wait';
import { InMemoryRelanceConfigRepository } from '../../../test/support/in-memory-relance-config.repository';
import {
  loadWhatsAppConfig,
  whatsappConfig,
} from '../../config/whatsapp.config';
import { ReconnectScheduler } from '../reconnect/reconnect-scheduler';
import { RelanceConfigRepository } from '../relance-config.repository';
import { RetryPolicy } from '../retry/retry-policy';
import { DatabaseRetry } from './database-retry';
import {
  LifecycleTelemetry,
  NoopLifecycleTelemetry,
} from './lifecycle-telemetry';
import { SessionEvents } from './session-events';
import { SessionFiles } from './session-files';
import { ConnectionEventHandler } from './connection-event.handler';
import { SessionLifecycleService } from './session-lifecycle.service';
import { SessionStatusReader } from './session-status.reader';
import { SessionRegistry } from './session-registry';
import { UserLocks } from './user-locks';
import { WhatsAppSocketFactory } from './whatsapp-socket';

const USER = 'u1';

describe('SessionLifecycleService', () => {
  let service: SessionLifecycleService;
  let statuses: SessionStatusReader;
  let factory: FakeSocketFactory;
  let repository: InMemoryRelanceConfigRepository;
  let reconnects: ReconnectScheduler;
  let sessionsDir: string;
  let logs: string[];

  beforeEach(async () => {
    sessionsDir = await mkdtemp(join(tmpdir(), 'lifecycle-spec-'));
    factory = new FakeSocketFactory();
    repository = new InMemoryRelanceConfigRepository();
    const config = loadWhatsAppConfig({
      WHATSAPP_SESSIONS_DIR: sessionsDir,
      WHATSAPP_QR_WAIT_MS: '200',
      WHATSAPP_RECONNECT_BASE_MS: '600000',
      WHATSAPP_RECONNECT_MAX_MS: '600000',
      WHATSAPP_LOGOUT_TIMEOUT_MS: '100',
    });
    const moduleRef = await Test.createTestingModule({
      providers: [
        SessionLifecycleService,
        ConnectionEventHandler,
        SessionStatusReader,
        RetryPolicy,
        SessionFiles,
        SessionRegistry,
        UserLocks,
        SessionEvents,
        ReconnectScheduler,
        DatabaseRetry,
        { provide: whatsappConfig.KEY, useValue: config },
        { provide: WhatsAppSocketFactory, useValue: factory },
        { provide: RelanceConfigRepository, useValue: repository },
        { provide: LifecycleTelemetry, useClass: NoopLifecycleTelemetry },
      ],
    }).compile();
    service = moduleRef.get(SessionLifecycleService);
    statuses = moduleRef.get(SessionStatusReader);
    reconnects = moduleRef.get(ReconnectScheduler);
    logs = [];
    for (const level of ['log', 'warn'] as const) {
      jest
        .spyOn(Logger.prototype, level)
        .mockImplementation((...args: unknown[]) => {
          logs.push(String(args[0]));
        });
    }
  });

  afterEach(async () => {
    reconnects.cancelAll();
    jest.restoreAllMocks();
    await rm(sessionsDir, { recursive: true, force: true });
  });

  const sessionDir = () => join(sessionsDir, USER);
  const count = () => repository.docs.get(USER)?.connectionFailureCount;

  /** A linked user whose stored session opens. */
  async function connectedUser(): Promise<void> {
    await plantStoredSession(sessionsDir, USER);
    factory.onCreate = (socket) => setImmediate(() => socket.open());
    await expect(service.generateQRCode(USER)).resolves.toEqual({
      status: 'connected',
    });
    factory.onCreate = undefined;
  }

  /** The next counted close comes from a fresh socket, as a reconnect would make. */
  async function reconnectNow(): Promise<void> {
    reconnects.cancel(USER);
    await service.startInBackground(USER);
  }

  it('1. one failure then recovery: counted once, files kept, the open resets the count', async () => {
    await connectedUser();
    factory.latest(USER).close(401);
    await settle();
    expect(count()).toBe(1);
    expect(existsSync(sessionDir())).toBe(true);
    expect(logs).toContain('Connection failure 1/3 for user u1');
    expect(logs).toContain('Keeping session files for retry (1/3 failures)');
    expect(reconnects.pending(USER)?.attempt).toBe(1);

    await reconnectNow();
    factory.latest(USER).open();
    await settle();
    expect(count()).toBe(0);
    expect(repository.docs.get(USER)?.lastConnectionFailure).toBeUndefined();
    expect(logs).toContain('✓ Successfully connected for user u1');
    expect((await statuses.getStatus(USER)).status).toBe('connected');
  });

  it('2. deletes the session files on exactly the 3rd consecutive failure', async () => {
    await connectedUser();
    for (const expected of [1, 2]) {
      factory.latest(USER).close(403);
      await settle();
      expect(count()).toBe(expected);
      expect(existsSync(sessionDir())).toBe(true);
      await reconnectNow();
    }
    factory.latest(USER).close(403);
    await waitUntil(() => !existsSync(sessionDir()), {
      what: 'the session files to be deleted',
    });
    expect(count()).toBe(0);
    expect(logs).toContain('Connection failure 3/3 for user u1');
    expect(logs).toContain(
      'User u1 - 3 consecutive failures, deleting session files',
    );
    expect(reconnects.pending(USER)).toBeUndefined();
  });

  it('3. force disconnect logs out, deletes the files and clears the count', async () => {
    await connectedUser();
    factory.latest(USER).close(401);
    await settle();
    await reconnectNow();
    factory.latest(USER).open();
    await settle();
    await service.disconnect(USER, true);
    const socket = factory.latest(USER);
    expect(socket.loggedOut).toBe(true);
    expect(socket.ended).toBe(true);
    expect(existsSync(sessionDir())).toBe(false);
    expect(repository.docs.get(USER)).toMatchObject({
      connectionFailureCount: 0,
      whatsappStatus: 'disconnected',
    });
    expect(logs).toEqual(
      expect.arrayContaining([
        'Disconnecting user u1 (FORCE)',
        'Force disconnect - deleting session files for user u1',
      ]),
    );
  });

  it('3b. force disconnect still resets when the logout hangs', async () => {
    await connectedUser();
    factory.latest(USER).logoutBehaviour = 'hang';
    await service.disconnect(USER, true);
    expect(existsSync(sessionDir())).toBe(false);
  });

  it('4. normal disconnect keeps the files and leaves the count unchanged; its close is not counted', async () => {
    await connectedUser();
    factory.latest(USER).close(500);
    await settle();
    await reconnectNow();
    await service.disconnect(USER, false);
    const socket = factory.latest(USER);
    expect(socket.ended).toBe(true);
    socket.close(428); // the close our own end() produces
    await settle();
    expect(count()).toBe(1);
    expect(existsSync(sessionDir())).toBe(true);
    expect(reconnects.pending(USER)).toBeUndefined();
    expect(repository.docs.get(USER)?.disconnectedByUser).toBe(true);
  });

  it('5. a 515 right after a QR scan is not counted and restarts at once', async () => {
    factory.onCreate = (socket) => setImmediate(() => socket.qr('qr-1'));
    await expect(service.generateQRCode(USER)).resolves.toEqual({
      status: 'awaiting_qr',
      qr: 'qr-1',
    });
    factory.onCreate = undefined;
    const scanned = factory.latest(USER);
    scanned.paired();
    scanned.close(515);
    await settle();
    expect(factory.socketsFor(USER)).toHaveLength(2);
    factory.latest(USER).open();
    await settle();
    expect(count()).toBe(0);
    expect(repository.docs.get(USER)?.lastQrScanDate).toBeInstanceOf(Date);
    expect(logs.some((line) => line.startsWith('Connection failure'))).toBe(
      false,
    );
  });

  it('6. 440 (replaced elsewhere) does not reconnect and is not counted', async () => {
    await connectedUser();
    factory.latest(USER).close(440);
    await settle();
    expect(count()).toBe(0);
    expect(reconnects.pending(USER)).toBeUndefined();
    expect(factory.socketsFor(USER)).toHaveLength(1);
    expect(existsSync(sessionDir())).toBe(true);
  });

  it('7. ignores the events of a superseded socket', async () => {
    await connectedUser();
    const old = factory.latest(USER);
    await service.disconnect(USER, false);
    await service.startInBackground(USER);
    const current = factory.latest(USER);
    expect(current).not.toBe(old);
    old.close(401);
    old.open();
    await settle();
    expect(count()).toBe(0);
    expect((await statuses.getStatus(USER)).status).toBe('connecting');
  });

  it('8. racing counted closes at threshold-1 cross it exactly once, ending at count 0', async () => {
    await connectedUser();
    repository.docs.get(USER)!.connectionFailureCount = 2;
    const deletions = jest.spyOn(SessionFiles.prototype, 'delete');
    const socket = factory.latest(USER);
    socket.close(401);
    socket.close(401);
    await waitUntil(() => !existsSync(sessionDir()), {
      what: 'the session files to be deleted',
    });
    await settle();
    expect(deletions).toHaveBeenCalledTimes(1);
    expect(count()).toBe(0);
    expect(existsSync(sessionDir())).toBe(false);
  });

  it('8b. racing threshold resets across processes: exactly one caller wins', async () => {
    repository.docs.set(USER, {
      userId: USER,
      whatsappStatus: 'connected',
      connectionFailureCount: 2,
      disconnectedByUser: false,
    });
    const close = {
      countFailure: true,
      reason: { code: 401, name: 'loggedOut' },
      status: 'disconnected' as const,
      at: new Date(),
    };
    const [a, b] = await Promise.all([
      repository.recordClose(USER, close),
      repository.recordClose(USER, close),
    ]);
    const wins = await Promise.all([
      repository.resetAfterThreshold(USER, a),
      repository.resetAfterThreshold(USER, b),
    ]);
    expect(wins.filter(Boolean)).toHaveLength(1);
    expect(count()).toBe(0);
  });

  it('never shows a QR from a background start: stored credentials that need a scan end as disconnected', async () => {
    await plantStoredSession(sessionsDir, USER);
    await service.startInBackground(USER);
    const socket = factory.latest(USER);
    socket.qr('should-not-be-shown');
    await settle();
    expect(socket.ended).toBe(true);
    expect((await statuses.getStatus(USER)).status).toBe('disconnected');
    expect(reconnects.pending(USER)).toBeUndefined();
  });

  it('deletes a session whose stored count is already at the threshold before offering a new QR', async () => {
    await plantStoredSession(sessionsDir, USER);
    repository.docs.set(USER, {
      userId: USER,
      whatsappStatus: 'disconnected',
      connectionFailureCount: 3,
      disconnectedByUser: false,
    });
    factory.onCreate = (socket) => setImmediate(() => socket.qr('fresh'));
    await expect(service.generateQRCode(USER)).resolves.toEqual({
      status: 'awaiting_qr',
      qr: 'fresh',
    });
    expect(existsSync(join(sessionDir(), 'creds.json'))).toBe(false);
    expect(count()).toBe(0);
  });

  it('a new GET /qr cancels a pending reconnect and takes over at once', async () => {
    await connectedUser();
    factory.latest(USER).close(428);
    await settle();
    expect(reconnects.pending(USER)).toBeDefined();
    factory.onCreate = (socket) => setImmediate(() => socket.open());
    await expect(service.generateQRCode(USER)).resolves.toEqual({
      status: 'connected',
    });
    expect(reconnects.pending(USER)).toBeUndefined();
  });

  it('does not reschedule a reconnect that was under way when shutdown began', async () => {
    await connectedUser();
    const runs: Array<() => void> = [];
    const schedule = jest
      .spyOn(reconnects, 'schedule')
      .mockImplementation((_userId, run) => {
        runs.push(run);
        return { attempt: runs.length, at: new Date() };
      });
    factory.latest(USER).close(428);
    await settle();
    expect(runs).toHaveLength(1);

    await service.shutDown(100);
    // The reconnect timer fired just as shutdown began: the attempt is refused.
    runs[0]();
    await settle();

    expect(schedule).toHaveBeenCalledTimes(1);
  });
});
