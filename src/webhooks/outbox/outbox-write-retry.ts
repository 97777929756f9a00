import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import {
  ExponentialBackoff,
  handleWhen,
  retry,
  RetryPolicy as CockatielRetry,
} from 'cockatiel';
import { isRetryableDatabaseError } from '../../common/database-unavailable';

/**
 * An event that is not stored is lost, so outbox writes are retried (bounded,
 * with backoff) while MongoDB is unreachable or busy; other errors fail at
 * once. The same rule as the session writes (src/relance/database-retry.ts),
 * which RelanceModule keeps to itself.
 */
@Injectable()
export class OutboxWriteRetry implements OnModuleInit {
  private readonly logger = new Logger(OutboxWriteRetry.name);
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
        `Database unavailable; retrying a webhook outbox write in ${Math.round(delay)} ms`,
      ),
    );
  }

  run<T>(write: () => Promise<T>): Promise<T> {
    return this.policy.execute(() => write());
  }
}
