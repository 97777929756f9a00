import { getModelToken } from '@nestjs/mongoose';
import { Model } from 'mongoose';
import { RelanceConfigRepository } from '../src/relance/relance-config.repository';
import { RelanceConfig } from '../src/relance/schemas/relance-config.schema';
import { createTestApp, TestApp } from './support/test-app';
import { stopTestDatabase } from './support/test-database';

describe('RelanceConfigRepository on a real database (e2e)', () => {
  let testApp: TestApp;
  let repository: RelanceConfigRepository;
  let model: Model<RelanceConfig>;

  beforeAll(async () => {
    testApp = await createTestApp();
    repository = testApp.app.get(RelanceConfigRepository);
    model = testApp.app.get(getModelToken(RelanceConfig.name));
    await model.syncIndexes();
  });

  afterAll(async () => {
    await testApp?.close();
    await stopTestDatabase();
  });

  const failure = () => ({
    countFailure: true,
    reason: { code: 401, name: 'loggedOut' },
    status: 'disconnected' as const,
    at: new Date(),
  });

  it('reads a document written before the failure fields existed as count 0, and counts from there', async () => {
    await model.collection.insertOne({
      userId: 'legacy',
      whatsappStatus: 'connected',
    });
    expect(await repository.findByUserId('legacy')).toMatchObject({
      connectionFailureCount: 0,
      disconnectedByUser: false,
    });
    expect(await repository.recordClose('legacy', failure())).toBe(1);
  });

  it('keeps one document per user (unique userId)', async () => {
    await repository.setStatus('unique', 'connecting', new Date());
    await expect(
      model.collection.insertOne({ userId: 'unique' }),
    ).rejects.toThrow(/duplicate key|E11000/);
  });

  // Two processes whose closes interleave: both increments land before either
  // reset. (Issued one after the other: FerretDB v1's SQLite backend does not
  // apply a filtered update atomically against a concurrent one, so a truly
  // simultaneous pair is only exact on MongoDB; within one process the
  // per-user lock already serializes them.)
  it('lets exactly one of two interleaved closes at threshold-1 reset the count', async () => {
    await model.collection.insertOne({
      userId: 'racer',
      connectionFailureCount: 2,
    });
    const a = await repository.recordClose('racer', failure());
    const b = await repository.recordClose('racer', failure());
    expect([a, b]).toEqual([3, 4]);
    expect(await repository.resetAfterThreshold('racer', a)).toBe(true);
    expect(await repository.resetAfterThreshold('racer', b)).toBe(false);
    expect(
      (await repository.findByUserId('racer'))?.connectionFailureCount,
    ).toBe(0);
  });

  it('lets the later crosser win when it resets first, still exactly once', async () => {
    await model.collection.insertOne({
      userId: 'racer2',
      connectionFailureCount: 2,
    });
    const a = await repository.recordClose('racer2', failure());
    const b = await repository.recordClose('racer2', failure());
    expect(await repository.resetAfterThreshold('racer2', b)).toBe(true);
    expect(await repository.resetAfterThreshold('racer2', a)).toBe(false);
    expect(
      (await repository.findByUserId('racer2'))?.connectionFailureCount,
    ).toBe(0);
  });

  it('clears the count and the last failure on connect, and records the scan date only after a scan', async () => {
    await repository.recordClose('opener', failure());
    await repository.markConnected('opener', new Date(), false);
    const reconnected = await repository.findByUserId('opener');
    expect(reconnected).toMatchObject({
      connectionFailureCount: 0,
      whatsappStatus: 'connected',
    });
    expect(reconnected?.lastConnectionFailure).toBeUndefined();
    expect(reconnected?.lastQrScanDate).toBeUndefined();
    await repository.markConnected('opener', new Date(), true);
    expect(
      (await repository.findByUserId('opener'))?.lastQrScanDate,
    ).toBeInstanceOf(Date);
  });

  it('lists as restorable only users who did not disconnect deliberately', async () => {
    await repository.markDisconnectedByUser('quit', new Date());
    await repository.setStatus('stay', 'connected', new Date());
    expect(
      await repository.findRestorable(['quit', 'stay', 'unknown']),
    ).toEqual(['stay', 'unknown']);
  });
});
