import { LRUCache } from 'lru-cache';
import { hash } from 'node:crypto';
import type { AuthenticatedUser } from './authenticated-user';

interface Entry {
  user: AuthenticatedUser;
  /** The token's `exp`, in ms since the epoch. */
  expiresAtMs: number;
}

/** How many verified tokens are kept: the least recently used goes first. */
export const MAX_CACHED_TOKENS = 10_000;

/**
 * Tokens already verified, so each is verified once: an HMAC or signature
 * check per request was most of what authentication cost under load. Keyed
 * by the token's SHA-256, so no token is kept in memory; bounded (LRU); an
 * entry lasts until the token's `exp` and not a millisecond longer. Only
 * successes are stored: a refused token is checked again every time, so it
 * is accepted as soon as it becomes valid (`nbf`) and never refused from
 * memory.
 */
export class VerifiedTokenCache {
  private readonly entries: LRUCache<string, Entry>;

  constructor(
    max = MAX_CACHED_TOKENS,
    private readonly now: () => number = Date.now,
  ) {
    this.entries = new LRUCache<string, Entry>({ max });
  }

  get(token: string): AuthenticatedUser | undefined {
    const key = keyOf(token);
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    // The wall clock decides, as it did for the verification.
    if (this.now() >= entry.expiresAtMs) {
      this.entries.delete(key);
      return undefined;
    }
    // A copy: nothing a request does to its user reaches the next request.
    return { userId: entry.user.userId, roles: [...entry.user.roles] };
  }

  /** Keeps a verified token until `exp` (seconds); a token without `exp` is not kept. */
  set(token: string, user: AuthenticatedUser, exp: number | undefined): void {
    if (exp === undefined) return;
    const expiresAtMs = exp * 1000;
    const ttl = expiresAtMs - this.now();
    if (ttl <= 0) return;
    this.entries.set(keyOf(token), { user, expiresAtMs }, { ttl });
  }

  get size(): number {
    return this.entries.size;
  }
}

function keyOf(token: string): string {
  return hash('sha256', token, 'base64url');
}
