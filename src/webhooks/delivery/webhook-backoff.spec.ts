import { WebhookBackoff } from './webhook-backoff';

const SECOND = 1_000;
const HOUR = 3_600_000;

describe('webhook retry backoff (full jitter, 1 s … 1 h by default)', () => {
  const backoff = new WebhookBackoff({
    backoffBaseMs: SECOND,
    backoffMaxMs: HOUR,
  });
  let random: jest.SpyInstance<number, []>;

  beforeEach(() => {
    random = jest.spyOn(Math, 'random');
  });

  afterEach(() => {
    random.mockRestore();
  });

  it.each([
    // failed attempts, longest wait
    [1, 2 * SECOND],
    [2, 4 * SECOND],
    [3, 8 * SECOND],
    [5, 32 * SECOND],
    [11, 2_048 * SECOND],
    [12, HOUR],
    [40, HOUR],
  ])(
    'after %i failed attempt(s) waits at most %i ms, never less than 1 s',
    (failed, ceiling) => {
      expect(backoff.ceilingAfter(failed)).toBe(ceiling);
      random.mockReturnValue(0);
      expect(backoff.delayAfter(failed)).toBe(SECOND);
      random.mockReturnValue(0.999_999_999);
      expect(backoff.delayAfter(failed)).toBe(ceiling - 1);
    },
  );

  it('draws the whole range: the wait is jittered, not fixed', () => {
    random.mockReturnValue(0.5);
    expect(backoff.delayAfter(4)).toBe(8 * SECOND);
    random.mockReturnValue(0.25);
    expect(backoff.delayAfter(4)).toBe(4 * SECOND);
  });

  it('stays within [base, ceiling] over many real draws', () => {
    random.mockRestore();
    for (let failed = 1; failed <= 14; failed += 1) {
      for (let i = 0; i < 200; i += 1) {
        const delay = backoff.delayAfter(failed);
        expect(delay).toBeGreaterThanOrEqual(SECOND);
        expect(delay).toBeLessThanOrEqual(backoff.ceilingAfter(failed));
      }
    }
  });

  it('follows smaller settings (as the tests use)', () => {
    const quick = new WebhookBackoff({
      backoffBaseMs: 200,
      backoffMaxMs: 1_000,
    });
    random.mockReturnValue(0.999_999_999);
    expect([1, 2, 3, 4].map((failed) => quick.delayAfter(failed))).toEqual([
      399, 799, 999, 999,
    ]);
    random.mockReturnValue(0);
    expect(quick.delayAfter(3)).toBe(200);
  });
});
