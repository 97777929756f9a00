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

  const failure = (failureCount: number) => ({
    decision: {
      countFailure: true,
      failureCount,
      status: 'connecting' as const,
      deleteSession: false,
    },
    reason: { code: 401, name: 'loggedOut' },
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
    expect(
      (await repository.markConnecting('legacy', new Date()))
        .connectionFailureCount,
    ).toBe(0);
    await repository.applyClose('legacy', failure(1));
    expect(await repository.findByUserId('legacy')).toMatchObject({
      connectionFailureCount: 1,
      whatsappStatus: 'connecting',
      lastDisconnectReason: { code: 401, name: 'loggedOut' },
    });
  });

  it('returns the stored count from the write that marks a socket start, creating the document once', async () => {
    await repository.applyClose('starter', failure(2));
    const stored = await repository.markConnecting('starter', new Date());
    expect(stored).toMatchObject({
      connectionFailureCount: 2,
      whatsappStatus: 'connecting',
    });
    expect(stored.lastConnectionFailure).toBeInstanceOf(Date);
    expect(
      (await repository.markConnecting('newcomer', new Date()))
        .connectionFailureCount,
    ).toBe(0);
    expect(await model.countDocuments({ userId: 'newcomer' })).toBe(1);
  });

  it('stores the threshold decision in one write: count back to 0, disconnected, failure time kept', async () => {
    await repository.applyClose('crosser', failure(2));
    expect(await repository.lastResetAt('crosser')).toBeUndefined();
    const threshold = failure(0);
    await repository.applyClose('crosser', {
      ...threshold,
      decision: {
        countFailure: true,
        failureCount: 0,
        status: 'disconnected',
        deleteSession: true,
      },
    });
    const stored = await repository.findByUserId('crosser');
    expect(stored).toMatchObject({
      connectionFailureCount: 0,
      whatsappStatus: 'disconnected',
    });
    expect(stored?.lastConnectionFailure).toBeInstanceOf(Date);
    // Stored with the decision, before the credentials go.
    expect(await repository.lastResetAt('crosser')).toEqual(threshold.at);
  });

  it('records a force reset as the last reset, which an ordinary close leaves as it was', async () => {
    const forcedAt = new Date();
    await repository.resetSession('forced', forcedAt, true);
    await repository.applyClose('forced', failure(1));
    expect(await repository.lastResetAt('forced')).toEqual(forcedAt);
    expect(await repository.lastResetAt('never_reset')).toBeUndefined();
  });

  it('keeps one document per user (unique userId)', async () => {
    await repository.setStatus('unique', 'connecting', new Date());
    await expect(
      model.collection.insertOne({ userId: 'unique' }),
    ).rejects.toThrow(/duplicate key|E11000/);
  });

  it('clears the count and the last failure on connect, and records the scan date only after a scan', async () => {
    await repository.applyClose('opener', failure(1));
    await repository.markConnected('opener', new Date());
    const reconnected = await repository.findByUserId('opener');
    expect(reconnected).toMatchObject({
      connectionFailureCount: 0,
      whatsappStatus: 'connected',
    });
    expect(reconnected?.lastConnectionFailure).toBeUndefined();
    expect(reconnected?.lastQrScanDate).toBeUndefined();
    expect(reconnected?.lastLinkedAt).toBeUndefined();
    const scannedAt = new Date();
    await repository.markConnected('opener', scannedAt, 'qr');
    expect(await repository.findByUserId('opener')).toMatchObject({
      lastQrScanDate: scannedAt,
      lastLinkedAt: scannedAt,
      linkMethod: 'qr',
    });
  });

  it('records a link by code without touching the last QR scan date', async () => {
    const scannedAt = new Date(Date.now() - 60_000);
    await repository.markConnected('relinker', scannedAt, 'qr');
    const typedAt = new Date();
    await repository.markConnected('relinker', typedAt, 'code');
    expect(await repository.findByUserId('relinker')).toMatchObject({
      lastQrScanDate: scannedAt,
      lastLinkedAt: typedAt,
      linkMethod: 'code',
    });
  });

  it('reads a document written before link methods existed as linked by its QR scan', async () => {
    const scannedAt = new Date('2026-01-02T03:04:05.000Z');
    await model.collection.insertOne({
      userId: 'scanned_before',
      lastQrScanDate: scannedAt,
    });
    expect(await repository.findByUserId('scanned_before')).toMatchObject({
      lastLinkedAt: scannedAt,
      linkMethod: 'qr',
    });
  });

  it('lists as restorable only users who did not disconnect deliberately', async () => {
    await repository.markDisconnectedByUser('quit', new Date());
    await repository.setStatus('stay', 'connected', new Date());
    expect(
      await repository.findRestorable(['quit', 'stay', 'unknown']),
    ).toEqual(['stay', 'unknown']);
  });
});
