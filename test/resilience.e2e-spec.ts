import { existsSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { ReconnectScheduler } from '../src/relance/reconnect/reconnect-scheduler';
import { RetryPolicy } from '../src/relance/retry/retry-policy';
import { SessionRestoreService } from '../src/relance/restore/session-restore.service';
import { SessionCredentialStore } from '../src/relance/credentials/session-credential-store';
import { SessionSupervisor } from '../src/relance/supervisor/session-supervisor';
import { SessionLifecycleService } from '../src/relance/commands/session-lifecycle.service';
import { SessionStatusReader } from '../src/relance/status/session-status.reader';
import {
  FakeSocket,
  FakeSocketFactory,
  plantStoredSession,
  settle,
} from './support/fake-socket-factory';
import { startRestartableDatabase } from './support/restartable-database';
import { createTestApp, makeSessionsDir, TestApp } from './support/test-app';
import { stopTestDatabase, testDatabaseUri } from './support/test-database';
import { bearer, tokenFor } from './support/tokens';
import type { StatusBody } from './support/response-bodies';
import { waitUntil } from './support/wait';

const LONG_BACKOFF = {
  WHATSAPP_RECONNECT_BASE_MS: '600000',
  WHATSAPP_RECONNECT_MAX_MS: '600000',
};

afterAll(async () => {
  await stopTestDatabase();
});

describe('database outage (e2e, kills the database server)', () => {
  it('answers 503 while MongoDB is down, then applies the failure count once it is back', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    const database = await startRestartableDatabase();
    const factory = new FakeSocketFactory();
    const sessionsDir = await makeSessionsDir();
    await plantStoredSession(sessionsDir, 'u1');
    factory.onCreate = (socket) => setTimeout(() => socket.open(), 10);
    const testApp = await createTestApp({
      mongoUri: database.uri,
      sessionsDir,
      env: { ...LONG_BACKOFF, MONGODB_SERVER_SELECTION_TIMEOUT_MS: '1000' },
      sockets: factory,
    });
    try {
      const http = () => request(testApp.app.getHttpServer());
      const auth = bearer(await tokenFor('u1'));
      await waitUntil(
        async () =>
          (
            (await http().get('/api/relance/status').set(auth))
              .body as StatusBody
          ).status === 'connected',
        { what: 'the restored session to connect' },
      );

      await database.stop();
      const during = await http().get('/api/relance/status').set(auth);
      expect(during.status).toBe(503);
      expect(during.body).toEqual({
        statusCode: 503,
        error: 'Service Unavailable',
        message: 'The database is unavailable; please retry shortly',
        requestId: during.headers['x-request-id'],
      });
      const health = await http().get('/api/health/ready');
      expect(health.status).toBe(503);

      // A rejection arrives while the database is down: it must not be lost.
      factory.latest('u1').close(401);
      await new Promise((resolve) => setTimeout(resolve, 1500));
      await database.start();

      await waitUntil(
        async () => {
          const response = await http().get('/api/relance/status').set(auth);
          return (
            response.status === 200 &&
            (response.body as StatusBody).connectionFailureCount === 1
          );
        },
        {
          timeoutMs: 60_000,
          what: 'the failure count to be applied after the outage',
        },
      );
      const after = (
        await http().get('/api/relance/status').set(auth).expect(200)
      ).body as StatusBody;
      expect(after).toMatchObject({
        connectionFailureCount: 1,
        lastDisconnectReason: { code: 401 },
        sessionStored: true,
      });
      expect(existsSync(join(sessionsDir, 'u1', 'creds.json'))).toBe(true);
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
      await testApp.close();
      await database.dispose();
    }
  }, 120_000);
});

describe('hammer: racing closes for 100 users (e2e)', () => {
  const USERS = 100;
  const CLOSES = 20;
  const CODES = [401, 428, 403, 408, 500, 503];

  /** A deterministic script per user: a mix of counted and transient codes. */
  const scriptFor = (user: number) =>
    Array.from(
      { length: CLOSES },
      (_, i) => CODES[(user * 7 + i * (i + user)) % CODES.length],
    );

  function replay(codes: number[], policy: RetryPolicy) {
    let count = 0;
    let deletions = 0;
    for (const code of codes) {
      const decision = policy.decide(
        { code, awaitingQr: false, linked: true },
        { failureCount: count },
      );
      count = decision.failureCount;
      if (decision.deleteSession) deletions += 1;
    }
    return { count, deletions };
  }

  it('ends every user at the count and file state of a sequential replay, deleting once per crossing', async () => {
    const factory = new FakeSocketFactory();
    const testApp: TestApp = await createTestApp({
      env: LONG_BACKOFF,
      sockets: factory,
    });
    try {
      const supervisor = testApp.app.get(SessionSupervisor);
      const policy = testApp.app.get(RetryPolicy);
      const files = testApp.app.get(SessionCredentialStore);
      const reconnects = testApp.app.get(ReconnectScheduler);
      const deletions = new Map<string, number>();
      const realDelete = files.delete.bind(files);
      jest.spyOn(files, 'delete').mockImplementation(async (userId: string) => {
        deletions.set(userId, (deletions.get(userId) ?? 0) + 1);
        return realDelete(userId);
      });

      const runUser = async (index: number) => {
        const userId = `hammer_${index}`;
        await plantStoredSession(testApp.sessionsDir, userId);
        for (const code of scriptFor(index)) {
          reconnects.cancel(userId);
          const outcome = await supervisor.startInBackground(userId);
          if (outcome === 'no_credentials') {
            // The user links again after a threshold deletion.
            await plantStoredSession(testApp.sessionsDir, userId);
            await supervisor.startInBackground(userId);
          }
          const socket: FakeSocket = factory.latest(userId);
          // Fire and move on: the close is handled while the next start is already queued.
          socket.close(code);
        }
      };
      await Promise.all(Array.from({ length: USERS }, (_, i) => runUser(i)));
      await waitUntil(async () => {
        await settle();
        return true;
      });
      await new Promise((resolve) => setTimeout(resolve, 500));
      reconnects.cancelAll();

      for (let index = 0; index < USERS; index += 1) {
        const userId = `hammer_${index}`;
        const expected = replay(scriptFor(index), policy);
        const status = await testApp.app
          .get(SessionStatusReader)
          .getStatus(userId);
        expect({
          userId,
          count: status.connectionFailureCount,
          deletions: deletions.get(userId) ?? 0,
        }).toEqual({
          userId,
          count: expected.count,
          deletions: expected.deletions,
        });
        const lastCrossed =
          expected.deletions > 0 &&
          expected.count === 0 &&
          policy.decide(
            {
              code: scriptFor(index)[CLOSES - 1],
              awaitingQr: false,
              linked: true,
            },
            { failureCount: 0 },
          ).countFailure;
        expect(status.sessionStored).toBe(!lastCrossed);
      }
    } finally {
      await testApp.close();
    }
  }, 120_000);
});

describe('restart and restore (e2e)', () => {
  it('brings sessions with pending reconnects back after a restart, without any QR', async () => {
    const mongoUri = await testDatabaseUri();
    const sessionsDir = await makeSessionsDir();
    const users = ['r1', 'r2', 'r3'];
    for (const userId of users) await plantStoredSession(sessionsDir, userId);
    await plantStoredSession(sessionsDir, 'quitter');

    const first = new FakeSocketFactory();
    first.onCreate = (socket) => setTimeout(() => socket.open(), 5);
    const app1 = await createTestApp({
      mongoUri,
      sessionsDir,
      env: LONG_BACKOFF,
      sockets: first,
    });
    await app1.app.get(SessionRestoreService).whenFinished();
    const lifecycle1 = app1.app.get(SessionLifecycleService);
    await lifecycle1.disconnect('quitter', false);
    for (const userId of users) first.latest(userId).close(428);
    await waitUntil(
      () =>
        users.every(
          (userId) =>
            app1.app.get(ReconnectScheduler).pending(userId) !== undefined,
        ),
      {
        what: 'reconnects to be pending',
      },
    );
    await app1.close({ keepFiles: true });
    expect(
      first.sockets.every(
        (socket) => socket.ended || socket.userId !== 'quitter',
      ),
    ).toBe(true);

    const second = new FakeSocketFactory();
    const qrs: string[] = [];
    second.onCreate = (socket) => setTimeout(() => socket.open(), 5);
    const app2 = await createTestApp({
      mongoUri,
      sessionsDir,
      env: LONG_BACKOFF,
      sockets: second,
    });
    try {
      const summary = await app2.app.get(SessionRestoreService).whenFinished();
      expect(summary).toEqual({
        restored: 3,
        needsQr: 0,
        failed: 0,
        skipped: 1,
      });
      for (const userId of users)
        expect(
          (await app2.app.get(SessionStatusReader).getStatus(userId)).status,
        ).toBe('connected');
      expect(second.socketsFor('quitter')).toHaveLength(0);
      expect(qrs).toEqual([]);
    } finally {
      await app2.close();
    }
  });

  it('restores 300 stored sessions with never more than 10 connecting at once', async () => {
    const sessionsDir = await makeSessionsDir();
    const total = 300;
    for (let i = 0; i < total; i += 1)
      await plantStoredSession(sessionsDir, `bulk_${i}`);
    const factory = new FakeSocketFactory();
    let connecting = 0;
    let maxConnecting = 0;
    factory.onCreate = (socket) => {
      connecting += 1;
      maxConnecting = Math.max(maxConnecting, connecting);
      setTimeout(() => {
        connecting -= 1;
        socket.open();
      }, 15);
    };
    const testApp = await createTestApp({
      sessionsDir,
      env: {
        WHATSAPP_RESTORE_CONCURRENCY: '10',
        WHATSAPP_RESTORE_JITTER_MS: '0',
      },
      sockets: factory,
    });
    try {
      const summary = await testApp.app
        .get(SessionRestoreService)
        .whenFinished();
      expect(summary).toEqual({
        restored: total,
        needsQr: 0,
        failed: 0,
        skipped: 0,
      });
      expect(factory.sockets).toHaveLength(total);
      expect(maxConnecting).toBeLessThanOrEqual(10);
      // Several at once, so the bound is what limits it (not a serial restore).
      expect(maxConnecting).toBeGreaterThan(1);
    } finally {
      await testApp.close();
    }
  }, 120_000);

  it('ends a restore whose stored credentials need a scan as disconnected, with no QR shown', async () => {
    const sessionsDir = await makeSessionsDir();
    await plantStoredSession(sessionsDir, 'stale');
    const factory = new FakeSocketFactory();
    factory.onCreate = (socket) =>
      setTimeout(() => socket.qr('should-not-leak'), 5);
    const testApp = await createTestApp({
      sessionsDir,
      env: { WHATSAPP_RESTORE_JITTER_MS: '0' },
      sockets: factory,
    });
    try {
      const summary = await testApp.app
        .get(SessionRestoreService)
        .whenFinished();
      expect(summary).toEqual({
        restored: 0,
        needsQr: 1,
        failed: 0,
        skipped: 0,
      });
      expect(factory.latest('stale').ended).toBe(true);
      const status = await testApp.app
        .get(SessionStatusReader)
        .getStatus('stale');
      expect(status.status).toBe('disconnected');
      expect(status.reconnectAttempt).toBeUndefined();
    } finally {
      await testApp.close();
    }
  });

  it('shuts down gracefully: sockets ended as ours, files kept, no count, timers cancelled', async () => {
    const sessionsDir = await makeSessionsDir();
    await plantStoredSession(sessionsDir, 'calm');
    await plantStoredSession(sessionsDir, 'waiting');
    const factory = new FakeSocketFactory();
    factory.onCreate = (socket) => setTimeout(() => socket.open(), 5);
    const testApp = await createTestApp({
      sessionsDir,
      env: { ...LONG_BACKOFF, WHATSAPP_RESTORE_JITTER_MS: '0' },
      sockets: factory,
    });
    await testApp.app.get(SessionRestoreService).whenFinished();
    factory.latest('waiting').close(503);
    const scheduler = testApp.app.get(ReconnectScheduler);
    await waitUntil(() => scheduler.pending('waiting') !== undefined, {
      what: 'a pending reconnect',
    });
    const lifecycle = testApp.app.get(SessionLifecycleService);
    const started = Date.now();
    await testApp.close({ keepFiles: true });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(factory.latest('calm').ended).toBe(true);
    expect(scheduler.pendingCount).toBe(0);
    factory.latest('calm').close(428);
    await settle();
    expect(existsSync(join(sessionsDir, 'calm', 'creds.json'))).toBe(true);
    await expect(lifecycle.generateQRCode('calm')).rejects.toThrow(
      'shutting down',
    );
  });
});
