import { randomBytes } from 'node:crypto';
import { findEnvironmentProblems } from './environment';
import { loadWebhooksConfig } from './webhooks.config';

const BASE = { JWT_SECRET: 'x'.repeat(32) };
const SECRET = `whsec_${randomBytes(32).toString('base64')}`;
const URL_A = 'https://hooks.example.com/relance';

describe('webhooks configuration', () => {
  it('is off with no URL, with the documented defaults', () => {
    expect(findEnvironmentProblems(BASE)).toEqual([]);
    expect(loadWebhooksConfig({})).toEqual({
      enabled: false,
      urls: [],
      secret: undefined,
      events: [
        'session.status',
        'session.failure',
        'session.reset',
        'message.status',
      ],
      timeoutMs: 5000,
      maxAttempts: 12,
      backoffBaseMs: 1000,
      backoffMaxMs: 3_600_000,
    });
  });

  it('reads URLs (deduplicated), the secret and an event filter', () => {
    expect(
      loadWebhooksConfig({
        WEBHOOK_URLS: `${URL_A}, http://127.0.0.1:8080/hook,${URL_A}`,
        WEBHOOK_SECRET: SECRET,
        WEBHOOK_EVENTS: 'session.reset, session.failure',
      }),
    ).toMatchObject({
      enabled: true,
      urls: [URL_A, 'http://127.0.0.1:8080/hook'],
      secret: SECRET,
      events: ['session.reset', 'session.failure'],
    });
  });

  it.each([
    [
      'WEBHOOK_URLS',
      { WEBHOOK_URLS: 'ftp://example.com/x', WEBHOOK_SECRET: SECRET },
    ],
    ['WEBHOOK_URLS', { WEBHOOK_URLS: 'not a url', WEBHOOK_SECRET: SECRET }],
    ['WEBHOOK_SECRET', { WEBHOOK_URLS: URL_A }],
    ['WEBHOOK_SECRET', { WEBHOOK_URLS: URL_A, WEBHOOK_SECRET: 'x'.repeat(40) }],
    [
      'WEBHOOK_SECRET',
      // 16 bytes: the format is right but the key is too short.
      {
        WEBHOOK_URLS: URL_A,
        WEBHOOK_SECRET: `whsec_${randomBytes(16).toString('base64')}`,
      },
    ],
    ['WEBHOOK_SECRET', { WEBHOOK_SECRET: 'whsec_not*base64' }],
    ['WEBHOOK_EVENTS', { WEBHOOK_EVENTS: 'session.status,session.qr' }],
    ['WEBHOOK_EVENTS', { WEBHOOK_EVENTS: ',' }],
    ['WEBHOOK_TIMEOUT_MS', { WEBHOOK_TIMEOUT_MS: '50' }],
    ['WEBHOOK_TIMEOUT_MS', { WEBHOOK_TIMEOUT_MS: 'soon' }],
    ['WEBHOOK_MAX_ATTEMPTS', { WEBHOOK_MAX_ATTEMPTS: '0' }],
    ['WEBHOOK_MAX_ATTEMPTS', { WEBHOOK_MAX_ATTEMPTS: '2.5' }],
    [
      'WEBHOOK_BACKOFF_BASE_MS',
      { WEBHOOK_BACKOFF_BASE_MS: '5000', WEBHOOK_BACKOFF_MAX_MS: '1000' },
    ],
  ])('refuses a bad %s at boot, naming it', (name, env) => {
    const problems = findEnvironmentProblems({ ...BASE, ...env });
    expect(problems.length).toBeGreaterThan(0);
    expect(problems.every((problem) => problem.includes(name))).toBe(true);
  });

  it('never repeats the secret in its error message', () => {
    const secret = `whsec_${randomBytes(8).toString('base64')}`;
    const problems = findEnvironmentProblems({
      ...BASE,
      WEBHOOK_URLS: URL_A,
      WEBHOOK_SECRET: secret,
    });
    expect(problems.join('\n')).not.toContain(secret.slice(6));
  });
});
