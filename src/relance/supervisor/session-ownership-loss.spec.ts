import { Logger } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import {
  FakeSocketFactory,
  settle,
} from '../../../test/support/fake-socket-factory';
import { InMemoryCredentialStore } from '../../../test/support/in-memory-credential-store';
import { InMemoryRelanceConfigRepository } from '../../../test/support/in-memory-relance-config.repository';
import {
  OwnershipGrant,
  OwnershipLossListener,
  SessionOwnership,
} from '../../cluster/ownership/session-ownership';
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
import { SessionNotConnectedError } from './session-sender';
import { UserLocks } from '../../common/user-locks';
import { WhatsAppSocketFactory } from './whatsapp-socket';

const USER = 'u1';

/** Ownership a test hands out and takes back, as leases would. */
class ScriptedOwnership extends SessionOwnership {
  owned = true;
  /** The lease ran out by our clock, without anyone having said so yet. */
  expired = false;
  private readonly listeners = new Set<OwnershipLossListener>();

  acquire(): Promise<OwnershipGrant | null> {
    return Promise.resolve(this.owned ? {} : null);
  }
  mayRun(): boolean {
    return this.owned && !this.expired;
  }
  release(): Promise<void> {
    return Promise.resolve();
  }
  releaseAll(): Promise<void> {
    return Promise.resolve();
  }
  onLost(listener: OwnershipLossListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  selectClaims(users: string[]): Promise<string[]> {
    return Promise.resolve(users);
  }
  surplus(): Promise<string[]> {
    return Promise.resolve([]);
  }
  heldUsers(): string[] {
    return [];
  }
  heldElsewhere(): Promise<boolean> {
    return Promise.resolve(!this.owned);
  }
  takeOver(): Promise<OwnershipGrant | null> {
    return this.acquire();
  }

  lose(userId: string): void {
    this.owned = false;
    for (const listener of this.listeners) listener(userId);
  }
}

describe('SessionSupervisor when another instance owns the session', () => {
  let supervisor: SessionSupervisor;
  let factory: FakeSocketFactory;
  let repository: InMemoryRelanceConfigRepository;
  let credentials: InMemoryCredentialStore;
  let ownership: ScriptedOwnership;
  let reconnects: ReconnectScheduler;
  let events: SessionEvent[];

  beforeEach(async () => {
    factory = new FakeSocketFactory();
    repository = new InMemoryRelanceConfigRepository();
    credentials = new InMemoryCredentialStore();
    ownership = new ScriptedOwnership();
    const moduleRef = await Test.createTestingModule({
      providers: [
        SessionSupervisor,
        RetryPolicy,
        UserLocks,
        SessionEvents,
        ReconnectScheduler,
        { provide: SessionOwnership, useValue: ownership },
        {
          provide: whatsappConfig.KEY,
          useValue: loadWhatsAppConfig({
            WHATSAPP_RECONNECT_BASE_MS: '600000',
            WHATSAPP_RECONNECT_MAX_MS: '600000',
          }),
        },
        { provide: WhatsAppSocketFactory, useValue: factory },
        { provide: RelanceConfigRepository, useValue: repository },
        { provide: SessionCredentialStore, useValue: credentials },
      ],
    }).compile();
    await moduleRef.init();
    supervisor = moduleRef.get(SessionSupervisor);
    reconnects = moduleRef.get(ReconnectScheduler);
    events = [];
    moduleRef
      .get(SessionEvents)
      .subscribeAll((_userId, event) => events.push(event));
    for (const level of ['log', 'warn', 'error'] as const)
      jest.spyOn(Logger.prototype, level).mockImplementation(() => undefined);
    credentials.plant(USER);
  });

  afterEach(() => {
    reconnects.cancelAll();
    jest.restoreAllMocks();
  });

  const openSession = async () => {
    await supervisor.startInBackground(USER);
    factory.latest(USER).open();
    await settle();
  };

  it('starts no socket for a session held elsewhere', async () => {
    ownership.owned = false;

    expect(await supervisor.startInBackground(USER)).toBe('owned_elsewhere');
    expect(factory.socketsFor(USER)).toEqual([]);
  });

  it('ends the socket at once when the session is lost: no count, no status write, credentials kept, later events ignored', async () => {
    await openSession();
    const socket = factory.latest(USER);
    const storedBefore = { ...repository.docs.get(USER) };
    events.length = 0;

    ownership.lose(USER);

    expect(socket.ended).toBe(true);
    expect(supervisor.live(USER)).toBeUndefined();
    socket.close(401);
    await settle();
    expect(repository.docs.get(USER)).toEqual(storedBefore);
    expect(credentials.deletions).toEqual([]);
    expect(events).toEqual([]);
    expect(reconnects.pending(USER)).toBeUndefined();
  });

  it('sends nothing once the lease ran out by our clock, and drops the socket first', async () => {
    await openSession();
    const socket = factory.latest(USER);
    ownership.expired = true;

    // Refused before any socket call, the way a session that is not connected is.
    expect(() =>
      supervisor.sendText(USER, '33600000000', 'hello', 'm1'),
    ).toThrow(SessionNotConnectedError);
    expect(socket.sent).toEqual([]);
    expect(socket.ended).toBe(true);
  });
});
