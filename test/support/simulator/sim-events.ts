/**
 * The simulator's ordered event log: everything the edge saw or did, so tests can assert on what the
 * server observed, not only on what the client reported.
 */
import type {
  AckKind,
  LoginRefusalReason,
  SignalMessageKind,
  SimUser,
} from './sim-types';

interface SimEventBase {
  /** Position in the log, strictly increasing; use it to wait for events after a given point. */
  readonly seq: number;
  /** Date.now() when it happened. */
  readonly at: number;
  /** Id of the WebSocket connection the event belongs to; 0 when none is (e.g. a message kept for an offline device). */
  readonly conn: number;
}

interface IqFields {
  readonly user?: SimUser;
  readonly xmlns: string;
  readonly iqType: string;
  /** Tag of the first child, e.g. "count" for the pre-key count query. */
  readonly child?: string;
}

interface AckFields {
  readonly kind: AckKind;
  readonly user: SimUser;
  readonly from?: SimUser;
  readonly ids: readonly string[];
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
  /** A registering companion asked to be linked by code to `user`'s phone (companion_hello). */
  | (SimEventBase & {
      readonly type: 'link-code-requested';
      readonly user: SimUser;
      readonly ref: string;
    })
  /** `user` typed a code on the phone: the phone sent the companion its half of the key exchange. */
  | (SimEventBase & {
      readonly type: 'link-code-entered';
      readonly user: SimUser;
    })
  /** The phone could not open the companion's key bundle: the companion is told nothing. */
  | (SimEventBase & {
      readonly type: 'link-code-refused';
      readonly user: SimUser;
      readonly reason: 'wrong-code';
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
    })
  // ------------------------------------------------------------ messaging (ids and numbers, never texts)
  /** A linked device sent a <message>; `to` is the destination's phone number. */
  | (SimEventBase & {
      readonly type: 'message-sent';
      readonly user: SimUser;
      readonly jid: string;
      readonly to: string;
      readonly id: string;
      /** How many devices the message was encrypted for (<participants><to>). */
      readonly devices: number;
      /** False when `to` is not on WhatsApp: nobody will deliver it. */
      readonly onWhatsApp: boolean;
    })
  /** A simulated phone decrypted a message; its text is only in sim.received(user). */
  | (SimEventBase & {
      readonly type: 'message-decrypted';
      readonly user: SimUser;
      readonly from: SimUser;
      readonly id: string;
      readonly encryption: SignalMessageKind;
      readonly duplicate: boolean;
    })
  | (SimEventBase & {
      readonly type: 'message-undecryptable';
      readonly user: SimUser;
      readonly from: SimUser;
      readonly id: string;
      readonly reason: string;
    })
  /**
   * The edge sent an ack or receipt for `ids` to `user`'s device(s). `from` is whose receipt it is: the
   * sender's own number for 'sender-receipt', the contact's for 'delivery-receipt' and 'read-receipt';
   * absent for the server's own 'server-ack'.
   */
  | (SimEventBase & AckFields & { readonly type: 'ack' })
  /** Held back by withholdAcks(user); releaseAcks(user) sends it later (then logged as 'ack'). */
  | (SimEventBase & AckFields & { readonly type: 'ack-withheld' })
  /** A contact's phone sent a message to one of `user`'s linked devices (`queued` when that device was offline). */
  | (SimEventBase & {
      readonly type: 'contact-message';
      readonly user: SimUser;
      readonly jid: string;
      readonly from: SimUser;
      readonly id: string;
      readonly encryption: SignalMessageKind;
      readonly queued: boolean;
    })
  /**
   * A linked device sent a receipt for messages it received: 'delivery' when the stanza had no type,
   * 'inactive' for a delivery while Baileys is not marked online, 'read', 'read-self', 'retry'…
   */
  | (SimEventBase & {
      readonly type: 'client-receipt';
      readonly user: SimUser;
      readonly jid: string;
      readonly to: string;
      readonly ids: readonly string[];
      readonly receiptType: string;
    })
  /** Stanzas kept while a device was offline, delivered right after its login. */
  | (SimEventBase & {
      readonly type: 'offline-delivered';
      readonly user: SimUser;
      readonly jid: string;
      readonly count: number;
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
