import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import request from 'supertest';
import {
  PendingReconnect,
  ReconnectScheduler,
} from '../src/relance/reconnect/reconnect-scheduler';
import { plantBaileysCredentials } from './support/baileys-credentials';
import { ClosingWsServer } from './support/local-ws-server';
import type { StatusBody } from './support/response-bodies';
import { createTestApp, makeSessionsDir, TestApp } from './support/test-app';
import { stopTestDatabase } from './support/test-database';
import { bearer, tokenFor } from './support/tokens';
import { waitUntil } from './support/wait';

async function unusedPort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

afterAll(async () => {
  await stopTestDatabase();
});

describe('production BaileysSocketFactory against a local WebSocket server (e2e)', () => {
  let server: ClosingWsServer | undefined;
  let testApp: TestApp | undefined;

  afterEach(async () => {
    await testApp?.close();
    await server?.close();
    testApp = undefined;
    server = undefined;
  });

  it('counts 428 closes when configured, keeps the files below the threshold and deletes them at it', async () => {
    server = await ClosingWsServer.start();
    const sessionsDir = await makeSessionsDir();
    const credsFile = join(
      await plantBaileysCredentials(sessionsDir, 'real_1'),
      'creds.json',
    );
    testApp = await createTestApp({
      sessionsDir,
      env: {
        WHATSAPP_WS_URL: server.url,
        WHATSAPP_COUNTED_DISCONNECT_CODES: '401,428',
        WHATSAPP_MAX_CONNECTION_FAILURES: '3',
        WHATSAPP_RECONNECT_BASE_MS: '600000',
        WHATSAPP_RECONNECT_MAX_MS: '600000',
        WHATSAPP_QR_WAIT_MS: '10000',
      },
    });
    const http = () => request(testApp!.app.getHttpServer());
    const auth = bearer(await tokenFor('real_1'));

    for (const expectedCount of [1, 2]) {
      // Each GET /qr starts a real Baileys socket; the server closes it (428).
      const answer = await http().get('/api/relance/qr').set(auth);
      expect(answer.status).toBe(202);
      const status = (
        await http().get('/api/relance/status').set(auth).expect(200)
      ).body as StatusBody;
      expect(status).toMatchObject({
        connectionFailureCount: expectedCount,
        lastDisconnectReason: { code: 428, name: 'connectionClosed' },
        sessionStored: true,
      });
      expect(existsSync(credsFile)).toBe(true);
    }
    await http().get('/api/relance/qr').set(auth).expect(202);
    await waitUntil(() => !existsSync(credsFile), {
      what: 'the session files to be deleted',
    });
    const final = (
      await http().get('/api/relance/status').set(auth).expect(200)
    ).body as StatusBody;
    expect(final).toMatchObject({
      status: 'disconnected',
      connectionFailureCount: 0,
      sessionStored: false,
    });
    expect(server.connections).toBe(3);
  });

  it('backs off while the server is down (bounded, growing attempts) and reaches it once it is up', async () => {
    const port = await unusedPort();
    const sessionsDir = await makeSessionsDir();
    await plantBaileysCredentials(sessionsDir, 'real_2');
    const base = 200;
    const max = 1000;
    testApp = await createTestApp({
      sessionsDir,
      env: {
        WHATSAPP_WS_URL: `ws://127.0.0.1:${port}`,
        WHATSAPP_RECONNECT_BASE_MS: String(base),
        WHATSAPP_RECONNECT_MAX_MS: String(max),
        WHATSAPP_QR_WAIT_MS: '5000',
      },
    });
    const scheduler = testApp.app.get(ReconnectScheduler);
    const scheduled: Array<PendingReconnect & { delayMs: number }> = [];
    const schedule = scheduler.schedule.bind(scheduler);
    jest.spyOn(scheduler, 'schedule').mockImplementation((userId, run) => {
      const before = Date.now();
      const pending = schedule(userId, run);
      // schedule() is idempotent while one is pending; record each attempt once.
      if (!scheduled.some((seen) => seen.attempt === pending.attempt)) {
        scheduled.push({ ...pending, delayMs: pending.at.getTime() - before });
      }
      return pending;
    });
    const http = () => request(testApp!.app.getHttpServer());
    const auth = bearer(await tokenFor('real_2'));

    // Connection refused: Baileys closes with 408, a transient close.
    await http().get('/api/relance/qr').set(auth).expect(202);
    await waitUntil(() => scheduled.length >= 4, {
      timeoutMs: 20_000,
      what: '4 reconnect attempts',
    });
    const status = (
      await http().get('/api/relance/status').set(auth).expect(200)
    ).body as StatusBody;
    expect(status.connectionFailureCount).toBe(0);
    expect(status.sessionStored).toBe(true);

    scheduled.slice(0, 4).forEach((attempt, index) => {
      expect(attempt.attempt).toBe(index + 1);
      expect(attempt.delayMs).toBeGreaterThanOrEqual(0);
      expect(attempt.delayMs).toBeLessThanOrEqual(
        Math.min(max, base * 2 ** index) + 5,
      );
    });

    server = await ClosingWsServer.start(port);
    await waitUntil(() => server!.connections >= 1, {
      timeoutMs: 20_000,
      what: 'a reconnect attempt to reach the server',
    });
    expect(scheduled.length).toBeGreaterThanOrEqual(4);
  });
});
