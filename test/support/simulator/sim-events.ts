/**
 * The simulator's ordered event log: everything the edge saw or did, so tests can assert on what the
 * server observed, not only on what the client reported.
 */
import type { LoginRefusalReason, SimUser } from './sim-types';

interface SimEventBase {
  /** Position in the log, strictly increasing; use it to wait for events after a given point. */
  readonly seq: number;
  /** Date.now() when it happened. */
  readonly at: number;
  /** Id of the WebSocket connection the event belongs to. */
  readonly conn: number;
}

interface IqFields {
  readonly user?: SimUser;
  readonly xmlns: string;
  readonly iqType: string;
  /** Tag of the first child, e.g. "count" for the pre-key count query. */
  readonly child?: string;
}

/** Everything the simulated edge saw or did, in order. */
export type SimEvent =
  | (SimEventBase & { readonly type: 'connected' })
  | (SimEventBase & { readonly type: 'registration' })
  | (SimEventBase & {
      readonly type: 'qr-refs-sent';
      readonly refs: readonly string[];
    })
  | (SimEventBase & {
      readonly type: 'pair-success';
      readonly user: SimUser;
      readonly jid: string;
      readonly lid: string;
    })
  | (SimEventBase & {
      readonly type: 'paired';
      readonly user: SimUser;
      readonly jid: string;
    })
  | (SimEventBase & {
      readonly type: 'restart-requested';
      readonly user: SimUser;
      readonly code: 515;
    })
  | (SimEventBase & {
      readonly type: 'login-accepted';
      readonly user: SimUser;
      readonly jid: string;
    })
  | (SimEventBase & {
      readonly type: 'login-refused';
      readonly user: SimUser;
      readonly jid: string;
      readonly code: number;
      readonly reason: LoginRefusalReason;
    })
  | (SimEventBase & {
      readonly type: 'kick';
      readonly user: SimUser;
      readonly jid: string;
      readonly code: number;
    })
  | (SimEventBase & {
      readonly type: 'logout';
      readonly user: SimUser;
      readonly jid: string;
      readonly reason: string;
    })
  /** An iq the simulator knows and answered with the content Baileys parses. */
  | (SimEventBase & IqFields & { readonly type: 'iq' })
  /** An iq the simulator does not know: still answered with an empty result, so nothing waits 60 s. */
  | (SimEventBase & IqFields & { readonly type: 'unknown-iq' })
  | (SimEventBase & {
      readonly type: 'closed';
      readonly user?: SimUser;
      readonly jid?: string;
      readonly wsCode: number;
      readonly by: 'client' | 'server';
    });

export type SimEventType = SimEvent['type'];
export type SimEventOf<T extends SimEventType> = Extract<SimEvent, { type: T }>;

/** Omit applied to each member of a union, so the discriminant still narrows. */
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown
  ? Omit<T, K>
  : never;
export type EventInput = DistributiveOmit<SimEvent, 'seq' | 'at'>;

export const DEFAULT_WAIT_TIMEOUT_MS = 5_000;

export class EventLog {
  private readonly entries: SimEvent[] = [];
  private readonly waiters = new Set<(event: SimEvent) => void>();

  record(input: EventInput): void {
    const event: SimEvent = {
      ...input,
      seq: this.entries.length + 1,
      at: Date.now(),
    };
    this.entries.push(event);
    for (const waiter of [...this.waiters]) waiter(event);
  }

  /** A copy of the ordered log. */
  all(): SimEvent[] {
    return [...this.entries];
  }

  /** Resolves with the first event (logged or future) matching `predicate`; rejects with the log attached. */
  waitFor(
    predicate: (event: SimEvent) => boolean,
    timeoutMs = DEFAULT_WAIT_TIMEOUT_MS,
  ): Promise<SimEvent> {
    const past = this.entries.find(predicate);
    if (past) return Promise.resolve(past);
    return new Promise((resolve, reject) => {
      const waiter = (event: SimEvent): void => {
        if (!predicate(event)) return;
        clearTimeout(timer);
        this.waiters.delete(waiter);
        resolve(event);
      };
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(
          new Error(
            `no matching simulator event within ${timeoutMs} ms; log:\n${this.describe()}`,
          ),
        );
      }, timeoutMs);
      this.waiters.add(waiter);
    });
  }

  describe(): string {
    return this.entries.map((event) => JSON.stringify(event)).join('\n');
  }
}
