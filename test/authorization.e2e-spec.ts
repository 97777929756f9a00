import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import request from 'supertest';
import {
  FakeSocketFactory,
  plantStoredSession,
  settle,
} from './support/fake-socket-factory';
import type { ErrorBody, StatusBody } from './support/response-bodies';
import { createTestApp, TestApp } from './support/test-app';
import { stopTestDatabase } from './support/test-database';
import { bearer, tokenFor } from './support/tokens';

const USER_A = 'user_a';
const USER_B = 'user_b';

async function snapshot(dir: string): Promise<Record<string, number>> {
  const names = (await readdir(dir)).sort();
  const entries = await Promise.all(
    names.map(async (name): Promise<[string, number]> => [
      name,
      (await stat(join(dir, name))).size,
    ]),
  );
  return Object.fromEntries(entries);
}

describe('one user can never reach another user’s session (e2e)', () => {
  let testApp: TestApp;
  let factory: FakeSocketFactory;
  let authA: { Authorization: string };
  let authB: { Authorization: string };

  beforeAll(async () => {
    factory = new FakeSocketFactory();
    testApp = await createTestApp({
      env: {
        WHATSAPP_QR_WAIT_MS: '1000',
        WHATSAPP_RECONNECT_BASE_MS: '60000',
        WHATSAPP_RECONNECT_MAX_MS: '60000',
        RATE_LIMIT_QR_PER_MINUTE: '1000',
        RATE_LIMIT_DISCONNECT_PER_MINUTE: '1000',
      },
      sockets: factory,
    });
    authA = bearer(await tokenFor(USER_A));
    authB = bearer(await tokenFor(USER_B, { roles: ['admin'] }));

    await plantStoredSession(testApp.sessionsDir, USER_A);
    factory.onCreate = (socket) => {
      if (socket.userId === USER_A) setTimeout(() => socket.open(), 10);
    };
    await request(testApp.app.getHttpServer())
      .get('/api/relance/qr')
      .set(authA)
      .expect(200, { status: 'connected' });
  });

  afterAll(async () => {
    await testApp?.close();
  });

  const http = () => request(testApp.app.getHttpServer());
  const dirA = () => join(testApp.sessionsDir, USER_A);

  it('B’s calls only ever touch B’s session, even with an admin role', async () => {
    const filesBefore = await snapshot(dirA());
    const statusBefore = (
      await http().get('/api/relance/status').set(authA).expect(200)
    ).body as StatusBody;
    expect(statusBefore).toMatchObject({
      status: 'connected',
      sessionStored: true,
    });

    const statusB = await http()
      .get('/api/relance/status')
      .set(authB)
      .expect(200);
    expect(statusB.body).toMatchObject({
      status: 'disconnected',
      sessionStored: false,
      connectionFailureCount: 0,
    });

    await http()
      .delete('/api/relance/disconnect')
      .set(authB)
      .send({ force: true })
      .expect(200);
    await http().delete('/api/relance/disconnect').set(authB).expect(200);
    await settle();

    const socketA = factory.latest(USER_A);
    expect(socketA.ended).toBe(false);
    expect(socketA.loggedOut).toBe(false);
    expect(factory.socketsFor(USER_A)).toHaveLength(1);
    expect(
      factory.sockets.every((s) => [USER_A, USER_B].includes(s.userId)),
    ).toBe(true);
    expect(await snapshot(dirA())).toEqual(filesBefore);
    expect(
      (await http().get('/api/relance/status').set(authA).expect(200)).body,
    ).toEqual(statusBefore);
  });

  it.each([
    ['a userId field in the body', { force: true, userId: USER_A }],
    ['a sub field in the body', { force: true, sub: USER_A }],
  ])('refuses B naming A with %s', async (_name, body) => {
    await http()
      .delete('/api/relance/disconnect')
      .set(authB)
      .send(body)
      .expect(400);
    expect(factory.latest(USER_A).ended).toBe(false);
  });

  it('ignores a userId query parameter: B still sees only B', async () => {
    const response = await http()
      .get(`/api/relance/status?userId=${USER_A}`)
      .set(authB)
      .expect(200);
    expect((response.body as StatusBody).sessionStored).toBe(false);
    await http()
      .delete(`/api/relance/disconnect?userId=${USER_A}`)
      .set(authB)
      .send({ force: true })
      .expect(200);
    expect(factory.latest(USER_A).ended).toBe(false);
    expect((await readdir(dirA())).length).toBeGreaterThan(0);
  });

  it('a token with B’s signature cannot be re-labelled as A', async () => {
    const [header, , signature] = authB.Authorization.slice(7).split('.');
    const payloadA = Buffer.from(
      JSON.stringify({ sub: USER_A, exp: Math.floor(Date.now() / 1000) + 60 }),
    ).toString('base64url');
    await http()
      .delete('/api/relance/disconnect')
      .set('Authorization', `Bearer ${header}.${payloadA}.${signature}`)
      .send({ force: true })
      .expect(401);
    expect(factory.latest(USER_A).ended).toBe(false);
  });

  it('A can still disconnect A', async () => {
    await http()
      .delete('/api/relance/disconnect')
      .set(authA)
      .send({ force: true })
      .expect(200);
    expect(factory.latest(USER_A).ended).toBe(true);
  });
});

describe('admin-only routes (e2e)', () => {
  let testApp: TestApp;
  const STATS = '/api/relance/admin/stats';

  beforeAll(async () => {
    testApp = await createTestApp({
      sockets: new FakeSocketFactory(),
    });
  });

  afterAll(async () => {
    await testApp?.close();
    await stopTestDatabase();
  });

  const http = () => request(testApp.app.getHttpServer());

  it('refuses a caller without a token with 401', async () => {
    await http().get(STATS).expect(401);
  });

  it.each([
    ['no roles claim', undefined],
    ['other roles', ['user', 'support']],
    ['a role that only looks like admin', ['Admin', 'admin ', 'administrator']],
  ])(
    'refuses a valid token with %s with 403 and the envelope',
    async (_name, roles) => {
      const response = await http()
        .get(STATS)
        .set(bearer(await tokenFor('user_b', { roles })))
        .expect(403);
      expect(response.body).toEqual({
        statusCode: 403,
        error: 'Forbidden',
        message: expect.stringContaining('admin') as unknown,
        requestId: response.headers['x-request-id'],
      });
    },
  );

  it('refuses roles given as a string instead of a list', async () => {
    const token = await tokenFor('user_b', { claims: { roles: 'admin' } });
    await http().get(STATS).set(bearer(token)).expect(403);
  });

  it('lets a token with the admin role through', async () => {
    const response = await http()
      .get(STATS)
      .set(bearer(await tokenFor('ops', { roles: ['admin'] })))
      .expect(200);
    expect(response.body).toHaveProperty('users');
  });

  it('refuses an out-of-range page with 400, not a 500 (found by fuzzing)', async () => {
    const response = await http()
      .get(`${STATS}?page=1150797831552696704`)
      .set(bearer(await tokenFor('ops', { roles: ['admin'] })))
      .expect(400);
    expect(JSON.stringify((response.body as ErrorBody).message)).toContain(
      'page',
    );
  });
});
