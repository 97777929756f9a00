import { PLACEHOLDER_JWT_SECRET } from './dev-jwt-secret';
import { findEnvironmentProblems } from './environment';
import { loadClusterConfig } from './cluster.config';
import { loadWhatsAppConfig } from './whatsapp.config';

const VALID_SECRET = 'x'.repeat(32);

const problemsFor = findEnvironmentProblems;

describe('environment validation at boot', () => {
  it('accepts a minimal environment and applies the documented defaults', () => {
    expect(problemsFor({ JWT_SECRET: VALID_SECRET })).toEqual([]);
    expect(loadWhatsAppConfig({})).toMatchObject({
      sessionsDir: './sessions',
      authStore: 'files',
      maxConnectionFailures: 3,
      countedDisconnectCodes: [401, 403, 411, 500],
      wsUrl: undefined,
      reconnectBaseMs: 2000,
      reconnectMaxMs: 300000,
      qrWaitMs: 20000,
      restoreConcurrency: 10,
      shutdownTimeoutMs: 10000,
    });
  });

  it.each(['files', 'mongodb'])('accepts WHATSAPP_AUTH_STORE=%s', (value) => {
    expect(
      problemsFor({ JWT_SECRET: VALID_SECRET, WHATSAPP_AUTH_STORE: value }),
    ).toEqual([]);
    expect(loadWhatsAppConfig({ WHATSAPP_AUTH_STORE: value }).authStore).toBe(
      value,
    );
  });

  it.each(['mongo', 'FILES', 'redis'])(
    'refuses WHATSAPP_AUTH_STORE=%s, naming the choices',
    (value) => {
      expect(
        problemsFor({ JWT_SECRET: VALID_SECRET, WHATSAPP_AUTH_STORE: value }),
      ).toEqual(['WHATSAPP_AUTH_STORE must be one of: files, mongodb']);
    },
  );

  it('keeps one instance per database unless WHATSAPP_CLUSTER=on', () => {
    const config = loadClusterConfig({});
    expect(config).toMatchObject({ enabled: false, leaseTtlMs: 15000 });
    expect(config.instanceId.endsWith(`-${process.pid}`)).toBe(true);
  });

  it('refuses WHATSAPP_CLUSTER=on with the files store, whose disk the other instances cannot read', () => {
    expect(
      problemsFor({ JWT_SECRET: VALID_SECRET, WHATSAPP_CLUSTER: 'on' }),
    ).toEqual(['WHATSAPP_CLUSTER=on needs WHATSAPP_AUTH_STORE=mongodb']);
    expect(
      problemsFor({
        JWT_SECRET: VALID_SECRET,
        WHATSAPP_CLUSTER: 'on',
        WHATSAPP_AUTH_STORE: 'mongodb',
        INSTANCE_ID: 'api-1',
        WHATSAPP_LEASE_TTL_MS: '9000',
      }),
    ).toEqual([]);
  });

  it.each([
    ['WHATSAPP_CLUSTER', 'yes'],
    ['INSTANCE_ID', 'has space'],
    ['WHATSAPP_LEASE_TTL_MS', '500'],
  ])('refuses %s=%s, naming it', (name, value) => {
    const problems = problemsFor({ JWT_SECRET: VALID_SECRET, [name]: value });
    expect(problems).toEqual([expect.stringContaining(name)]);
  });

  it('refuses a missing JWT_SECRET, naming it', () => {
    expect(problemsFor({})).toEqual(
      expect.arrayContaining([expect.stringContaining('JWT_SECRET')]),
    );
  });

  it('in production, refuses a missing JWT_SECRET, naming it (no development secret there)', () => {
    expect(problemsFor({ NODE_ENV: 'production' })).toEqual([
      'JWT_SECRET is required (at least 32 characters)',
    ]);
  });

  it('in production, refuses the placeholder secret from .env.example', () => {
    expect(
      problemsFor({
        NODE_ENV: 'production',
        JWT_SECRET: PLACEHOLDER_JWT_SECRET,
      }),
    ).toEqual([
      'JWT_SECRET is the placeholder from .env.example: set a random secret of at least 32 characters (e.g. `openssl rand -base64 48`)',
    ]);
    expect(
      problemsFor({ NODE_ENV: 'production', JWT_SECRET: VALID_SECRET }),
    ).toEqual([]);
  });

  it('refuses a JWT_SECRET shorter than 32 characters', () => {
    expect(problemsFor({ JWT_SECRET: 'short' })).toEqual([
      'JWT_SECRET must be at least 32 characters',
    ]);
  });

  it.each(['2.5', 'three', '0', '-1'])(
    'refuses WHATSAPP_MAX_CONNECTION_FAILURES=%s',
    (value) => {
      const problems = problemsFor({
        JWT_SECRET: VALID_SECRET,
        WHATSAPP_MAX_CONNECTION_FAILURES: value,
      });
      expect(problems.length).toBeGreaterThan(0);
      expect(
        problems.every((problem) =>
          problem.includes('WHATSAPP_MAX_CONNECTION_FAILURES'),
        ),
      ).toBe(true);
    },
  );

  it('names every offending variable at once', () => {
    const problems = problemsFor({
      JWT_SECRET: 'short',
      PORT: 'eighty',
      WHATSAPP_COUNTED_DISCONNECT_CODES: '401,abc',
      WHATSAPP_WS_URL: 'http://not-a-websocket',
    });
    for (const name of [
      'JWT_SECRET',
      'PORT',
      'WHATSAPP_COUNTED_DISCONNECT_CODES',
      'WHATSAPP_WS_URL',
    ]) {
      expect(problems.join('\n')).toContain(name);
    }
  });

  it('parses a custom counted list and drops duplicates', () => {
    expect(
      loadWhatsAppConfig({ WHATSAPP_COUNTED_DISCONNECT_CODES: '401, 428,401' })
        .countedDisconnectCodes,
    ).toEqual([401, 428]);
  });

  it('refuses a reconnect base above the maximum', () => {
    expect(
      problemsFor({
        JWT_SECRET: VALID_SECRET,
        WHATSAPP_RECONNECT_BASE_MS: '5000',
        WHATSAPP_RECONNECT_MAX_MS: '1000',
      }),
    ).toEqual([expect.stringContaining('WHATSAPP_RECONNECT_BASE_MS')]);
  });

  it('treats empty variables as unset', () => {
    expect(
      loadWhatsAppConfig({
        WHATSAPP_MAX_CONNECTION_FAILURES: '',
        WHATSAPP_WS_URL: '',
      }),
    ).toMatchObject({
      maxConnectionFailures: 3,
      wsUrl: undefined,
    });
  });
});
