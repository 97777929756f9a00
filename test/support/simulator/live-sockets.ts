/**
 * Live logged-in sockets per account over time, replayed from the event log: a connection counts from its
 * login-accepted to its close. Registration connections (showing QR codes) never count: they belong to no
 * account until the phone links them, and then they restart (515) and log in like any other.
 */
import type { SimEvent } from './sim-events';
import type { SimUser } from './sim-types';

/** One change of an account's live socket count. */
export interface LiveSocketSample {
  readonly seq: number;
  readonly at: number;
  readonly user: SimUser;
  /** Logged-in connections of `user` right after this event. */
  readonly live: number;
}

export function liveSocketHistory(
  events: readonly SimEvent[],
): LiveSocketSample[] {
  const loggedIn = new Map<number, SimUser>();
  const live = new Map<SimUser, number>();
  const samples: LiveSocketSample[] = [];
  const change = (event: SimEvent, user: SimUser, delta: number) => {
    const count = (live.get(user) ?? 0) + delta;
    live.set(user, count);
    samples.push({ seq: event.seq, at: event.at, user, live: count });
  };
  for (const event of events) {
    if (event.type === 'login-accepted') {
      loggedIn.set(event.conn, event.user);
      change(event, event.user, 1);
    } else if (event.type === 'closed') {
      const user = loggedIn.get(event.conn);
      if (user === undefined) continue;
      loggedIn.delete(event.conn);
      change(event, user, -1);
    }
  }
  return samples;
}
