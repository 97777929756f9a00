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
import {
  loadWhatsAppConfig,
  whatsappConfig,
} from '../../config/whatsapp.config';
import { SessionCredentialStore } from '../credentials/session-credential-store';
import { SessionEvent, SessionEvents } from '../events/session-events';
import { ReconnectScheduler } from '../reconnect/reconnect-scheduler';
import { RelanceConfigRepository } from '../relance-config.repository';
import { RetryPolicy } from '../retry/retry-policy';
import { SessionSupervisor } from './session-supervisor';
import { UserLocks } from '../../common/user-locks';
import { WhatsAppSocketFactory } from './whatsapp-socket';

const USER = 'u1';
const MAX = 3;

interface Harness {
  supervisor: SessionSupervisor;
  factory: FakeSocketFactory;
  repository: InMemoryRelanceConfigRepository;
  credentials: InMemoryCredentialStore;
  reconnects: ReconnectScheduler;
  events: SessionEvent[];
}

async function harness(): Promise<Harness> {
  const factory = new FakeSocketFactory();
  const repository = new InMemoryRelanceConfigRepository();
  const credentials = new InMemoryCredentialStore();
  const moduleRef = await Test.createTestingModule({
    providers: [
      SessionSupervisor,
      RetryPolicy,
      UserLocks,
      SessionEvents,
      ReconnectScheduler,
      { provide: SessionOwnership, useClass: SingleInstanceOwnership },
      {
        provide: whatsappConfig.KEY,
        useValue: loadWhatsAppConfig({
          WHATSAPP_MAX_CONNECTION_FAILURES: String(MAX),
          WHATSAPP_RECONNECT_BASE_MS: '600000',
          WHATSAPP_RECONNECT_MAX_MS: '600000',
        }),
      },
      { provide: WhatsAppSocketFactory, useValue: factory },
      { provide: RelanceConfigRepository, useValue: repository },
      { provide: SessionCredentialStore, useValue: credentials },
    ],
  }).compile();
  const events: SessionEvent[] = [];
  moduleRef
    .get(SessionEvents)
    .subscribeAll((_userId, event) => events.push(event));
  return {
    supervisor: moduleRef.get(SessionSupervisor),
    factory,
    repository,
    credentials,
    reconnects: moduleRef.get(ReconnectScheduler),
    events,
  };
}

/** A linked user whose socket is open, with `prior` counted failures stored before it opened. */
async function openSession(h: Harness, prior: number): Promise<void> {
  h.credentials.plant(USER);
  await h.supervisor.startInBackground(USER);
  h.factory.latest(USER).open();
  await settle();
  // The count the next close decides from, as a reconnect would carry it.
  for (let i = 0; i < prior; i += 1) {
    h.factory.latest(USER).close(401);
    await settle();
    h.reconnects.cancel(USER);
    await h.supervisor.startInBackground(USER);
  }
}

const stored = (h: Harness) => h.repository.docs.get(USER);
const types = (events: SessionEvent[]) => events.map((event) => event.type);

describe('SessionSupervisor applies each RetryPolicy decision end to end', () => {
  let h: Harness;

  beforeEach(async () => {
    h = await harness();
    for (const level of ['log', 'warn', 'error'] as const)
      jest.spyOn(Logger.prototype, level).mockImplementation(() => undefined);
  });

  afterEach(() => {
    h.reconnects.cancelAll();
    jest.restoreAllMocks();
  });

  describe.each([401, 403, 411, 500])('counted code %i', (code) => {
    it.each([0, 1, 2])('with %i prior failures', async (prior) => {
      await openSession(h, prior);
      const writes = h.repository.writes;
      h.events.length = 0;
      h.factory.latest(USER).close(code);
      await settle();
      const reached = prior + 1 === MAX;
      expect(h.repository.writes - writes).toBe(1);
      expect(stored(h)).toMatchObject({
        connectionFailureCount: reached ? 0 : prior + 1,
        whatsappStatus: reached ? 'disconnected' : 'connecting',
        lastDisconnectReason: { code },
      });
      expect(h.credentials.has(USER)).toBe(!reached);
      expect(h.reconnects.pending(USER) !== undefined).toBe(!reached);
      expect(h.events).toContainEqual({
        type: 'failure',
        count: prior + 1,
        max: MAX,
        code,
        reason: expect.any(String) as unknown,
      });
      expect(types(h.events).includes('reset')).toBe(reached);
      expect(h.events.at(-1)).toMatchObject({
        type: 'status',
        status: 'disconnected',
        connectionFailureCount: reached ? 0 : prior + 1,
        ...(reached ? { reason: 'threshold' } : {}),
      });
    });
  });

  it.each([408, 428, 503, 599, undefined])(
    'transient code %p: not counted, files kept, a reconnect later, the close stored in one write',
    async (code) => {
      await openSession(h, 1);
      h.events.length = 0;
      const writes = h.repository.writes;
      h.factory.latest(USER).close(code);
      await settle();
      expect(stored(h)).toMatchObject({
        connectionFailureCount: 1,
        whatsappStatus: 'connecting',
      });
      expect(h.credentials.has(USER)).toBe(true);
      const pending = h.reconnects.pending(USER);
      expect(pending?.attempt).toBe(1);
      expect(types(h.events)).not.toContain('failure');
      expect(h.repository.writes - writes).toBe(1);
    },
  );

  it('515 after a scan: not counted, a new socket at once, and that start writes nothing more', async () => {
    h.events.length = 0;
    await h.supervisor.startInteractive(USER);
    const scanned = h.factory.latest(USER);
    scanned.qr('qr-1');
    await settle();
    scanned.paired();
    const writes = h.repository.writes;
    scanned.close(515);
    await settle();
    expect(h.factory.socketsFor(USER)).toHaveLength(2);
    expect(h.repository.writes - writes).toBe(1);
    h.factory.latest(USER).open();
    await settle();
    expect(stored(h)?.lastQrScanDate).toBeInstanceOf(Date);
    expect(types(h.events)).not.toContain('failure');
  });

  it('440: stops without counting, keeps the files, says why', async () => {
    await openSession(h, 2);
    h.factory.latest(USER).close(440);
    await settle();
    expect(stored(h)?.connectionFailureCount).toBe(2);
    expect(h.credentials.has(USER)).toBe(true);
    expect(h.reconnects.pending(USER)).toBeUndefined();
    expect(h.events.at(-1)).toMatchObject({
      status: 'disconnected',
      reason: 'connection_replaced',
    });
  });

  it('408 while showing a QR is a QR expiry: no count, no reconnect', async () => {
    await h.supervisor.startInteractive(USER);
    h.factory.latest(USER).qr();
    await settle();
    h.factory.latest(USER).close(408);
    await settle();
    expect(stored(h)?.connectionFailureCount).toBe(0);
    expect(h.reconnects.pending(USER)).toBeUndefined();
    expect(h.events.at(-1)).toMatchObject({ reason: 'qr_expired' });
  });

  it('a link attempt that never linked is neither retried nor counted, and announces no reconnect', async () => {
    await h.supervisor.startInteractive(USER);
    h.factory.latest(USER).close(428);
    await settle();
    expect(h.reconnects.pending(USER)).toBeUndefined();
    expect(types(h.events)).not.toContain('reconnecting');
    expect(h.events.at(-1)).toEqual({
      type: 'status',
      status: 'disconnected',
      previousStatus: 'connecting',
      connectionFailureCount: 0,
      reason: 'not_linked',
    });
  });

  it('a socket that opened after a QR is linked: its later transient close reconnects', async () => {
    await h.supervisor.startInteractive(USER);
    h.factory.latest(USER).qr();
    await settle();
    h.factory.latest(USER).open();
    await settle();
    h.factory.latest(USER).close(428);
    await settle();
    expect(h.reconnects.pending(USER)?.attempt).toBe(1);
  });

  it('ignores every event of a superseded (stale) socket', async () => {
    await openSession(h, 0);
    const old = h.factory.latest(USER);
    h.supervisor.stop(USER);
    await h.supervisor.startInBackground(USER);
    const writes = h.repository.writes;
    old.close(401);
    old.qr('stale');
    old.open();
    await settle();
    expect(h.repository.writes).toBe(writes);
    expect(stored(h)?.connectionFailureCount).toBe(0);
    expect(h.supervisor.live(USER)?.status).toBe('connecting');
  });

  it('ignores the close of a socket it ended itself (disconnect, shutdown)', async () => {
    await openSession(h, 1);
    const socket = h.factory.latest(USER);
    h.supervisor.stop(USER);
    expect(socket.ended).toBe(true);
    const writes = h.repository.writes;
    socket.close(401);
    await settle();
    expect(h.repository.writes).toBe(writes);
    expect(stored(h)?.connectionFailureCount).toBe(1);
    expect(h.reconnects.pending(USER)).toBeUndefined();
  });

  it('does not reschedule a reconnect that was under way when shutdown began', async () => {
    await openSession(h, 0);
    const runs: Array<() => void> = [];
    const schedule = jest
      .spyOn(h.reconnects, 'schedule')
      .mockImplementation((_userId, run) => {
        runs.push(run);
        return { attempt: runs.length, at: new Date() };
      });
    h.factory.latest(USER).close(428);
    await settle();
    expect(runs).toHaveLength(1);
    h.supervisor.stopAll();
    // The reconnect timer fired just as shutdown began: nothing starts, nothing is rescheduled.
    const sockets = h.factory.socketsFor(USER).length;
    runs[0]();
    await settle();
    expect(schedule).toHaveBeenCalledTimes(1);
    expect(h.factory.socketsFor(USER)).toHaveLength(sockets);
  });

  it('an open stores the reset count in one write and announces the previous status', async () => {
    h.credentials.plant(USER);
    await h.supervisor.startInBackground(USER);
    const writes = h.repository.writes;
    h.factory.latest(USER).open();
    await settle();
    expect(h.repository.writes - writes).toBe(1);
    expect(h.events.at(-1)).toEqual({
      type: 'status',
      status: 'connected',
      previousStatus: 'connecting',
      connectionFailureCount: 0,
    });
  });

  it('a background start that is asked for a QR stops and asks for a rescan instead', async () => {
    h.credentials.plant(USER);
    await h.supervisor.startInBackground(USER);
    h.factory.latest(USER).qr('nobody-asked');
    await settle();
    expect(h.factory.latest(USER).ended).toBe(true);
    expect(types(h.events)).not.toContain('qr');
    expect(h.events).toContainEqual({ type: 'reset', reason: 'needs_qr' });
    expect(h.credentials.has(USER)).toBe(true);
  });
  describe('linking by pairing code', () => {
    const PHONE = '33612345678';

    /** POST /pairing-code on a fresh user, then the socket's first QR: the code it asked for instead. */
    async function codeShown(): Promise<void> {
      await expect(h.supervisor.startPairing(USER, PHONE)).resolves.toEqual({
        status: 'pending',
      });
      h.factory.latest(USER).qr('qr-1');
      await settle();
    }

    it('asks for a code at the first QR instead of showing it, and announces awaiting_pairing', async () => {
      await codeShown();
      const socket = h.factory.latest(USER);
      expect(socket.pairingRequests).toEqual([PHONE]);
      expect(types(h.events)).not.toContain('qr');
      expect(h.events).toContainEqual(
        expect.objectContaining({ type: 'status', status: 'awaiting_pairing' }),
      );
      expect(h.events.at(-1)).toEqual({
        type: 'pairing',
        code: 'PAIR-0001',
        expiresAt: expect.any(Date) as unknown,
      });
      expect(stored(h)?.whatsappStatus).toBe('awaiting_pairing');
      expect(h.supervisor.live(USER)?.status).toBe('awaiting_pairing');
    });

    it('publishes nothing for the QR refreshes that follow, and answers the same code again for the same number', async () => {
      await codeShown();
      h.events.length = 0;
      h.factory.latest(USER).qr('qr-2');
      await settle();
      expect(h.events).toEqual([]);
      const again = await h.supervisor.startPairing(USER, PHONE);
      expect(again).toMatchObject({
        status: 'awaiting_pairing',
        pairing: { code: 'PAIR-0001', phone: PHONE },
      });
      expect(h.factory.latest(USER).pairingRequests).toEqual([PHONE]);
    });

    it('asks the socket already showing a QR, and another number gets its own code on that socket', async () => {
      await h.supervisor.startInteractive(USER);
      h.factory.latest(USER).qr('qr-1');
      await settle();
      await expect(h.supervisor.startPairing(USER, PHONE)).resolves.toEqual({
        status: 'awaiting_pairing',
        pairing: expect.objectContaining({ code: 'PAIR-0001' }) as unknown,
      });
      await expect(
        h.supervisor.startPairing(USER, '33699999999'),
      ).resolves.toMatchObject({ pairing: { code: 'PAIR-0002' } });
      expect(h.factory.socketsFor(USER)).toHaveLength(1);
    });

    it('GET /qr while a code is shown switches back to the latest QR', async () => {
      await codeShown();
      h.factory.latest(USER).qr('qr-2');
      await settle();
      h.events.length = 0;
      await expect(h.supervisor.startInteractive(USER)).resolves.toEqual({
        status: 'awaiting_qr',
        qr: 'qr-2',
      });
      expect(h.supervisor.live(USER)).toMatchObject({
        status: 'awaiting_qr',
        pairing: undefined,
      });
      expect(h.events).toEqual([
        {
          type: 'status',
          status: 'awaiting_qr',
          previousStatus: 'awaiting_pairing',
        },
        { type: 'qr', qr: 'qr-2' },
      ]);
    });

    it.each([0, 2])(
      '408 while the code is pending is its expiry: nothing counted (%i prior), no reconnect, reason pairing_expired',
      async (prior) => {
        h.repository.docs.set(USER, {
          userId: USER,
          whatsappStatus: 'disconnected',
          connectionFailureCount: prior,
          disconnectedByUser: false,
        });
        await codeShown();
        h.factory.latest(USER).close(408);
        await settle();
        expect(stored(h)).toMatchObject({
          connectionFailureCount: prior,
          whatsappStatus: 'disconnected',
        });
        expect(h.reconnects.pending(USER)).toBeUndefined();
        expect(types(h.events)).not.toContain('failure');
        expect(h.events.at(-1)).toMatchObject({
          type: 'status',
          status: 'disconnected',
          reason: 'pairing_expired',
        });
      },
    );

    it('a code typed on the phone: the 515 restarts at once and the open stores linkMethod code, not a QR scan', async () => {
      await codeShown();
      const linking = h.factory.latest(USER);
      linking.paired();
      linking.close(515);
      await settle();
      expect(h.factory.socketsFor(USER)).toHaveLength(2);
      h.factory.latest(USER).open();
      await settle();
      expect(stored(h)).toMatchObject({
        whatsappStatus: 'connected',
        connectionFailureCount: 0,
        linkMethod: 'code',
        lastLinkedAt: expect.any(Date) as unknown,
      });
      expect(stored(h)?.lastQrScanDate).toBeUndefined();
      expect(types(h.events)).not.toContain('failure');
    });

    it('a QR scanned after all stores linkMethod qr', async () => {
      await codeShown();
      await h.supervisor.startInteractive(USER);
      h.factory.latest(USER).paired();
      h.factory.latest(USER).close(515);
      await settle();
      h.factory.latest(USER).open();
      await settle();
      expect(stored(h)).toMatchObject({ linkMethod: 'qr' });
      expect(stored(h)?.lastQrScanDate).toBeInstanceOf(Date);
    });

    it('a socket that cannot give a code ends the attempt as disconnected (not_linked)', async () => {
      h.factory.onCreate = (socket) => {
        socket.pairingBehaviour = 'reject';
      };
      await codeShown();
      expect(h.factory.latest(USER).ended).toBe(true);
      expect(h.supervisor.live(USER)).toBeUndefined();
      expect(stored(h)?.whatsappStatus).toBe('disconnected');
      expect(h.events.at(-1)).toMatchObject({
        type: 'status',
        status: 'disconnected',
        reason: 'not_linked',
      });
      expect(types(h.events)).not.toContain('pairing');
    });

    it('a user with a stored session who asks for a code just connects', async () => {
      h.credentials.plant(USER);
      await expect(h.supervisor.startPairing(USER, PHONE)).resolves.toEqual({
        status: 'pending',
      });
      h.factory.latest(USER).open();
      await settle();
      await expect(h.supervisor.startPairing(USER, PHONE)).resolves.toEqual({
        status: 'connected',
      });
      expect(h.factory.latest(USER).pairingRequests).toEqual([]);
      expect(stored(h)?.linkMethod).toBeUndefined();
    });
  });
});
