/**
 * Epoch fencing and handover on the real database (FerretDB in CI): once a
 * session has a newer owner, the old owner's credential and count writes are
 * refused, both by the lease check and, for a write that slipped past it (a
 * process paused after the check), by the unique index under the fenced
 * upsert. A handover request makes the owner's next renewal lose, and the
 * released lease is reserved for the instance that asked.
 */
import { getModelToken, MongooseModule } from '@nestjs/mongoose';
import { Test, TestingModule } from '@nestjs/testing';
import { Model } from 'mongoose';
import { setTimeout as sleep } from 'node:timers/promises';
import { InstanceHeartbeatService } from '../src/cluster/instance-heartbeat';
import { Fence, StaleFenceError } from '../src/cluster/ownership/fence';
import { LeaseOwnership } from '../src/cluster/ownership/lease-ownership';
import {
  InstanceHeartbeat,
  InstanceHeartbeatSchema,
} from '../src/cluster/schemas/instance-heartbeat.schema';
import {
  SessionLease,
  SessionLeaseSchema,
} from '../src/cluster/schemas/session-lease.schema';
import { SessionLeaseRepository } from '../src/cluster/session-lease.repository';
import { clusterConfig } from '../src/config/cluster.config';
import { DatabaseRetry } from '../src/common/database-retry';
import { REQUEST_READS } from '../src/database/database-connection';
import { MongoCredentialStore } from '../src/relance/credentials/mongo-credential-store';
import { RelanceConfigRepository } from '../src/relance/relance-config.repository';
import {
  RelanceConfig,
  RelanceConfigSchema,
} from '../src/relance/schemas/relance-config.schema';
import {
  SessionCredential,
  SessionCredentialSchema,
} from '../src/relance/schemas/session-credential.schema';
import { stopTestDatabase, testDatabaseUri } from './support/test-database';

const TTL_MS = 1_000;

describe('epoch fencing on a real database (e2e)', () => {
  let moduleRef: TestingModule;
  let store: MongoCredentialStore;
  let configs: RelanceConfigRepository;
  let credentials: Model<SessionCredential>;

  const instance = (instanceId: string) =>
    new LeaseOwnership(
      moduleRef.get(SessionLeaseRepository),
      moduleRef.get(InstanceHeartbeatService),
      { enabled: true, instanceId, leaseTtlMs: TTL_MS },
    );

  const fenceOf = async (
    owner: LeaseOwnership,
    userId: string,
  ): Promise<Fence> => {
    const grant = await owner.acquire(userId);
    if (!grant?.fence) throw new Error(`${userId} must be free`);
    return grant.fence;
  };

  /** `userId` held by `old`, then (after its lease ran out) by `newer`. */
  const handedOver = async (userId: string) => {
    const old = instance('old');
    const oldFence = await fenceOf(old, userId);
    await sleep(TTL_MS + 100);
    const newer = instance('newer');
    const newFence = await fenceOf(newer, userId);
    return { oldFence, newFence };
  };

  const credsValue = async (userId: string) =>
    (await credentials.findOne({ userId, type: 'creds' }).lean())?.value;

  const saveCredsAs = async (userId: string, fence: Fence, name: string) => {
    const { state, saveCreds } = await store.authStateFor(userId, fence);
    state.creds.me = { id: `${userId}@s.whatsapp.net`, name };
    await saveCreds();
  };

  beforeAll(async () => {
    const uri = await testDatabaseUri();
    moduleRef = await Test.createTestingModule({
      imports: [
        MongooseModule.forRoot(uri),
        // GET /status's reads have their own pool (see REQUEST_READS).
        MongooseModule.forRoot(uri, { connectionName: REQUEST_READS }),
        MongooseModule.forFeature(
          [{ name: RelanceConfig.name, schema: RelanceConfigSchema }],
          REQUEST_READS,
        ),
        MongooseModule.forFeature([
          { name: SessionCredential.name, schema: SessionCredentialSchema },
          { name: RelanceConfig.name, schema: RelanceConfigSchema },
          { name: SessionLease.name, schema: SessionLeaseSchema },
          { name: InstanceHeartbeat.name, schema: InstanceHeartbeatSchema },
        ]),
      ],
      providers: [
        MongoCredentialStore,
        RelanceConfigRepository,
        DatabaseRetry,
        SessionLeaseRepository,
        InstanceHeartbeatService,
        { provide: clusterConfig.KEY, useValue: { enabled: false } },
      ],
    }).compile();
    store = moduleRef.get(MongoCredentialStore);
    configs = moduleRef.get(RelanceConfigRepository);
    credentials = moduleRef.get(getModelToken(SessionCredential.name));
    for (const name of [
      SessionCredential.name,
      RelanceConfig.name,
      SessionLease.name,
    ])
      await moduleRef.get<Model<unknown>>(getModelToken(name)).syncIndexes();
  });

  afterAll(async () => {
    await moduleRef?.close();
    await stopTestDatabase();
  });

  it("refuses the old owner's credential writes and deletes once the session has a newer owner", async () => {
    const { oldFence, newFence } = await handedOver('fence_creds');
    await saveCredsAs('fence_creds', newFence, 'newer');

    await expect(
      saveCredsAs('fence_creds', oldFence, 'old'),
    ).rejects.toBeInstanceOf(StaleFenceError);
    await expect(store.delete('fence_creds', oldFence)).rejects.toBeInstanceOf(
      StaleFenceError,
    );

    expect(await credsValue('fence_creds')).toContain('"newer"');
    expect(await store.hasCredentials('fence_creds')).toBe(true);
  });

  it('refuses, through the unique index, an old write that got past the lease check (a process paused after it)', async () => {
    const { oldFence, newFence } = await handedOver('fence_paused');
    await saveCredsAs('fence_paused', newFence, 'newer');
    await configs.markConnected(
      'fence_paused',
      new Date(),
      undefined,
      newFence,
    );
    const pausedAfterCheck: Fence = {
      epoch: oldFence.epoch,
      assertCurrent: () => Promise.resolve(),
    };

    await expect(
      saveCredsAs('fence_paused', pausedAfterCheck, 'old'),
    ).rejects.toBeInstanceOf(StaleFenceError);
    await expect(
      configs.applyClose(
        'fence_paused',
        {
          decision: {
            countFailure: true,
            failureCount: 1,
            status: 'disconnected',
            deleteSession: false,
          },
          reason: { code: 401, name: 'loggedOut' },
          at: new Date(),
        },
        pausedAfterCheck,
      ),
    ).rejects.toBeInstanceOf(StaleFenceError);

    expect(await credsValue('fence_paused')).toContain('"newer"');
    expect(await configs.findByUserId('fence_paused')).toMatchObject({
      whatsappStatus: 'connected',
      connectionFailureCount: 0,
    });
  });

  it("refuses the old owner's count writes, and the new owner's writes go through", async () => {
    const { oldFence, newFence } = await handedOver('fence_counts');
    await configs.markConnecting('fence_counts', new Date(), newFence);

    await expect(
      configs.markConnecting('fence_counts', new Date(), oldFence),
    ).rejects.toBeInstanceOf(StaleFenceError);
    await configs.applyClose(
      'fence_counts',
      {
        decision: {
          countFailure: true,
          failureCount: 1,
          status: 'disconnected',
          deleteSession: false,
        },
        reason: { code: 401, name: 'loggedOut' },
        at: new Date(),
      },
      newFence,
    );
    expect(await configs.findByUserId('fence_counts')).toMatchObject({
      connectionFailureCount: 1,
    });
  });

  it('hands a session over on request: the owner loses it at its next renewal, and only the asker may take it', async () => {
    const owner = instance('owner');
    const asker = instance('asker');
    const bystander = instance('bystander');
    await fenceOf(owner, 'fence_handover');
    const lost: string[] = [];
    owner.onLost((userId) => lost.push(userId));

    const asked = asker.takeOver('fence_handover', 10 * TTL_MS);
    await sleep(300);
    await owner.renewAll();

    expect(lost).toEqual(['fence_handover']);
    expect(await bystander.acquire('fence_handover')).toBeNull();
    const grant = await asked;
    expect(grant?.fence?.epoch).toBe(2);
    expect(owner.mayRun('fence_handover')).toBe(false);
    expect(asker.mayRun('fence_handover')).toBe(true);
  });
});
