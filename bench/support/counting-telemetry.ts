import { DecisionOutcome } from '../../src/relance/retry/disconnect-decision';
import { LifecycleTelemetry } from '../../src/relance/session/lifecycle-telemetry';

/**
 * The lifecycle's metrics port, bound to counters: the benchmarks learn from
 * it when an event has been handled (after its write), without polling.
 */
export class CountingTelemetry extends LifecycleTelemetry {
  closes = 0;
  opens = 0;
  reconnectAttempts = 0;
  sessionsDeleted = 0;
  readonly outcomes = new Map<DecisionOutcome, number>();
  private waiters: Array<{ done: () => boolean; resolve: () => void }> = [];

  closeHandled(_code: number | undefined, outcome: DecisionOutcome): void {
    this.closes += 1;
    this.outcomes.set(outcome, (this.outcomes.get(outcome) ?? 0) + 1);
    this.check();
  }

  opened(): void {
    this.opens += 1;
    this.check();
  }

  reconnectAttempted(): void {
    this.reconnectAttempts += 1;
  }

  sessionDeleted(): void {
    this.sessionsDeleted += 1;
  }

  qrIssued(): void {}

  /** Resolves once closes + opens handled reach `total`. */
  handled(total: number, timeoutMs = 60_000): Promise<void> {
    const done = () => this.closes + this.opens >= total;
    if (done()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new Error(
              `only ${this.closes + this.opens}/${total} events handled after ${timeoutMs} ms`,
            ),
          ),
        timeoutMs,
      );
      this.waiters.push({
        done,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      });
    });
  }

  private check(): void {
    const ready = this.waiters.filter((waiter) => waiter.done());
    if (ready.length === 0) return;
    this.waiters = this.waiters.filter((waiter) => !waiter.done());
    for (const waiter of ready) waiter.resolve();
  }
}
