import { SessionOwnership } from '../../cluster/ownership/session-ownership';
import { SingleInstanceOwnership } from '../../cluster/ownership/single-instance-ownership';
import { Logger } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import {
  FakeSocketFactory,
  settle,
} from '../../../test/support/fake-socket-factory';
import { InMemoryCredentialStore } from '../../../test/support/in-memory-credential-store';
import { InMemoryRelanceConfigRepository } from '../../../test/support/in-memory-relance-config.repository';
import { waitUntil } from '../../../test/support/wait';
import {
  loadWhatsAppConfig,
  whatsappConfig,
} from '../../config/whatsapp.config';
import { SessionCredentialStore } from '../credentials/session-credential-store';
import { SessionEvents } from '../events/session-events';
import { ReconnectScheduler } from '../reconnect/reconnect-scheduler';
import { RelanceConfigRepository } from '../relance-config.repository';
import { RetryPolicy } from '../retry/retry-policy';
import { SessionStatusReader } from '../status/session-status.reader';
import { SessionSupervisor } from '../supervisor/session-supervisor';
import { UserLocks } from '../../common/user-locks';
import { WhatsAppSocketFactory } from '../supervisor/whatsapp-socket';
import { SessionLifecycleService } from './session-lifecycle.service';

const USER = 'u1';

describe('SessionLifecycleService', () => {
  let service: SessionLifecycleService;
  let statuses: SessionStatusReader;
  let factory: FakeSocketFactory;
  let repository: InMemoryRelanceConfigRepository;
  let reconnects: ReconnectScheduler;
  let credentials: InMemoryCredentialStore;
  let supervisor: SessionSupervisor;
  let logs: string[];

  beforeEach(async () => {
    credentials = new InMemoryCredentialStore();
    factory = new FakeSocketFactory();
    repository = new InMemoryRelanceConfigRepository();
    const config = loadWhatsAppConfig({
      WHATSAPP_QR_WAIT_MS: '200',
      WHATSAPP_RECONNECT_BASE_MS: '600000',
      WHATSAPP_RECONNECT_MAX_MS: '600000',
      WHATSAPP_LOGOUT_TIMEOUT_MS: '100',
    });
    const moduleRef = await Test.createTestingModule({
      providers: [
        SessionLifecycleService,
        SessionSupervisor,
        SessionStatusReader,
        RetryPolicy,
        UserLocks,
        SessionEvents,
        ReconnectScheduler,
        { provide: SessionOwnership, useClass: SingleInstanceOwnership },
        { provide: whatsappConfig.KEY, useValue: config },
        { provide: WhatsAppSocketFactory, useValue: factory },
        { provide: RelanceConfigRepository, useValue: repository },
        { provide: SessionCredentialStore, useValue: credentials },
      ],
    }).compile();
    service = moduleRef.get(SessionLifecycleService);
    statuses = moduleRef.get(SessionStatusReader);
    reconnects = moduleRef.get(ReconnectScheduler);
    supervisor = moduleRef.get(SessionSupervisor);
    logs = [];
    for (const level of ['log', 'warn'] as const) {
      jest
        .spyOn(Logger.prototype, level)
        .mockImplementation((...args: unknown[]) => {
          logs.push(String(args[0]));
        });
    }
  });

  afterEach(() => {
    reconnects.cancelAll();
    jest.restoreAllMocks();
  });

  const count = () => repository.docs.get(USER)?.connectionFailureCount;

  /** A linked user whose stored session opens. */
  async function connectedUser(): Promise<void> {
    credentials.plant(USER);
    factory.onCreate = (socket) => setImmediate(() => socket.open());
    await expect(service.generateQRCode(USER)).resolves.toEqual({
      status: 'connected',
    });
    factory.onCreate = undefined;
  }

  /** The next counted close comes from a fresh socket, as a reconnect would make. */
  async function reconnectNow(): Promise<void> {
    reconnects.cancel(USER);
    await supervisor.startInBackground(USER);
  }

  it('1. one failure then recovery: counted once, files kept, the open resets the count', async () => {
    await connectedUser();
    factory.latest(USER).close(401);
    await settle();
    expect(count()).toBe(1);
    expect(credentials.has(USER)).toBe(true);
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
      expect(credentials.has(USER)).toBe(true);
      await reconnectNow();
    }
    factory.latest(USER).close(403);
    await waitUntil(() => !credentials.has(USER), {
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
    expect(credentials.has(USER)).toBe(false);
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
    expect(credentials.has(USER)).toBe(false);
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
    expect(credentials.has(USER)).toBe(true);
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
    expect(credentials.has(USER)).toBe(true);
  });

  it('7. ignores the events of a superseded socket', async () => {
    await connectedUser();
    const old = factory.latest(USER);
    await service.disconnect(USER, false);
    await supervisor.startInBackground(USER);
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
    for (let failure = 1; failure < 3; failure += 1) {
      factory.latest(USER).close(401);
      await settle();
      await reconnectNow();
    }
    expect(count()).toBe(2);
    const socket = factory.latest(USER);
    socket.close(401);
    socket.close(401);
    await waitUntil(() => !credentials.has(USER), {
      what: 'the session files to be deleted',
    });
    await settle();
    expect(credentials.deletions).toEqual([USER]);
    expect(count()).toBe(0);
    expect(credentials.has(USER)).toBe(false);
  });

  it('never shows a QR from a background start: stored credentials that need a scan end as disconnected', async () => {
    credentials.plant(USER);
    await supervisor.startInBackground(USER);
    const socket = factory.latest(USER);
    socket.qr('should-not-be-shown');
    await settle();
    expect(socket.ended).toBe(true);
    expect((await statuses.getStatus(USER)).status).toBe('disconnected');
    expect(reconnects.pending(USER)).toBeUndefined();
  });

  it('deletes a session whose stored count is already at the threshold before offering a new QR', async () => {
    credentials.plant(USER);
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
    expect(credentials.has(USER)).toBe(false);
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
  describe('requestPairingCode', () => {
    const PHONE = '33612345678';

    it('answers with the code the socket got at its first QR, and the status says awaiting_pairing', async () => {
      factory.onCreate = (socket) => setImmediate(() => socket.qr('qr-1'));
      const outcome = await service.requestPairingCode(USER, PHONE);
      expect(outcome).toEqual({
        status: 'awaiting_pairing',
        pairing: {
          code: 'PAIR-0001',
          expiresAt: expect.any(Date) as unknown,
        },
      });
      expect(factory.latest(USER).pairingRequests).toEqual([PHONE]);
      expect((await statuses.getStatus(USER)).status).toBe('awaiting_pairing');
    });

    it('answers connected for a linked user, without asking for a code', async () => {
      await connectedUser();
      await expect(service.requestPairingCode(USER, PHONE)).resolves.toEqual({
        status: 'connected',
      });
      expect(factory.latest(USER).pairingRequests).toEqual([]);
    });

    it('answers disconnected when the attempt ends before any code, and connecting when nothing came in time', async () => {
      factory.onCreate = (socket) => setImmediate(() => socket.close(428));
      await expect(service.requestPairingCode(USER, PHONE)).resolves.toEqual({
        status: 'disconnected',
      });
      factory.onCreate = undefined;
      await expect(service.requestPairingCode(USER, PHONE)).resolves.toEqual({
        status: 'connecting',
      });
    });

    it('is refused with 503 once shutdown has begun', async () => {
      service.refuseNewCommands();
      await expect(
        service.requestPairingCode(USER, PHONE),
      ).rejects.toMatchObject({ status: 503 });
      expect(factory.sockets).toHaveLength(0);
    });
  });
});
