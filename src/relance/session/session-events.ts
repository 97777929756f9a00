import { Injectable } from '@nestjs/common';
import { EventEmitter } from 'node:events';
import { WhatsAppStatus } from '../whatsapp-status';

export type SessionEvent =
  | {
      type: 'status';
      status: WhatsAppStatus;
      connectionFailureCount?: number;
      nextReconnectAt?: Date;
      /** Why a connection ended, when the caller must act (stored credentials need a scan). */
      reason?: 'needs_qr';
    }
  | { type: 'qr'; qr: string };

export type StatusEvent = Extract<SessionEvent, { type: 'status' }>;

export type SessionEventListener = (event: SessionEvent) => void;

/** Per-user stream of status changes and QR codes (GET /qr waits on it; the SSE stream relays it). */
@Injectable()
export class SessionEvents {
  private readonly emitter = new EventEmitter();

  constructor() {
    // One listener per open stream or waiting request; the count is bounded by clients, not a leak.
    this.emitter.setMaxListeners(0);
  }

  emit(userId: string, event: SessionEvent): void {
    this.emitter.emit(userId, event);
  }

  publishStatus(
    userId: string,
    status: WhatsAppStatus,
    details: Omit<StatusEvent, 'type' | 'status'> = {},
  ): void {
    this.emit(userId, { type: 'status', status, ...details });
  }

  subscribe(userId: string, listener: SessionEventListener): () => void {
    this.emitter.on(userId, listener);
    return () => this.emitter.off(userId, listener);
  }

  listenerCount(userId?: string): number {
    if (userId !== undefined) return this.emitter.listenerCount(userId);
    return this.emitter
      .eventNames()
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
