import request from 'supertest';
import { FakeSocketFactory } from './support/fake-socket-factory';
import { createTestApp, TestApp } from './support/test-app';
import { stopTestDatabase } from './support/test-database';
import { bearer, tokenFor } from './support/tokens';

describe('per-user rate limits (e2e)', () => {
  let testApp: TestApp;
  let factory: FakeSocketFactory;

  beforeEach(async () => {
    factory = new FakeSocketFactory();
    factory.onCreate = (socket) => setTimeout(() => socket.qr(), 5);
    testApp = await createTestApp({
      env: {
        RATE_LIMIT_QR_PER_MINUTE: '3',
        RATE_LIMIT_DISCONNECT_PER_MINUTE: '2',
        WHATSAPP_QR_WAIT_MS: '500',
      },
      sockets: factory,
    });
  });

  afterEach(async () => {
    await testApp?.close();
  });

  afterAll(async () => {
    await stopTestDatabase();
  });

  const http = () => request(testApp.app.getHttpServer());
  const auth = async (sub: string) => bearer(await tokenFor(sub));
  /** Let through: 200 (a QR) or 202 (still connecting) depending on socket timing, never 429. */
  const qrAllowed = async (headers: { Authorization: string }) =>
    expect([200, 202]).toContain(
      (await http().get('/api/relance/qr').set(headers)).status,
    );

  function expectTooManyRequests(response: request.Response): void {
    expect(response.status).toBe(429);
    const retryAfter = Number(response.headers['retry-after']);
    expect(Number.isInteger(retryAfter)).toBe(true);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(response.body).toEqual({
      statusCode: 429,
      error: 'Too Many Requests',
      message: expect.stringContaining('Retry-After') as unknown,
      requestId: response.headers['x-request-id'],
    });
  }

  it('GET /qr: the (limit+1)th call in a minute gets 429 with Retry-After', async () => {
    const a = await auth('user_a');
    for (let i = 0; i < 3; i += 1) {
      await qrAllowed(a);
    }
    expectTooManyRequests(await http().get('/api/relance/qr').set(a));
    expectTooManyRequests(await http().get('/api/relance/qr').set(a));
  });

  it('counts per user, not per IP: another user from the same address is not limited', async () => {
    const a = await auth('user_a');
    const b = await auth('user_b');
    for (let i = 0; i < 3; i += 1) {
      await qrAllowed(a);
    }
    expectTooManyRequests(await http().get('/api/relance/qr').set(a));
    await qrAllowed(b);
  });

  it('DELETE /disconnect has its own budget, separate from GET /qr', async () => {
    const a = await auth('user_a');
    for (let i = 0; i < 3; i += 1) {
      await qrAllowed(a);
    }
    await http().delete('/api/relance/disconnect').set(a).expect(200);
    await http().delete('/api/relance/disconnect').set(a).expect(200);
    expectTooManyRequests(
      await http().delete('/api/relance/disconnect').set(a),
    );
  });

  it('does not limit GET /status', async () => {
    const a = await auth('user_a');
    for (let i = 0; i < 12; i += 1) {
      await http().get('/api/relance/status').set(a).expect(200);
    }
  });

  it('checks the token first: unauthenticated calls get 401 and do not use the budget', async () => {
    for (let i = 0; i < 6; i += 1) {
      await http().get('/api/relance/qr').expect(401);
    }
    const a = await auth('user_a');
    await qrAllowed(a);
  });

  it('refused requests never open a socket', async () => {
    const a = await auth('user_a');
    for (let i = 0; i < 6; i += 1) {
      await http().get('/api/relance/qr').set(a);
    }
    expect(factory.socketsFor('user_a').length).toBeLessThanOrEqual(3);
  });
});
