import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { ExponentialBackoff, fullJitterGenerator, IBackoff } from 'cockatiel';
import { whatsappConfig } from '../../config/whatsapp.config';
import { detachedFromRequest } from '../../logging/request-context';

export interface PendingReconnect {
  /** 1 for the first reconnect after a working connection, then 2, 3… */
  attempt: number;
  at: Date;
}

interface UserBackoff {
  backoff?: IBackoff<unknown>;
  attempts: number;
  timer?: NodeJS.Timeout;
  pending?: PendingReconnect;
}

/**
 * At most one pending reconnect per user, with exponential backoff and full
 * jitter from cockatiel: attempt k waits a random time in [0, min(max, base·2^k)].
 * The attempt count survives failed attempts and resets when a socket opens.
 */
@Injectable()
export class ReconnectScheduler {
  private readonly logger = new Logger(ReconnectScheduler.name);
  private readonly users = new Map<string, UserBackoff>();
  private readonly factory: ExponentialBackoff<number>;

  constructor(
    @Inject(whatsappConfig.KEY)
    config: Pick<
      ConfigType<typeof whatsappConfig>,
      'reconnectBaseMs' | 'reconnectMaxMs'
    >,
  ) {
    this.factory = new ExponentialBackoff({
      generator: fullJitterGenerator,
      initialDelay: config.reconnectBaseMs,
      maxDelay: config.reconnectMaxMs,
    });
  }

  /** Schedules `run` unless one is already pending for this user; returns the pending reconnect. */
  schedule(userId: string, run: () => void): PendingReconnect {
    const state = this.users.get(userId) ?? { attempts: 0 };
    this.users.set(userId, state);
    if (state.pending) return state.pending;

    state.backoff = state.backoff
      ? state.backoff.next(undefined)
      : this.factory.next();
    state.attempts += 1;
    const delayMs = state.backoff.duration;
    state.pending = {
      attempt: state.attempts,
      at: new Date(Date.now() + delayMs),
    };
    // The reconnect belongs to no request, even when a request's work scheduled it.
    state.timer = setTimeout(
      detachedFromRequest(() => {
        state.timer = undefined;
        state.pending = undefined;
        run();
      }),
      delayMs,
    );
    // A pending reconnect must never keep the process alive on its own.
    state.timer.unref();
    this.logger.log(
      `Reconnect ${state.attempts} for user ${userId} in ${delayMs} ms`,
    );
    return state.pending;
  }

  pending(userId: string): PendingReconnect | undefined {
    return this.users.get(userId)?.pending;
  }

  /** Drops any pending reconnect and starts the backoff from scratch. */
  cancel(userId: string): void {
    const state = this.users.get(userId);
    if (state?.timer) clearTimeout(state.timer);
    this.users.delete(userId);
  }

  cancelAll(): void {
    for (const userId of [...this.users.keys()]) this.cancel(userId);
  }

  get pendingCount(): number {
    let count = 0;
    for (const state of this.users.values()) if (state.pending) count += 1;
    return count;
  }
}
