import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import {
  ExponentialBackoff,
  handleWhen,
  retry,
  RetryPolicy as CockatielRetry,
} from 'cockatiel';
import { isRetryableDatabaseError } from './database-unavailable';

/**
 * The one rule for writes that must not be lost while MongoDB is down or busy
 * (session state, outbox events): retried (bounded) with backoff. Other
 * errors (a bad query) fail at once. Reads do not use it, so the API answers
 * 503 promptly.
 */
@Injectable()
export class DatabaseRetry implements OnModuleInit {
  private readonly logger = new Logger(DatabaseRetry.name);
  private readonly policy: CockatielRetry = retry(
    handleWhen(isRetryableDatabaseError),
    {
      maxAttempts: 20,
      backoff: new ExponentialBackoff({ initialDelay: 50, maxDelay: 5_000 }),
    },
  );

  onModuleInit(): void {
    this.policy.onRetry(({ delay }) =>
      this.logger.warn(
        `Database unavailable; retrying a write in ${Math.round(delay)} ms`,
      ),
    );
  }

  run<T>(write: () => Promise<T>): Promise<T> {
    return this.policy.execute(() => write());
  }
}
