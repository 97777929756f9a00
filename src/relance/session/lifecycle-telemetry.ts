import { Injectable } from '@nestjs/common';
import { DecisionOutcome } from '../retry/disconnect-decision';

export type SessionDeletionCause = 'threshold' | 'force';

/** What the lifecycle reports for metrics; bound to Prometheus in production. */
export abstract class LifecycleTelemetry {
  abstract closeHandled(
    code: number | undefined,
    outcome: DecisionOutcome,
  ): void;
  abstract sessionDeleted(cause: SessionDeletionCause): void;
  abstract reconnectAttempted(): void;
  abstract qrIssued(): void;
  /** A socket opened; `secondsSinceClose` is set when it follows an unplanned close. */
  abstract opened(secondsSinceClose: number | undefined): void;
}

/** For contexts without metrics (unit tests, benchmarks). */
@Injectable()
export class NoopLifecycleTelemetry extends LifecycleTelemetry {
  closeHandled(): void {}
  sessionDeleted(): void {}
  reconnectAttempted(): void {}
  qrIssued(): void {}
  opened(): void {}
}
