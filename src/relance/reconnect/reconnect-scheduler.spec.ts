import { ReconnectScheduler } from './reconnect-scheduler';

const BASE = 1_000;
const MAX = 8_000;

describe('ReconnectScheduler', () => {
  let scheduler: ReconnectScheduler;

  beforeEach(() => {
    jest.useFakeTimers({ now: 0 });
    scheduler = new ReconnectScheduler({
      reconnectBaseMs: BASE,
      reconnectMaxMs: MAX,
    });
  });

  afterEach(() => {
    scheduler.cancelAll();
    jest.useRealTimers();
  });

  it('keeps at most one pending reconnect per user and runs it once', () => {
    const run = jest.fn();
    const first = scheduler.schedule('u1', run);
    const again = scheduler.schedule('u1', run);
    expect(again).toBe(first);
    expect(scheduler.pendingCount).toBe(1);
    jest.advanceTimersByTime(MAX + 1);
    expect(run).toHaveBeenCalledTimes(1);
    expect(scheduler.pending('u1')).toBeUndefined();
  });

  it('numbers attempts 1, 2, 3 across failed attempts, each within its full-jitter bound', () => {
    const bounds: number[] = [];
    for (let attempt = 1; attempt <= 5; attempt += 1) {
      const pending = scheduler.schedule('u1', () => undefined);
      expect(pending.attempt).toBe(attempt);
      bounds.push(pending.at.getTime() - Date.now());
      jest.advanceTimersByTime(MAX + 1);
    }
    bounds.forEach((delay, index) => {
      expect(delay).toBeGreaterThanOrEqual(0);
      expect(delay).toBeLessThanOrEqual(Math.min(MAX, BASE * 2 ** (index + 1)));
    });
  });

  it('cancel drops the pending run and starts the backoff again at attempt 1', () => {
    const run = jest.fn();
    scheduler.schedule('u1', run);
    scheduler.cancel('u1');
    jest.advanceTimersByTime(MAX + 1);
    expect(run).not.toHaveBeenCalled();
    expect(scheduler.schedule('u1', run).attempt).toBe(1);
  });

  it('keeps users independent, and cancelAll clears every one of them', () => {
    const runs = { a: jest.fn(), b: jest.fn() };
    scheduler.schedule('a', runs.a);
    scheduler.schedule('b', runs.b);
    scheduler.cancel('a');
    expect(scheduler.pending('b')).toBeDefined();
    scheduler.cancelAll();
    jest.advanceTimersByTime(MAX + 1);
    expect(runs.a).not.toHaveBeenCalled();
    expect(runs.b).not.toHaveBeenCalled();
    expect(scheduler.pendingCount).toBe(0);
  });
});
