import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { fullJitterGenerator, IExponentialBackoffOptions } from 'cockatiel';
import { webhooksConfig } from '../../config/webhooks.config';

type BackoffSettings = Pick<
  ConfigType<typeof webhooksConfig>,
  'backoffBaseMs' | 'backoffMaxMs'
>;

/**
 * When to try a failed delivery again: cockatiel's full jitter, so after the
 * n-th failed attempt the wait is random in [0, min(max, base·2^n)), raised to
 * at least the base. Every retry therefore waits between the base (1 s by
 * default) and the cap (1 h), and receivers that come back are not hit by
 * every sender at the same instant.
 *
 * The attempt count lives in MongoDB (a retry may run in another process), so
 * the delay is drawn from the generator for that count rather than by walking
 * an in-memory backoff chain.
 */
@Injectable()
export class WebhookBackoff {
  constructor(
    @Inject(webhooksConfig.KEY) private readonly config: BackoffSettings,
  ) {}

  /** Milliseconds to wait after `failedAttempts` (1, 2, …) failed attempts. */
  delayAfter(failedAttempts: number): number {
    const [jittered] = fullJitterGenerator(failedAttempts, this.options());
    return Math.min(
      this.config.backoffMaxMs,
      Math.max(this.config.backoffBaseMs, jittered),
    );
  }

  /** The longest wait after `failedAttempts` failed attempts. */
  ceilingAfter(failedAttempts: number): number {
    return Math.max(
      this.config.backoffBaseMs,
      Math.min(
        this.config.backoffMaxMs,
        this.config.backoffBaseMs * 2 ** failedAttempts,
      ),
    );
  }

  private options(): IExponentialBackoffOptions<number> {
    return {
      generator: fullJitterGenerator,
      initialDelay: this.config.backoffBaseMs,
      maxDelay: this.config.backoffMaxMs,
      exponent: 2,
    };
  }
}
