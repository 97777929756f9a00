import { Injectable } from '@nestjs/common';
import { EventEmitter } from 'node:events';
import { DecisionOutcome } from '../retry/disconnect-decision';
import { WhatsAppStatus } from '../whatsapp-status';

/** Why a session stopped in a way that needs the user (a new scan) or was their doing. */
export const STATUS_REASONS = [
  'threshold',
  'force',
  'needs_qr',
  'qr_expired',
  'pairing_expired',
  'connection_replaced',
  'user',
  'not_linked',
] as const;
export type StatusReason = (typeof STATUS_REASONS)[number];

/** Why a rescan will be needed: the session's credentials are gone or no longer accepted. */
export type ResetReason = 'threshold' | 'force' | 'needs_qr';

/** A delivery status WhatsApp reported for a message this user sent. */
export type ReceiptStatus = 'server_ack' | 'delivered' | 'read' | 'error';

/**
 * What happened to one user's session, published once by the supervisor (or a
 * user command) and read by every subscriber: GET /qr's waiter, SSE, metrics,
 * webhooks and messaging. In-process only: what must survive a crash is also
 * written to MongoDB by whoever owns it.
 */
export type SessionEvent =
  | {
      type: 'status';
      status: WhatsAppStatus;
      previousStatus?: WhatsAppStatus;
      connectionFailureCount?: number;
      nextReconnectAt?: Date;
      reason?: StatusReason;
    }
  | { type: 'qr'; qr: string }
  /** A pairing code to type on the phone instead of scanning; never logged. */
  | { type: 'pairing'; code: string; expiresAt: Date }
  /** An unplanned close and what the RetryPolicy decided about it. */
  | { type: 'closed'; code?: number; outcome: DecisionOutcome }
  /** A close counted toward the threshold (`count` of `max`). */
  | {
      type: 'failure';
      count: number;
      max: number;
      code?: number;
      reason: string;
    }
  | { type: 'reset'; reason: ResetReason }
  | { type: 'reconnecting'; attempt: number }
  /** A contact sent this user a message; `from` is the contact's phone digits when known. */
  | { type: 'messageReceived'; from: string }
  | { type: 'receipt'; whatsappMessageId: string; status: ReceiptStatus }
  /** A follow-up message (messaging module) changed status; published after it is stored. */
  | {
      type: 'messageStatus';
      messageId: string;
      status: string;
      error?: { code: string; reason: string };
    };

export type SessionEventType = SessionEvent['type'];
export type SessionEventOf<T extends SessionEventType> = Extract<
  SessionEvent,
  { type: T }
>;
export type StatusEvent = SessionEventOf<'status'>;

export type SessionEventListener = (event: SessionEvent) => void;
export type AnySessionEventListener = (
  userId: string,
  event: SessionEvent,
) => void;

const ALL_USERS = Symbol('all users');

/** The per-user stream of session events, plus a firehose for subscribers that watch every user. */
@Injectable()
export class SessionEvents {
  private readonly emitter = new EventEmitter();
  /**
   * Events another instance published (several instances, see
   * ClusterEventRelay): only live streams read them. Kept apart so waiters,
   * metrics, webhooks and messaging here never act on another owner's events.
   */
  private readonly peers = new EventEmitter();

  constructor() {
    // One listener per open stream or waiting request; the count is bounded by clients, not a leak.
    this.emitter.setMaxListeners(0);
    this.peers.setMaxListeners(0);
  }

  /** An event of `userId` that another instance published. */
  emitFromPeer(userId: string, event: SessionEvent): void {
    this.peers.emit(userId, event);
  }

  /** The user's events from this instance and from the others (live streams). */
  subscribeWithPeers(
    userId: string,
    listener: SessionEventListener,
  ): () => void {
    const unsubscribe = this.subscribe(userId, listener);
    this.peers.on(userId, listener);
    return () => {
      unsubscribe();
      this.peers.off(userId, listener);
    };
  }

  /** Users someone here streams, whose events from other instances are worth fetching. */
  peerWatchedUsers(): string[] {
    return this.peers.eventNames().map(String);
  }

  emit(userId: string, event: SessionEvent): void {
    this.emitter.emit(userId, event);
    this.emitter.emit(ALL_USERS, userId, event);
  }

  subscribe(userId: string, listener: SessionEventListener): () => void {
    this.emitter.on(userId, listener);
    return () => this.emitter.off(userId, listener);
  }

  subscribeAll(listener: AnySessionEventListener): () => void {
    this.emitter.on(ALL_USERS, listener);
    return () => this.emitter.off(ALL_USERS, listener);
  }

  /** Listeners of one user's stream, or of every user's (the firehose excluded). */
  listenerCount(userId?: string): number {
    if (userId !== undefined) return this.emitter.listenerCount(userId);
    return this.emitter
      .eventNames()
      .filter((name) => name !== ALL_USERS)
      .reduce((sum, name) => sum + this.emitter.listenerCount(name), 0);
  }

  /** Resolves with the first matching event, or undefined after `timeoutMs`. */
  waitFor(
    userId: string,
    matches: (event: SessionEvent) => boolean,
    timeoutMs: number,
  ): { promise: Promise<SessionEvent | undefined>; cancel: () => void } {
    let settle: (event: SessionEvent | undefined) => void = () => undefined;
    const promise = new Promise<SessionEvent | undefined>(
      (resolve) => (settle = resolve),
    );
    const timer = setTimeout(() => finish(undefined), timeoutMs);
    const unsubscribe = this.subscribe(userId, (event) => {
      if (matches(event)) finish(event);
    });
    function finish(event: SessionEvent | undefined): void {
      clearTimeout(timer);
      unsubscribe();
      settle(event);
    }
    return { promise, cancel: () => finish(undefined) };
  }
}
