import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import {
  ExponentialBackoff,
  handleWhen,
  retry,
  RetryPolicy as CockatielRetry,
} from 'cockatiel';
import { isDatabaseUnavailable } from '../../common/database-unavailable';

/**
 * Connection events must not be lost while MongoDB is down: their writes are
 * retried (bounded) with backoff. Only "database unreachable" errors are
 * retried; a bad query fails at once.
 */
@Injectable()
export class DatabaseRetry implements OnModuleInit {
  private readonly logger = new Logger(DatabaseRetry.name);
  private readonly policy: CockatielRetry = retry(
    handleWhen(isDatabaseUnavailable),
    {
      maxAttempts: 12,
      backoff: new ExponentialBackoff({ initialDelay: 250, maxDelay: 10_000 }),
    },
  );

  onModuleInit(): void {
    this.policy.onRetry(({ delay }) =>
      this.logger.warn(
        `Database unavailable; retrying a session write in ${Math.round(delay)} ms`,
      ),
    );
  }

  run<T>(write: () => Promise<T>): Promise<T> {
    return this.policy.execute(() => write());
  }
}
