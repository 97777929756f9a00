/**
 * WHATSAPP_AUTH_STORE=mongodb through the real app, the production Baileys
 * factory and the WhatsApp-edge simulator: credentials live in MongoDB only,
 * a restarted app (with an empty sessions folder) reconnects without a QR,
 * and the retry threshold deletes the user's credential documents once.
 * See lifecycle-simulator.e2e-spec.ts for the harness's gotchas (wait for
 * the simulator to be quiet before ending a socket).
 */
import { Logger } from '@nestjs/common';
import { getModelToken } from '@nestjs/mongoose';
import { readdir } from 'node:fs/promises';
import { Model } from 'mongoose';
import request from 'supertest';
import { MongoCredentialStore } from '../src/relance/credentials/mongo-credential-store';
import { SessionRestoreService } from '../src/relance/restore/session-restore.service';
import { SessionCredential } from '../src/relance/schemas/session-credential.schema';
import { createTestApp, TestApp } from './support/test-app';
import { stopTestDatabase } from './support/test-database';
import { bearer, tokenFor } from './support/tokens';
import { waitUntil } from './support/wait';
import { WaSimulator, type SimEvent } from './support/wa-simulator';
import { trustWaSimulatorRoot } from './support/wa-simulator-trust';

const MAX_FAILURES = 3;
const STORY_TIMEOUT_MS = 40_000;

interface StatusBody {
  status: string;
  connectionFailureCount: number;
  sessionStored: boolean;
}

describe('credentials in MongoDB through the real app and the simulator (e2e)', () => {
  let sim: WaSimulator;
  let distrust: () => void;
  const apps = new Set<TestApp>();

  const startApp = async (mongoUri?: string): Promise<TestApp> => {
    const testApp = await createTestApp({
      mongoUri,
      env: {
        WHATSAPP_AUTH_STORE: 'mongodb',
        WHATSAPP_WS_URL: sim.url,
        WHATSAPP_MAX_CONNECTION_FAILURES: String(MAX_FAILURES),
        WHATSAPP_RECONNECT_BASE_MS: '100',
        WHATSAPP_RECONNECT_MAX_MS: '400',
        WHATSAPP_QR_WAIT_MS: '10000',
        WHATSAPP_RESTORE_JITTER_MS: '0',
        WHATSAPP_RESTORE_TIMEOUT_MS: '10000',
      },
    });
    apps.add(testApp);
    return testApp;
  };

  const closeApp = async (testApp: TestApp): Promise<void> => {
    apps.delete(testApp);
    await testApp.close();
  };

  const credentialDocs = (testApp: TestApp, userId: string) =>
    testApp.app
      .get<Model<SessionCredential>>(getModelToken(SessionCredential.name))
      .find({ userId })
      .lean();

  const statusOf = async (testApp: TestApp, userId: string) =>
    (
      await request(testApp.app.getHttpServer())
        .get('/api/relance/status')
        .set(bearer(await tokenFor(userId)))
        .expect(200)
    ).body as StatusBody;

  /** GET /qr, the simulated phone scans it, and the app reports connected. */
  const link = async (testApp: TestApp, userId: string, phone: string) => {
    const answer = await request(testApp.app.getHttpServer())
      .get('/api/relance/qr')
      .set(bearer(await tokenFor(userId)))
      .expect(200);
    const device = await sim.scan((answer.body as { qr: string }).qr, {
      phone,
    });
    await waitUntil(
      async () => (await statusOf(testApp, userId)).status === 'connected',
      { what: `${userId} connected` },
    );
    await sim.waitForQuiet();
    return device;
  };

  const after = (seq: number, types: string[]): string[] =>
    sim
      .events()
      .filter((event: SimEvent) => event.seq > seq)
      .map((event) => event.type)
      .filter((type) => types.includes(type));

  beforeAll(() => {
    distrust = trustWaSimulatorRoot();
  });

  afterAll(async () => {
    distrust();
    await stopTestDatabase();
  });

  beforeEach(async () => {
    sim = await WaSimulator.start();
  });

  afterEach(async () => {
    await sim.waitForQuiet().catch(() => undefined);
    for (const testApp of [...apps]) await closeApp(testApp);
    await sim.close();
    jest.restoreAllMocks();
  });

  it(
    'links by QR into MongoDB only, and a restarted app with an empty sessions folder reconnects without a QR',
    async () => {
      const first = await startApp();
      const device = await link(first, 'mongo_link', '33611400001');

      const docs = await credentialDocs(first, 'mongo_link');
      const creds = docs.find((doc) => doc.type === 'creds');
      expect(JSON.parse(creds!.value)).toMatchObject({
        me: { id: device.jid },
      });
      expect(docs.length).toBeGreaterThan(1);
      expect(await readdir(first.sessionsDir)).toEqual([]);
      expect(await statusOf(first, 'mongo_link')).toMatchObject({
        status: 'connected',
        sessionStored: true,
      });

      const mongoUri = first.mongoUri;
      await closeApp(first);
      await waitUntil(() => sim.online().length === 0, {
        what: 'the first app to close its socket',
      });
      const mark = sim.events().at(-1)?.seq ?? 0;

      // A new app: fresh temp sessions folder, same database.
      const second = await startApp(mongoUri);
      const summary = await second.app
        .get(SessionRestoreService)
        .whenFinished();
      expect(summary).toEqual({
        restored: 1,
        needsQr: 0,
        failed: 0,
        skipped: 0,
      });
      await sim.waitForQuiet();
      expect(
        after(mark, ['registration', 'qr-refs-sent', 'login-accepted']),
      ).toEqual(['login-accepted']);
      expect(sim.online()).toEqual([device.user]);
      expect(await statusOf(second, 'mongo_link')).toMatchObject({
        status: 'connected',
        connectionFailureCount: 0,
        sessionStored: true,
      });
      expect(await readdir(second.sessionsDir)).toEqual([]);
    },
    STORY_TIMEOUT_MS,
  );

  it(
    `deletes the credential documents exactly once at ${MAX_FAILURES} counted failures, and only that user's`,
    async () => {
      const testApp = await startApp();
      await link(testApp, 'mongo_bystander', '33611400002');
      const device = await link(testApp, 'mongo_logout', '33611400003');
      const deletes = jest.spyOn(MongoCredentialStore.prototype, 'delete');
      const warn = jest.spyOn(Logger.prototype, 'warn');
      const deletionLine = `User mongo_logout - ${MAX_FAILURES} consecutive failures, deleting session files`;
      sim.rejectLogins(device.user, 401);

      expect(await sim.kick(device.user, 401)).toBe(1);
      await waitUntil(
        async () => !(await statusOf(testApp, 'mongo_logout')).sessionStored,
        { what: 'the credentials to be deleted' },
      );

      expect(deletes.mock.calls).toEqual([['mongo_logout']]);
      expect(
        warn.mock.calls.filter(([line]) => String(line) === deletionLine),
      ).toHaveLength(1);
      expect(
        warn.mock.calls
          .map(([line]) => String(line))
          .filter((line) => line.startsWith('Connection failure ')),
      ).toEqual(
        Array.from(
          { length: MAX_FAILURES },
          (_, i) =>
            `Connection failure ${i + 1}/${MAX_FAILURES} for user mongo_logout`,
        ),
      );
      expect(await credentialDocs(testApp, 'mongo_logout')).toEqual([]);
      expect(await statusOf(testApp, 'mongo_logout')).toMatchObject({
        status: 'disconnected',
        connectionFailureCount: 0,
        sessionStored: false,
      });
      expect(await statusOf(testApp, 'mongo_bystander')).toMatchObject({
        status: 'connected',
        sessionStored: true,
      });
    },
    STORY_TIMEOUT_MS,
  );
});
