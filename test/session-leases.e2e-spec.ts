/**
 * Leases and heartbeats on the real database (FerretDB in CI, which does not
 * isolate concurrent filtered updates): many instances racing for one lease
 * get exactly one winner, whatever the step (first acquisition, takeover of
 * an expired lease, a renewal racing a takeover).
 */
import { ConfigModule } from '@nestjs/config';
import { getModelToken, MongooseModule } from '@nestjs/mongoose';
import { Test, TestingModule } from '@nestjs/testing';
import { Model } from 'mongoose';
import { InstanceHeartbeatService } from '../src/cluster/instance-heartbeat';
import {
  InstanceHeartbeat,
  InstanceHeartbeatSchema,
} from '../src/cluster/schemas/instance-heartbeat.schema';
import {
  SessionLease,
  SessionLeaseSchema,
} from '../src/cluster/schemas/session-lease.schema';
import {
  Lease,
  LeaseAttempt,
  SessionLeaseRepository,
} from '../src/cluster/session-lease.repository';
import { clusterConfig } from '../src/config/cluster.config';
import { stopTestDatabase, testDatabaseUri } from './support/test-database';

const TTL_MS = 15_000;
const RACERS = 24;
const at = (ms: number) => new Date(Date.UTC(2026, 0, 1) + ms);
const instance = (i: number) => `instance-${i}`;

const winners = (attempts: LeaseAttempt[]): Lease[] =>
  attempts.flatMap((attempt) => (attempt.acquired ? [attempt.lease] : []));

describe('session leases on a real database (e2e)', () => {
  let moduleRef: TestingModule;
  let leases: SessionLeaseRepository;
  let model: Model<SessionLease>;

  beforeAll(async () => {
    process.env.INSTANCE_ID = 'heartbeat-test';
    moduleRef = await Test.createTestingModule({
      imports: [
        ConfigModule.forFeature(clusterConfig),
        // A pool as large as the race, so the attempts reach the server together.
        MongooseModule.forRoot(await testDatabaseUri(), {
          maxPoolSize: RACERS,
        }),
        MongooseModule.forFeature([
          { name: SessionLease.name, schema: SessionLeaseSchema },
          { name: InstanceHeartbeat.name, schema: InstanceHeartbeatSchema },
        ]),
      ],
      providers: [SessionLeaseRepository, InstanceHeartbeatService],
    }).compile();
    leases = moduleRef.get(SessionLeaseRepository);
    model = moduleRef.get(getModelToken(SessionLease.name));
    await model.syncIndexes();
  });

  afterAll(async () => {
    delete process.env.INSTANCE_ID;
    await moduleRef?.close();
    await stopTestDatabase();
  });

  const race = (userId: string, now: Date) =>
    Promise.all(
      Array.from({ length: RACERS }, (_, i) =>
        leases.acquire(userId, instance(i), TTL_MS, now),
      ),
    );

  it(`gives a never-held lease to exactly one of ${RACERS} instances racing for it, at epoch 1`, async () => {
    const attempts = await race('race_first', at(0));

    const won = winners(attempts);
    expect(won).toHaveLength(1);
    expect(won[0]).toMatchObject({ seq: 1, epoch: 1, expiresAt: at(TTL_MS) });
    for (const attempt of attempts)
      if (!attempt.acquired) expect(attempt.holder).toBe(won[0].owner);
    expect(await leases.current('race_first')).toMatchObject({
      owner: won[0].owner,
      epoch: 1,
    });
  });

  it('refuses a held lease to everyone else until it expires, then hands it to exactly one, at the next epoch', async () => {
    const first = await leases.acquire('race_expiry', 'holder', TTL_MS, at(0));
    expect(first.acquired).toBe(true);

    const early = await race('race_expiry', at(TTL_MS - 1));
    expect(winners(early)).toEqual([]);
    expect(early.every((a) => !a.acquired && a.holder === 'holder')).toBe(true);

    const late = await race('race_expiry', at(TTL_MS));
    const won = winners(late);
    expect(won).toHaveLength(1);
    expect(won[0].epoch).toBe(2);
    expect(won[0].owner).not.toBe('holder');
  });

  it('keeps the epoch on renewal, and a renewal racing takeovers has exactly one winner among them all', async () => {
    const taken = await leases.acquire('race_renew', 'holder', TTL_MS, at(0));
    if (!taken.acquired) throw new Error('the first acquisition must win');
    const renewed = await leases.renew(taken.lease, TTL_MS, at(5_000));
    expect(renewed).toMatchObject({
      acquired: true,
      lease: { epoch: 1, seq: 2, expiresAt: at(5_000 + TTL_MS) },
    });
    if (!renewed.acquired) return;

    // The holder was slow: its renewal reaches the database as others find the lease expired.
    const now = at(5_000 + TTL_MS);
    const attempts = await Promise.all([
      leases.renew(renewed.lease, TTL_MS, now),
      ...Array.from({ length: RACERS - 1 }, (_, i) =>
        leases.acquire('race_renew', instance(i), TTL_MS, now),
      ),
    ]);
    const won = winners(attempts);
    expect(won).toHaveLength(1);
    expect(won[0].epoch).toBe(won[0].owner === 'holder' ? 1 : 2);
    expect(await leases.current('race_renew')).toMatchObject({
      owner: won[0].owner,
      seq: 3,
    });
  });

  it('refuses the renewal of an instance that lost its lease while paused, even after the history was cleaned', async () => {
    const taken = await leases.acquire('race_paused', 'sleeper', TTL_MS, at(0));
    if (!taken.acquired) throw new Error('the first acquisition must win');
    const other = await leases.acquire(
      'race_paused',
      'other',
      TTL_MS,
      at(TTL_MS),
    );
    if (!other.acquired) throw new Error('the takeover must win');
    await leases.renew(other.lease, TTL_MS, at(TTL_MS + 5_000));
    // Steps 1 and 2 are gone now; the sleeper's renewal writes step 2 again.
    expect(await model.countDocuments({ userId: 'race_paused' })).toBe(1);

    expect(
      await leases.renew(taken.lease, TTL_MS, at(TTL_MS + 6_000)),
    ).toMatchObject({
      acquired: false,
      holder: 'other',
    });
    expect(await leases.current('race_paused')).toMatchObject({
      owner: 'other',
      epoch: 2,
    });
  });

  it('lets a released lease be taken at once, by exactly one, at the next epoch', async () => {
    const taken = await leases.acquire(
      'race_release',
      'leaving',
      TTL_MS,
      at(0),
    );
    if (!taken.acquired) throw new Error('the first acquisition must win');
    expect(await leases.release(taken.lease, at(1_000))).toBe(true);

    const won = winners(await race('race_release', at(1_000)));
    expect(won).toHaveLength(1);
    expect(won[0].epoch).toBe(2);
  });

  it('counts the instances that beat within one TTL', async () => {
    const heartbeats = moduleRef.get(InstanceHeartbeatService);
    const others = moduleRef.get<Model<InstanceHeartbeat>>(
      getModelToken(InstanceHeartbeat.name),
    );
    await others.create({ _id: 'gone', seenAt: at(0) });
    await others.create({ _id: 'alive', seenAt: at(20_000) });
    await heartbeats.beat(at(25_000));

    expect(await heartbeats.liveInstances(at(25_000))).toEqual([
      'alive',
      'heartbeat-test',
    ]);
  });
});
