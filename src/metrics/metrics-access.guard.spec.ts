import {
  ExecutionContext,
  ForbiddenException,
  UnauthorizedException,
} from '@nestjs/common';
import { loadMetricsConfig } from '../config/metrics.config';
import { InvalidEnvironmentError } from '../config/env-validation';
import { MetricsAccessGuard } from './metrics-access.guard';

const TOKEN = 'scrape-token-0123456789';

function contextFor(ip: string, authorization?: string): ExecutionContext {
  const request = { ip, headers: authorization ? { authorization } : {} };
  return {
    switchToHttp: () => ({ getRequest: () => request }),
  } as unknown as ExecutionContext;
}

function outcome(
  env: NodeJS.ProcessEnv,
  ip: string,
  authorization?: string,
): 'allowed' | 401 | 403 {
  const guard = new MetricsAccessGuard(loadMetricsConfig(env));
  try {
    guard.canActivate(contextFor(ip, authorization));
    return 'allowed';
  } catch (error) {
    if (error instanceof UnauthorizedException) return 401;
    if (error instanceof ForbiddenException) return 403;
    throw error;
  }
}

const bearer = `Bearer ${TOKEN}`;
const both = { METRICS_TOKEN: TOKEN, METRICS_ALLOWED_IPS: '10.0.0.5,::1' };

describe('MetricsAccessGuard', () => {
  it.each([
    // neither set: loopback only
    [{}, '127.0.0.1', undefined, 'allowed'],
    [{}, '::1', undefined, 'allowed'],
    [{}, '::ffff:127.0.0.1', undefined, 'allowed'],
    [{}, '10.0.0.5', undefined, 403],
    [{}, '10.0.0.5', bearer, 403],
    // token only: from anywhere with the token
    [{ METRICS_TOKEN: TOKEN }, '10.0.0.9', bearer, 'allowed'],
    [{ METRICS_TOKEN: TOKEN }, '127.0.0.1', undefined, 401],
    [{ METRICS_TOKEN: TOKEN }, '10.0.0.9', 'Bearer nope', 401],
    [{ METRICS_TOKEN: TOKEN }, '10.0.0.9', TOKEN, 401],
    // addresses only
    [{ METRICS_ALLOWED_IPS: '10.0.0.5' }, '10.0.0.5', undefined, 'allowed'],
    [
      { METRICS_ALLOWED_IPS: '10.0.0.5' },
      '::ffff:10.0.0.5',
      undefined,
      'allowed',
    ],
    [{ METRICS_ALLOWED_IPS: '10.0.0.5' }, '127.0.0.1', undefined, 403],
    // both: both required
    [both, '10.0.0.5', bearer, 'allowed'],
    [both, '::1', bearer, 'allowed'],
    [both, '10.0.0.5', undefined, 401],
    [both, '10.0.0.6', bearer, 403],
  ] as const)(
    'with %j, a caller at %s sending %s is %s',
    (env, ip, auth, expected) => {
      expect(outcome(env, ip, auth)).toBe(expected);
    },
  );

  it.each([
    [{ METRICS_TOKEN: 'short' }, 'METRICS_TOKEN'],
    [{ METRICS_ALLOWED_IPS: '10.0.0.5, not-an-ip' }, 'METRICS_ALLOWED_IPS'],
  ])('refuses the configuration %j at boot', (env, name) => {
    expect(() => loadMetricsConfig(env)).toThrow(InvalidEnvironmentError);
    expect(() => loadMetricsConfig(env)).toThrow(name);
  });
});
