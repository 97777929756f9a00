import { VerifiedTokenCache } from './verified-token-cache';

const T0 = Date.UTC(2026, 10, 29, 12, 0, 0);
const seconds = (ms: number) => ms / 1000;

function cacheAt(startMs = T0, max = 100) {
  const clock = { now: startMs };
  const cache = new VerifiedTokenCache(max, () => clock.now);
  return { cache, clock };
}

const alice = { userId: 'alice', roles: ['admin'] };
const bob = { userId: 'bob', roles: [] };

describe('VerifiedTokenCache', () => {
  it('answers a verified token until its exp, and not from its exp on', () => {
    const { cache, clock } = cacheAt();
    cache.set('token-a', alice, seconds(T0 + 60_000));

    clock.now = T0 + 59_999;
    expect(cache.get('token-a')).toEqual(alice);
    clock.now = T0 + 60_000;
    expect(cache.get('token-a')).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('keeps nothing for a token without exp or already past it', () => {
    const { cache } = cacheAt();
    cache.set('no-exp', alice, undefined);
    cache.set('expired', alice, seconds(T0 - 1000));
    cache.set('expires-now', alice, seconds(T0));

    expect(cache.get('no-exp')).toBeUndefined();
    expect(cache.get('expired')).toBeUndefined();
    expect(cache.get('expires-now')).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('keeps different tokens apart, also for the same user', () => {
    const { cache } = cacheAt();
    cache.set('token-a', alice, seconds(T0 + 60_000));
    cache.set('token-b', bob, seconds(T0 + 60_000));

    expect(cache.get('token-a')).toEqual(alice);
    expect(cache.get('token-b')).toEqual(bob);
    expect(cache.get('token-c')).toBeUndefined();
    expect(cache.get('token-a ')).toBeUndefined();
  });

  it('is bounded: past its size the least recently used token goes first', () => {
    const { cache } = cacheAt(T0, 2);
    const exp = seconds(T0 + 60_000);
    cache.set('first', alice, exp);
    cache.set('second', bob, exp);
    expect(cache.get('first')).toEqual(alice);
    cache.set('third', bob, exp);

    expect(cache.size).toBe(2);
    expect(cache.get('second')).toBeUndefined();
    expect(cache.get('first')).toEqual(alice);
    expect(cache.get('third')).toEqual(bob);
  });

  it('hands out copies, so a request cannot change the user the next one gets', () => {
    const { cache } = cacheAt();
    cache.set('token-a', alice, seconds(T0 + 60_000));
    cache.get('token-a')?.roles.push('owner');

    expect(cache.get('token-a')).toEqual({ userId: 'alice', roles: ['admin'] });
  });
});
