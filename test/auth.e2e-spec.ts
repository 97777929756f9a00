import { createPrivateKey } from 'node:crypto';
import {
  exportPKCS8,
  exportSPKI,
  generateKeyPair,
  type CryptoKey,
  SignJWT,
  UnsecuredJWT,
} from 'jose';
import request from 'supertest';
import { FakeSocketFactory } from './support/fake-socket-factory';
import type { ErrorBody, StatusBody } from './support/response-bodies';
import { createTestApp, TestApp, TestAppOptions } from './support/test-app';
import { stopTestDatabase } from './support/test-database';
import { bearer, TEST_JWT_SECRET, tokenFor } from './support/tokens';

const STATUS = '/api/relance/status';
const now = () => Math.floor(Date.now() / 1000);
const secretKey = (secret = TEST_JWT_SECRET) =>
  new TextEncoder().encode(secret);

function hs(alg: 'HS256' | 'HS384' | 'HS512', sub = 'user_a'): SignJWT {
  return new SignJWT({})
    .setProtectedHeader({ alg, typ: 'JWT' })
    .setSubject(sub)
    .setIssuedAt()
    .setExpirationTime('1h');
}

async function startApp(options: TestAppOptions = {}): Promise<TestApp> {
  return createTestApp({
    ...options,
    sockets: new FakeSocketFactory(),
  });
}

function expectUnauthorized(response: request.Response, message?: RegExp) {
  expect(response.status).toBe(401);
  expect(response.headers['content-type']).toMatch(/^application\/json/);
  const body = response.body as ErrorBody;
  expect(body).toEqual({
    statusCode: 401,
    error: 'Unauthorized',
    message: expect.any(String) as unknown,
    requestId: response.headers['x-request-id'],
  });
  expect(body.requestId).toMatch(/^[A-Za-z0-9._-]{8,64}$/);
  if (message) expect(body.message).toMatch(message);
}

describe('authentication on GET /api/relance/status (e2e, HS256)', () => {
  let testApp: TestApp;
  const http = () => request(testApp.app.getHttpServer());
  const withHeader = (value: string) =>
    http().get(STATUS).set('Authorization', value);
  const withToken = (token: string) => http().get(STATUS).set(bearer(token));

  beforeAll(async () => {
    testApp = await startApp();
  });

  afterAll(async () => {
    await testApp?.close();
  });

  it('accepts a valid token', async () => {
    const response = await withToken(await tokenFor('user_a')).expect(200);
    expect((response.body as StatusBody).status).toBe('disconnected');
  });

  it('refuses a request without Authorization', async () => {
    expectUnauthorized(await http().get(STATUS), /Authorization header/);
  });

  it.each([
    ['an empty header', ''],
    ['the scheme alone', 'Bearer'],
    ['the scheme and a space', 'Bearer '],
    ['a Basic credential', 'Basic dXNlcjpwYXNz'],
    ['another scheme', 'Token abc.def.ghi'],
    ['two spaces', 'Bearer  abc.def.ghi'],
    ['two tokens', 'Bearer abc.def.ghi jkl.mno.pqr'],
    ['a token with quotes', 'Bearer "abc.def.ghi"'],
    ['a token with a control character', 'Bearer abc.def\tghi'],
  ])('refuses a malformed header: %s', async (_name, value) => {
    expectUnauthorized(await withHeader(value), /Authorization header/);
  });

  it.each([
    ['three random segments', 'not.a.jwt'],
    ['one segment', 'abcdef'],
    ['base64 garbage', 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIi.sig'],
    ['an empty signature', 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1In0.'],
  ])('refuses a garbage token: %s', async (_name, token) => {
    expectUnauthorized(await withToken(token), /malformed|signature/);
  });

  it('refuses an expired token', async () => {
    const token = await hs('HS256')
      .setExpirationTime(now() - 120)
      .sign(secretKey());
    expectUnauthorized(await withToken(token), /^Token expired$/);
  });

  it('accepts a token that expired within the clock-skew allowance (30 s)', async () => {
    const token = await hs('HS256')
      .setExpirationTime(now() - 10)
      .sign(secretKey());
    await withToken(token).expect(200);
  });

  it('accepts a token whose nbf is a few seconds in the future (skewed issuer clock)', async () => {
    const token = await hs('HS256')
      .setNotBefore(now() + 10)
      .sign(secretKey());
    await withToken(token).expect(200);
  });

  it('refuses a token not valid before a time beyond the allowance', async () => {
    const token = await hs('HS256')
      .setNotBefore(now() + 600)
      .sign(secretKey());
    expectUnauthorized(await withToken(token), /"nbf"/);
  });

  it('refuses a token signed with another secret', async () => {
    const token = await hs('HS256').sign(
      secretKey('another-secret-that-is-long-enough-987654321'),
    );
    expectUnauthorized(await withToken(token), /^Token signature is invalid$/);
  });

  it('refuses a valid token whose payload was altered', async () => {
    const [header, , signature] = (await tokenFor('user_a')).split('.');
    const forged = Buffer.from(
      JSON.stringify({ sub: 'user_b', exp: now() + 3600 }),
    ).toString('base64url');
    expectUnauthorized(
      await withToken(`${header}.${forged}.${signature}`),
      /^Token signature is invalid$/,
    );
  });

  it('refuses an unsigned alg:none token', async () => {
    const token = new UnsecuredJWT({})
      .setSubject('user_a')
      .setExpirationTime('1h')
      .encode();
    expectUnauthorized(await withToken(token), /algorithm|malformed/);
  });

  it('refuses alg:none even with the signature segment filled in', async () => {
    const header = Buffer.from('{"alg":"none","typ":"JWT"}').toString(
      'base64url',
    );
    const payload = Buffer.from(
      JSON.stringify({ sub: 'user_a', exp: now() + 3600 }),
    ).toString('base64url');
    expectUnauthorized(
      await withToken(`${header}.${payload}.c2lnbmF0dXJl`),
      /algorithm|malformed/,
    );
  });

  it.each(['HS384', 'HS512'] as const)(
    'refuses %s although the secret would verify it',
    async (alg) => {
      const token = await hs(alg).sign(secretKey());
      expectUnauthorized(
        await withToken(token),
        /^Token algorithm is not accepted$/,
      );
    },
  );

  it.each([
    ['a path traversal', '../x'],
    ['an absolute path', '/etc/passwd'],
    ['a URL-encoded traversal', '%2e%2e'],
    ['a dot-dot', '..'],
    ['65 characters', 'x'.repeat(65)],
    ['unicode', 'usér'],
    ['a fullwidth solidus', 'a\uff0fb'],
    ['an empty string', ''],
    ['a space', 'a b'],
    ['a NUL byte', 'a\u0000b'],
  ])('refuses a bad sub: %s', async (_name, sub) => {
    const token = await tokenFor(sub);
    expectUnauthorized(await withToken(token), /subject/);
  });

  it('refuses a token without sub', async () => {
    expectUnauthorized(await withToken(await tokenFor(undefined)), /subject/);
  });

  it('refuses a non-string sub', async () => {
    const token = await new SignJWT({ sub: 12345 as unknown as string })
      .setProtectedHeader({ alg: 'HS256' })
      .setExpirationTime('1h')
      .sign(secretKey());
    expectUnauthorized(await withToken(token), /subject|claim/);
  });

  it('accepts a sub of exactly 64 allowed characters', async () => {
    await withToken(await tokenFor('A-z_9'.repeat(12) + 'abcd')).expect(200);
  });

  it('keeps public routes public', async () => {
    await http().get('/api/health/live').expect(200);
    await http().get('/api/docs-json').expect(200);
  });
});

describe('authentication with an RS256 public key (e2e)', () => {
  let testApp: TestApp;
  let privateKey: CryptoKey;
  let pem: string;
  const http = () => request(testApp.app.getHttpServer());
  const withToken = (token: string) => http().get(STATUS).set(bearer(token));
  const rs256 = (sub = 'user_rs') =>
    new SignJWT({})
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT' })
      .setSubject(sub)
      .setExpirationTime('1h');

  beforeAll(async () => {
    const pair = await generateKeyPair('RS256', { extractable: true });
    privateKey = pair.privateKey;
    pem = await exportSPKI(pair.publicKey);
    testApp = await startApp({ env: { JWT_PUBLIC_KEY: pem } });
  });

  afterAll(async () => {
    await testApp?.close();
  });

  it('accepts a token signed by the private key', async () => {
    await withToken(await rs256().sign(privateKey)).expect(200);
  });

  it('refuses an RS256 token signed by another key pair', async () => {
    const other = await generateKeyPair('RS256');
    expectUnauthorized(
      await withToken(await rs256().sign(other.privateKey)),
      /^Token signature is invalid$/,
    );
  });

  it('refuses RS/HS confusion: an HS256 token keyed with the public key PEM', async () => {
    const token = await hs('HS256').sign(new TextEncoder().encode(pem));
    expectUnauthorized(
      await withToken(token),
      /^Token algorithm is not accepted$/,
    );
  });

  it('refuses an HS256 token signed with JWT_SECRET once a public key is set', async () => {
    expectUnauthorized(
      await withToken(await tokenFor('user_rs')),
      /^Token algorithm is not accepted$/,
    );
  });

  it('refuses RS512 signed with the right private key (algorithm pinned)', async () => {
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: 'RS512' })
      .setSubject('user_rs')
      .setExpirationTime('1h')
      // A KeyObject: a WebCrypto key is bound to the one algorithm it was made for.
      .sign(createPrivateKey(await exportPKCS8(privateKey)));
    expectUnauthorized(
      await withToken(token),
      /^Token algorithm is not accepted$/,
    );
  });

  it('refuses an expired RS256 token', async () => {
    const token = await rs256()
      .setExpirationTime(now() - 120)
      .sign(privateKey);
    expectUnauthorized(await withToken(token), /^Token expired$/);
  });

  it('refuses a bad sub even when the signature is good', async () => {
    expectUnauthorized(
      await withToken(await rs256('../x').sign(privateKey)),
      /subject/,
    );
  });
});

describe('issuer and audience checks (e2e)', () => {
  let testApp: TestApp;
  const ISSUER = 'https://id.example.test';
  const AUDIENCE = 'relance-api';
  const http = () => request(testApp.app.getHttpServer());
  const withToken = (token: string) => http().get(STATUS).set(bearer(token));
  const sign = (iss?: string, aud?: string) => {
    const jwt = hs('HS256');
    if (iss !== undefined) jwt.setIssuer(iss);
    if (aud !== undefined) jwt.setAudience(aud);
    return jwt.sign(secretKey());
  };

  beforeAll(async () => {
    testApp = await startApp({
      env: { JWT_ISSUER: ISSUER, JWT_AUDIENCE: AUDIENCE },
    });
  });

  afterAll(async () => {
    await testApp?.close();
    await stopTestDatabase();
  });

  it('accepts the configured issuer and audience', async () => {
    await withToken(await sign(ISSUER, AUDIENCE)).expect(200);
  });

  it('accepts an audience list that contains ours', async () => {
    const token = await hs('HS256')
      .setIssuer(ISSUER)
      .setAudience(['other', AUDIENCE])
      .sign(secretKey());
    await withToken(token).expect(200);
  });

  it.each([
    ['a wrong issuer', 'https://evil.example.test', AUDIENCE, /"iss"/],
    ['a missing issuer', undefined, AUDIENCE, /"iss"/],
    ['a wrong audience', ISSUER, 'someone-else', /"aud"/],
    ['a missing audience', ISSUER, undefined, /"aud"/],
  ])('refuses %s', async (_name, iss, aud, message) => {
    expectUnauthorized(await withToken(await sign(iss, aud)), message);
  });
});
