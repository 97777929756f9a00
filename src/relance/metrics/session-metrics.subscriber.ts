import { Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import type { Counter, Histogram } from 'prom-client';
import { SessionEvent, SessionEvents } from '../events/session-events';
import {
  CLOSE_TO_REOPEN,
  CONNECTION_CLOSES,
  QR_CODES_ISSUED,
  RECONNECT_ATTEMPTS,
  SESSION_DELETIONS,
} from './relance-metrics';

/**
 * Session events as Prometheus metrics (see relance-metrics.ts). It only
 * listens: the lifecycle does not know that metrics exist.
 */
@Injectable()
export class SessionMetricsSubscriber implements OnModuleInit, OnModuleDestroy {
  /** When each user's last unplanned close happened, for the close-to-reopen time. */
  private readonly lastCloseAt = new Map<string, number>();
  private unsubscribe?: () => void;

  constructor(
    private readonly events: SessionEvents,
    @InjectMetric(CONNECTION_CLOSES)
    private readonly closes: Counter<'code' | 'decision'>,
    @InjectMetric(SESSION_DELETIONS)
    private readonly deletions: Counter<'cause'>,
    @InjectMetric(RECONNECT_ATTEMPTS)
    private readonly reconnects: Counter,
    @InjectMetric(QR_CODES_ISSUED)
    private readonly qrCodes: Counter,
    @InjectMetric(CLOSE_TO_REOPEN)
    private readonly closeToReopen: Histogram,
  ) {}

  onModuleInit(): void {
    this.unsubscribe = this.events.subscribeAll((userId, event) =>
      this.record(userId, event),
    );
  }

  onModuleDestroy(): void {
    this.unsubscribe?.();
  }

  private record(userId: string, event: SessionEvent): void {
    switch (event.type) {
      case 'closed':
        this.closes.inc({
          code: event.code === undefined ? 'none' : String(event.code),
          decision: event.outcome,
        });
        this.lastCloseAt.set(userId, Date.now());
        return;
      case 'reset':
        // needs_qr asks for a scan but deletes nothing.
        if (event.reason !== 'needs_qr')
          this.deletions.inc({ cause: event.reason });
        return;
      case 'reconnecting':
        this.reconnects.inc();
        return;
      case 'qr':
        this.qrCodes.inc();
        return;
      case 'status':
        if (event.status === 'connected') this.observeReopen(userId);
        return;
      default:
        return;
    }
  }

  private observeReopen(userId: string): void {
    const closedAt = this.lastCloseAt.get(userId);
    this.lastCloseAt.delete(userId);
    if (closedAt !== undefined)
      this.closeToReopen.observe((Date.now() - closedAt) / 1000);
  }
}
