import {
  SessionEvent,
  SessionEvents,
} from '../../src/relance/events/session-events';
import { DecisionOutcome } from '../../src/relance/retry/disconnect-decision';

/**
 * Counts session events: the benchmarks learn from it when an event has been
 * handled (events are published after their write), without polling.
 */
export class CountingTelemetry {
  closes = 0;
  opens = 0;
  reconnectAttempts = 0;
  sessionsDeleted = 0;
  /** Sockets the (fake) factory made; the benchmark reports each through socketCreated(). */
  socketsCreated = 0;
  readonly outcomes = new Map<DecisionOutcome, number>();
  private waiters: Array<{ done: () => boolean; resolve: () => void }> = [];

  attach(events: SessionEvents): () => void {
    return events.subscribeAll((_userId, event) => this.record(event));
  }

  private record(event: SessionEvent): void {
    if (event.type === 'closed') this.closeHandled(event.outcome);
    else if (event.type === 'status' && event.status === 'connected')
      this.opened();
    else if (event.type === 'reconnecting') this.reconnectAttempts += 1;
    else if (event.type === 'reset' && event.reason !== 'needs_qr')
      this.sessionsDeleted += 1;
  }

  private closeHandled(outcome: DecisionOutcome): void {
    this.closes += 1;
    this.outcomes.set(outcome, (this.outcomes.get(outcome) ?? 0) + 1);
    this.check();
  }

  private opened(): void {
    this.opens += 1;
    this.check();
  }

  socketCreated(): void {
    this.socketsCreated += 1;
    this.check();
  }

  /** Resolves once closes + opens handled reach `total`. */
  handled(total: number, timeoutMs = 60_000): Promise<void> {
    return this.until(
      () => this.closes + this.opens >= total,
      () => `only ${this.closes + this.opens}/${total} events handled`,
      timeoutMs,
    );
  }

  /** Resolves once `done()` holds, checked whenever a counted event arrives. */
  until(
    done: () => boolean,
    describe: () => string,
    timeoutMs = 60_000,
  ): Promise<void> {
    if (done()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${describe()} after ${timeoutMs} ms`)),
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
