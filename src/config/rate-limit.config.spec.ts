import { findEnvironmentProblems } from './environment';
import { rateLimitConfig } from './rate-limit.config';

const BASE = { JWT_SECRET: 'x'.repeat(32) };

const problemsFor = findEnvironmentProblems;

describe('rate limit configuration', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  it('defaults to 10 per minute for GET /qr and DELETE /disconnect', () => {
    delete process.env.RATE_LIMIT_QR_PER_MINUTE;
    delete process.env.RATE_LIMIT_DISCONNECT_PER_MINUTE;
    expect(rateLimitConfig()).toEqual({
      qrPerMinute: 10,
      disconnectPerMinute: 10,
    });
  });

  it('reads custom limits', () => {
    process.env.RATE_LIMIT_QR_PER_MINUTE = '3';
    process.env.RATE_LIMIT_DISCONNECT_PER_MINUTE = '500';
    expect(rateLimitConfig()).toEqual({
      qrPerMinute: 3,
      disconnectPerMinute: 500,
    });
  });

  it.each([
    ['RATE_LIMIT_QR_PER_MINUTE', '0'],
    ['RATE_LIMIT_QR_PER_MINUTE', 'ten'],
    ['RATE_LIMIT_QR_PER_MINUTE', '2.5'],
    ['RATE_LIMIT_DISCONNECT_PER_MINUTE', '-1'],
    ['RATE_LIMIT_DISCONNECT_PER_MINUTE', '1000000'],
  ])('refuses %s=%s at boot, naming it', (name, value) => {
    const problems = problemsFor({ ...BASE, [name]: value });
    expect(problems.length).toBeGreaterThan(0);
    expect(problems.every((problem) => problem.includes(name))).toBe(true);
  });
});
