import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { spawnSync } from 'node:child_process';
import request from 'supertest';
import { PLACEHOLDER_JWT_SECRET } from '../src/config/dev-jwt-secret';
import { createTestApp, TestApp } from './support/test-app';
import { stopTestDatabase } from './support/test-database';

describe('service foundation (e2e)', () => {
  let testApp: TestApp;

  beforeAll(async () => {
    testApp = await createTestApp();
  });

  afterAll(async () => {
    await testApp?.close();
    await stopTestDatabase();
  });

  const http = () => request(testApp.app.getHttpServer());

  it('GET /api/health is public and reports MongoDB and the sessions folder up, and the boot restore as information', async () => {
    const response = await http().get('/api/health').expect(200);
    expect(response.body).toMatchObject({
      status: 'ok',
      info: {
        mongodb: { status: 'up' },
        sessionsDir: { status: 'up' },
        restore: { status: 'up', total: 0, done: 0 },
      },
    });
    const { restore } = (
      response.body as { info: { restore: Record<string, unknown> } }
    ).info;
    expect(typeof restore.running).toBe('boolean');
  });

  it('GET /api/health/live answers without checking dependencies', async () => {
    const response = await http().get('/api/health/live').expect(200);
    expect((response.body as { status: string }).status).toBe('ok');
  });

  it('serves an OpenAPI document with the bearer schemes (user JWT, metrics token) at /api/docs-json', async () => {
    const response = await http().get('/api/docs-json').expect(200);
    const { openapi, components } = response.body as {
      openapi: string;
      components: { securitySchemes: Record<string, unknown> };
    };
    expect(openapi).toMatch(/^3\./);
    expect(components.securitySchemes).toMatchObject({
      bearer: { type: 'http', scheme: 'bearer' },
      metricsToken: { type: 'http', scheme: 'bearer' },
    });
    expect(Object.keys(components.securitySchemes).sort()).toEqual([
      'bearer',
      'metricsToken',
    ]);
  });

  it('tells how to get a token at the top of the docs', async () => {
    const response = await http().get('/api/docs-json').expect(200);
    const { info } = response.body as { info: { description: string } };
    expect(info.description).toContain('npm run token -- <userId>');
  });

  it.each([
    ['TRACE', '/api/relance/status', 'GET, HEAD'],
    ['PATCH', '/api/relance/disconnect', 'DELETE'],
    ['POST', '/metrics', 'GET, HEAD'],
    ['PUT', '/api/health/ready', 'GET, HEAD'],
  ])(
    'answers %s on the known path %s with 405 and Allow: %s, before auth',
    async (method, path, allow) => {
      const response = await new request.Test(
        testApp.app.getHttpServer(),
        method,
        path,
      ).expect(405);
      expect(response.headers.allow).toBe(allow);
      expect(response.body).toEqual({
        statusCode: 405,
        error: 'Method Not Allowed',
        message: 'This path does not accept this method; see the Allow header',
        requestId: response.headers['x-request-id'],
      });
    },
  );

  it('still answers 404 for any method on an unknown path', async () => {
    await http().patch('/api/relance/nowhere').expect(404);
  });

  it('serves Swagger UI at /api/docs without a token', async () => {
    const response = await http().get('/api/docs').expect(200);
    expect(response.text).toContain('swagger-ui');
  });

  it('answers unknown routes with the JSON error envelope and a request id', async () => {
    const response = await http().get('/api/nowhere').expect(404);
    expect(response.body).toEqual({
      statusCode: 404,
      error: 'Not Found',
      message: 'No route matches this method and path',
      requestId: response.headers['x-request-id'],
    });
  });
});

function bootWith(env: Record<string, string>) {
  const {
    JWT_SECRET: _secret,
    MONGODB_URI: _database,
    ...inherited
  } = process.env;
  return spawnSync(
    process.execPath,
    ['-r', 'ts-node/register', 'src/main.ts'],
    {
      env: { ...inherited, TS_NODE_TRANSPILE_ONLY: '1', ...env },
      encoding: 'utf8',
      timeout: 30_000,
    },
  );
}

describe('booting the real main.ts with a bad configuration (e2e)', () => {
  it.each([
    // Outside production a missing secret is replaced by a development one.
    [{ NODE_ENV: 'production' }, 'JWT_SECRET is required'],
    [
      { NODE_ENV: 'production', JWT_SECRET: PLACEHOLDER_JWT_SECRET },
      'JWT_SECRET is the placeholder from .env.example',
    ],
    [{ JWT_SECRET: 'too-short' }, 'JWT_SECRET must be at least 32 characters'],
    [
      { JWT_SECRET: 'x'.repeat(32), WHATSAPP_MAX_CONNECTION_FAILURES: '2.5' },
      'WHATSAPP_MAX_CONNECTION_FAILURES must be an integer',
    ],
  ])('exits non-zero with a message for %j', (env, message) => {
    const result = bootWith(env);
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(message);
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('names both ways out, in one sentence, when neither mongod nor Go can be had', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'relance-offline-'));
    try {
      const result = bootWith({
        JWT_SECRET: 'x'.repeat(32),
        PORT: '0',
        EMBEDDED_MONGO_DIR: join(dir, 'mongo'),
        EMBEDDED_FERRETDB_DIR: join(dir, 'ferretdb'),
        WHATSAPP_SESSIONS_DIR: join(dir, 'sessions'),
        // An empty binary cache and an unreachable mirror: what a machine offline on first start sees.
        MONGOMS_DOWNLOAD_DIR: join(dir, 'binaries'),
        MONGOMS_PREFER_GLOBAL_PATH: '0',
        MONGOMS_DOWNLOAD_MIRROR: 'https://127.0.0.1:9',
        MONGOMS_MAX_RETRIES: '1',
        // No FerretDB runner built yet, and no `go` on the PATH to build one.
        FERRETDB_RUNNER_CACHE_DIR: join(dir, 'runner-cache'),
        PATH: dirname(process.execPath),
      });
      expect(result.status).toBe(1);
      expect(result.stderr.trim().split('\n')).toEqual([
        expect.stringMatching(
          /^Cannot start: No embedded development database could start: mongod could not be had \(.+\) and the FerretDB runner neither \(Go is not installed.*\); set MONGODB_URI to a running MongoDB server, or install Go \(https:\/\/go\.dev\/dl\/\) so the FerretDB runner can be built, and start again\.$/,
        ),
      ]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
