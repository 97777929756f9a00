import { getModelToken } from '@nestjs/mongoose';
import type { Model } from 'mongoose';
import request from 'supertest';
import { RelanceConfig } from '../src/relance/schemas/relance-config.schema';
import {
  FakeSocketFactory,
  plantStoredSession,
} from './support/fake-socket-factory';
import { sampleValue } from './support/prometheus-text';
import type {
  ErrorBody,
  StatsBody,
  StatusBody,
} from './support/response-bodies';
import { createTestApp, TestApp } from './support/test-app';
import { stopTestDatabase } from './support/test-database';
import { bearer, tokenFor } from './support/tokens';
import { waitUntil } from './support/wait';

const HOUR = 3_600_000;
const METRICS_TOKEN = 'metrics-token-0123456789abcdef';

afterAll(async () => {
  await stopTestDatabase();
});

describe('GET /api/relance/admin/stats (e2e)', () => {
  let testApp: TestApp;
  let admin: { Authorization: string };
  const http = () => request(testApp.app.getHttpServer());
  const stats = (query = '') =>
    http().get(`/api/relance/admin/stats${query}`).set(admin);

  beforeAll(async () => {
    testApp = await createTestApp();
    admin = bearer(await tokenFor('ops_1', { roles: ['admin'] }));
    const model = testApp.app.get<Model<RelanceConfig>>(
      getModelToken(RelanceConfig.name),
    );
    const now = Date.now();
    await model.insertMany([
      { userId: 'u1', connectionFailureCount: 0, whatsappStatus: 'connected' },
      {
        userId: 'u2',
        connectionFailureCount: 1,
        whatsappStatus: 'disconnected',
        lastConnectionFailure: new Date(now - 1 * HOUR),
      },
      {
        userId: 'u3',
        connectionFailureCount: 2,
        whatsappStatus: 'disconnected',
        lastConnectionFailure: new Date(now - 2 * HOUR),
      },
      {
        userId: 'u4',
        connectionFailureCount: 2,
        whatsappStatus: 'awaiting_qr',
        lastConnectionFailure: new Date(now - 30 * HOUR),
      },
      {
        userId: 'u5',
        connectionFailureCount: 3,
        whatsappStatus: 'disconnected',
        lastConnectionFailure: new Date(now - 100 * HOUR),
      },
      { userId: 'u6', connectionFailureCount: 0, whatsappStatus: 'connecting' },
    ]);
  });

  afterAll(async () => {
    await testApp?.close();
  });

  it('answers the known figures for seeded users', async () => {
    const body = (await stats().expect(200)).body as StatsBody;
    expect(body).toEqual({
      users: 6,
      averageConnectionFailureCount: 8 / 6,
      maxConnectionFailures: 3,
      atRisk: {
        threshold: 2,
        count: 3,
        page: 1,
        limit: 20,
        userIds: ['u3', 'u4', 'u5'],
      },
      recentFailures: {
        windowHours: 24,
        since: expect.any(String) as unknown,
        count: 2,
      },
      byStatus: {
        connected: 1,
        connecting: 1,
        awaiting_qr: 1,
        awaiting_pairing: 0,
        disconnected: 3,
      },
      generatedAt: expect.any(String) as unknown,
    });
    expect(
      Date.parse(body.generatedAt) - Date.parse(body.recentFailures.since),
    ).toBe(24 * HOUR);
  });

  it('pages the at-risk user ids', async () => {
    const atRisk = async (query: string) =>
      ((await stats(query).expect(200)).body as StatsBody).atRisk;
    const first = await atRisk('?page=1&limit=2');
    const second = await atRisk('?page=2&limit=2');
    const third = await atRisk('?page=3&limit=2');
    expect(first).toEqual({
      threshold: 2,
      count: 3,
      page: 1,
      limit: 2,
      userIds: ['u3', 'u4'],
    });
    expect(second.userIds).toEqual(['u5']);
    expect(third.userIds).toEqual([]);
  });

  it.each([
    [48, 3],
    [101, 4],
    [1, 0],
  ])('counts failures within windowHours=%d', async (hours, count) => {
    const body = (await stats(`?windowHours=${hours}`).expect(200))
      .body as StatsBody;
    expect(body.recentFailures).toMatchObject({ windowHours: hours, count });
  });

  it.each([
    'windowHours=0',
    'windowHours=abc',
    'windowHours=721',
    'windowHours=2.5',
    'limit=101',
    'limit=0',
    'page=0',
  ])('refuses ?%s with 400', async (query) => {
    const body = (await stats(`?${query}`).expect(400)).body as ErrorBody;
    expect(body.statusCode).toBe(400);
  });

  it('ignores an unknown query parameter, as every route does', async () => {
    const body = (await stats('?unknown=1&windowHours=48').expect(200))
      .body as StatsBody;
    expect(body.recentFailures.windowHours).toBe(48);
  });

  it('refuses a token without the admin role with 403', async () => {
    await http()
      .get('/api/relance/admin/stats')
      .set(bearer(await tokenFor('u1')))
      .expect(403);
  });

  it('refuses a request without a token with 401', async () => {
    await http().get('/api/relance/admin/stats').expect(401);
  });
});

describe('GET /metrics (e2e)', () => {
  let testApp: TestApp;
  let factory: FakeSocketFactory;
  const http = () => request(testApp.app.getHttpServer());
  const metrics = async () => (await http().get('/metrics').expect(200)).text;
  const status = async (user: string) =>
    (
      await http()
        .get('/api/relance/status')
        .set(bearer(await tokenFor(user)))
        .expect(200)
    ).body as StatusBody;

  beforeAll(async () => {
    factory = new FakeSocketFactory();
    testApp = await createTestApp({
      env: {
        WHATSAPP_QR_WAIT_MS: '2000',
        WHATSAPP_RECONNECT_BASE_MS: '20',
        WHATSAPP_RECONNECT_MAX_MS: '20',
      },
      sockets: factory,
    });
  });

  afterAll(async () => {
    await testApp?.close();
  });

  it('is served in the text format outside /api, to loopback callers by default', async () => {
    const response = await http().get('/metrics').expect(200);
    expect(response.headers['content-type']).toMatch(/^text\/plain/);
    expect(response.text).toContain(
      '# TYPE relance_connection_closes_total counter',
    );
    expect(response.text).toContain('process_cpu_user_seconds_total');
    await http().get('/api/metrics').expect(404);
  });

  it('refuses a non-loopback caller when no protection is configured', async () => {
    const refused = await testApp.app.inject({
      method: 'GET',
      url: '/metrics',
      remoteAddress: '10.0.0.5',
    });
    expect(refused.statusCode).toBe(403);
  });

  it('counts a scripted close sequence exactly', async () => {
    const auth = (user: string) => tokenFor(user).then(bearer);
    // m1: connected, then a 401 and a 500, each followed by a background reconnect that opens.
    await plantStoredSession(testApp.sessionsDir, 'm1');
    factory.onCreate = (socket) => setTimeout(() => socket.open(), 5);
    await http()
      .get('/api/relance/qr')
      .set(await auth('m1'))
      .expect(200, { status: 'connected' });
    for (const [index, code] of [401, 500].entries()) {
      factory.latest('m1').close(code);
      await waitUntil(
        async () =>
          factory.socketsFor('m1').length === index + 2 &&
          (await status('m1')).status === 'connected',
        { what: `m1 reconnected after ${code}` },
      );
    }

    // m2: connected, then three refused reconnects: the 3rd deletes the session.
    await plantStoredSession(testApp.sessionsDir, 'm2');
    await http()
      .get('/api/relance/qr')
      .set(await auth('m2'))
      .expect(200, { status: 'connected' });
    factory.onCreate = (socket) =>
      setTimeout(() => socket.userId === 'm2' && socket.close(401), 5);
    factory.latest('m2').close(401);
    await waitUntil(async () => (await status('m2')).sessionStored === false, {
      what: 'm2 session deleted',
    });

    // m3: a new user shown two QR codes.
    factory.onCreate = (socket) =>
      setTimeout(() => {
        socket.qr('2@first');
        socket.qr('2@second');
      }, 5);
    await http()
      .get('/api/relance/qr')
      .set(await auth('m3'))
      .expect(200);

    // m1: force reset.
    await http()
      .delete('/api/relance/disconnect')
      .set(await auth('m1'))
      .send({ force: true })
      .expect(200);

    const text = await metrics();
    const value = (name: string, labels: Record<string, string> = {}) =>
      sampleValue(text, name, labels);
    expect(
      value('relance_connection_closes_total', {
        code: '401',
        decision: 'counted_failure',
      }),
    ).toBe(3);
    expect(
      value('relance_connection_closes_total', {
        code: '500',
        decision: 'counted_failure',
      }),
    ).toBe(1);
    expect(
      value('relance_connection_closes_total', {
        code: '401',
        decision: 'threshold_reached',
      }),
    ).toBe(1);
    expect(
      value('relance_session_deletions_total', { cause: 'threshold' }),
    ).toBe(1);
    expect(value('relance_session_deletions_total', { cause: 'force' })).toBe(
      1,
    );
    expect(value('relance_reconnect_attempts_total')).toBe(4);
    expect(value('relance_qr_codes_issued_total')).toBe(2);
    expect(value('relance_close_to_reopen_seconds_count')).toBe(2);
    expect(value('relance_sessions', { status: 'awaiting_qr' })).toBe(1);
    expect(value('relance_sessions', { status: 'connected' })).toBe(0);
    expect(value('relance_pending_reconnects')).toBe(0);
  });

  it('times HTTP requests by route template, not by raw URL', async () => {
    const admin = bearer(await tokenFor('ops', { roles: ['admin'] }));
    const count = (text: string, labels: Record<string, string>) =>
      sampleValue(text, 'relance_http_request_duration_seconds_count', {
        method: 'GET',
        ...labels,
      }) ?? 0;
    const stats200 = { route: '/api/relance/admin/stats', status_code: '200' };
    const stats401 = { route: '/api/relance/admin/stats', status_code: '401' };
    const unmatched = { route: 'unmatched', status_code: '404' };
    const before = await metrics();

    await http()
      .get('/api/relance/admin/stats?windowHours=5')
      .set(admin)
      .expect(200);
    await http().get('/api/relance/admin/stats').expect(401);
    await http().get('/api/no/such/route?x=1').expect(404);

    const after = await metrics();
    for (const labels of [stats200, stats401, unmatched])
      expect(count(after, labels) - count(before, labels)).toBe(1);
    expect(after).not.toContain('windowHours');
    expect(after).not.toContain('/api/no/such/route');
  });
});

describe('GET /metrics protected by METRICS_TOKEN and METRICS_ALLOWED_IPS (e2e)', () => {
  let testApp: TestApp;

  beforeAll(async () => {
    testApp = await createTestApp({
      env: {
        METRICS_TOKEN,
        METRICS_ALLOWED_IPS: '10.0.0.5, 2001:db8::7',
      },
    });
  });

  afterAll(async () => {
    await testApp?.close();
  });

  const scrape = (remoteAddress: string, authorization?: string) =>
    testApp.app
      .inject({
        method: 'GET',
        url: '/metrics',
        remoteAddress,
        headers: authorization ? { authorization } : {},
      })
      .then((response) => response.statusCode);

  it('serves a listed address that sends the token', async () => {
    expect(await scrape('10.0.0.5', `Bearer ${METRICS_TOKEN}`)).toBe(200);
    expect(await scrape('2001:db8::7', `Bearer ${METRICS_TOKEN}`)).toBe(200);
  });

  it('refuses a listed address without the right token with 401', async () => {
    expect(await scrape('10.0.0.5')).toBe(401);
    expect(await scrape('10.0.0.5', 'Bearer wrong-token-0123456789')).toBe(401);
    expect(await scrape('10.0.0.5', `Bearer ${await tokenFor('u1')}`)).toBe(
      401,
    );
  });

  it('refuses an unlisted address, loopback included, with 403 even with the token', async () => {
    expect(await scrape('10.0.0.6', `Bearer ${METRICS_TOKEN}`)).toBe(403);
    expect(await scrape('127.0.0.1', `Bearer ${METRICS_TOKEN}`)).toBe(403);
  });
});
