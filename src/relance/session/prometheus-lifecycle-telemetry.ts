import { Injectable } from '@nestjs/common';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import type { Counter, Histogram } from 'prom-client';
import {
  CLOSE_TO_REOPEN,
  CONNECTION_CLOSES,
  QR_CODES_ISSUED,
  RECONNECT_ATTEMPTS,
  SESSION_DELETIONS,
} from '../metrics/relance-metrics';
import { DecisionOutcome } from '../retry/disconnect-decision';
import {
  LifecycleTelemetry,
  SessionDeletionCause,
} from './lifecycle-telemetry';

/** Lifecycle events as Prometheus metrics (see relance-metrics.ts). */
@Injectable()
export class PrometheusLifecycleTelemetry extends LifecycleTelemetry {
  constructor(
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
  ) {
    super();
  }

  closeHandled(code: number | undefined, outcome: DecisionOutcome): void {
    this.closes.inc({
      code: code === undefined ? 'none' : String(code),
      decision: outcome,
    });
  }

  sessionDeleted(cause: SessionDeletionCause): void {
    this.deletions.inc({ cause });
  }

  reconnectAttempted(): void {
    this.reconnects.inc();
  }

  qrIssued(): void {
    this.qrCodes.inc();
  }

  opened(secondsSinceClose: number | undefined): void {
    if (secondsSinceClose !== undefined)
      this.closeToReopen.observe(secondsSinceClose);
  }
}
