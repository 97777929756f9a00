import { Injectable } from '@nestjs/common';

/**
 * Wakes a user's idle delivery worker when a message is accepted in this
 * process, so it does not wait for its next poll. Polling still finds
 * messages accepted by other instances.
 */
@Injectable()
export class DeliveryWakeUps {
  private readonly sleepers = new Map<string, () => void>();

  wake(userId: string): void {
    this.sleepers.get(userId)?.();
  }

  /** Resolves on a wake-up, after `timeoutMs`, or when `signal` aborts. */
  waitFor(
    userId: string,
    timeoutMs: number,
    signal: AbortSignal,
  ): Promise<void> {
    // Stopped before it started waiting: the abort event already fired and will not again.
    if (signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        if (this.sleepers.get(userId) === done) this.sleepers.delete(userId);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      timer.unref();
      signal.addEventListener('abort', done);
      this.sleepers.set(userId, done);
    });
  }
}
