import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
} from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { webhooksConfig } from '../../config/webhooks.config';
import { SHUTDOWN_WAIT_MS, withinBound } from '../within-bound';
import {
  StoredDelivery,
  WebhookOutboxRepository,
} from '../outbox/webhook-outbox.repository';
import { WebhookDispatcher } from './webhook-dispatcher';

/** Attempts in flight at once, across all receivers. */
export const MAX_IN_FLIGHT = 10;
/** A claimed delivery falls due again this long after its attempt's timeout (a crash mid-attempt). */
const LEASE_MARGIN_MS = 5_000;
/** Look at the outbox at least this often: another instance's events, a database that came back. */
const IDLE_POLL_MS = 5_000;
/** Never spin: a delivery due now but claimed elsewhere is looked at again after this. */
const MIN_WAKE_MS = 50;

/**
 * Delivers the outbox, off the event path: it reads due deliveries from
 * MongoDB (so a restart or a crash loses nothing), runs up to MAX_IN_FLIGHT
 * attempts at once and sleeps until the next one falls due. A new event only
 * wakes it early. The session lifecycle never waits for it.
 */
@Injectable()
export class WebhookDeliveryWorker
  implements OnApplicationBootstrap, BeforeApplicationShutdown
{
  private readonly logger = new Logger(WebhookDeliveryWorker.name);
  private readonly inFlight = new Map<string, Promise<void>>();
  private readonly shutdown = new AbortController();
  private running = false;
  private pumping = false;
  private pumpAgain = false;
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly outbox: WebhookOutboxRepository,
    private readonly dispatcher: WebhookDispatcher,
    @Inject(webhooksConfig.KEY)
    private readonly config: Pick<
      ConfigType<typeof webhooksConfig>,
      'enabled' | 'urls' | 'timeoutMs'
    >,
  ) {}

  /** Starts in the background: the boot never waits for the outbox. */
  onApplicationBootstrap(): void {
    if (!this.config.enabled) return;
    this.running = true;
    void this.failUnconfigured().then(() => this.wake());
  }

  /** Stops claiming, abandons attempts in flight (their deliveries stay pending) and waits for them, bounded. */
  async beforeApplicationShutdown(): Promise<void> {
    this.running = false;
    clearTimeout(this.timer);
    this.shutdown.abort();
    await withinBound(
      Promise.allSettled(this.inFlight.values()),
      SHUTDOWN_WAIT_MS,
    );
  }

  /** Looks for due deliveries now (a new event was stored, an attempt ended). */
  wake(): void {
    if (!this.running) return;
    void this.pump();
  }

  get inFlightCount(): number {
    return this.inFlight.size;
  }

  private async failUnconfigured(): Promise<void> {
    try {
      const failed = await this.outbox.failUnconfigured(
        this.config.urls,
        new Date(),
      );
      if (failed > 0)
        this.logger.warn(
          `${failed} pending webhook deliveries were for URLs no longer in WEBHOOK_URLS; marked failed`,
        );
    } catch (error) {
      this.logger.warn(
        `Could not fail the deliveries to removed URLs: ${(error as Error).message}`,
      );
    }
  }

  private async pump(): Promise<void> {
    if (this.pumping) {
      this.pumpAgain = true;
      return;
    }
    this.pumping = true;
    let nextWakeMs = IDLE_POLL_MS;
    try {
      do {
        this.pumpAgain = false;
        await this.fillFreeSlots();
      } while (this.pumpAgain && this.running);
      nextWakeMs = await this.untilNextDue();
    } catch (error) {
      this.logger.warn(
        `Could not read the webhook outbox: ${(error as Error).message}; trying again in ${IDLE_POLL_MS} ms`,
      );
    } finally {
      this.pumping = false;
    }
    this.sleep(nextWakeMs);
  }

  private async fillFreeSlots(): Promise<void> {
    const free = MAX_IN_FLIGHT - this.inFlight.size;
    if (free <= 0 || !this.running) return;
    const now = new Date();
    const claimed = await this.outbox.claimDue(
      this.config.urls,
      now,
      free,
      new Date(now.getTime() + this.config.timeoutMs + LEASE_MARGIN_MS),
    );
    for (const delivery of claimed) this.start(delivery);
    // A full batch may mean more are due; slots freed meanwhile are filled on the next pass.
    if (claimed.length === free) this.pumpAgain = true;
  }

  private start(delivery: StoredDelivery): void {
    const run = this.dispatcher
      .attempt(delivery, this.shutdown.signal)
      .catch((error: unknown) =>
        this.logger.error(
          `Webhook ${delivery.webhookId}: could not record the attempt (${(error as Error).message}); it is retried when its lease ends`,
        ),
      )
      .finally(() => {
        this.inFlight.delete(delivery.id);
        this.wake();
      });
    this.inFlight.set(delivery.id, run);
  }

  /** With every slot busy, an ending attempt wakes the worker; otherwise the next due time does. */
  private async untilNextDue(): Promise<number> {
    if (this.inFlight.size >= MAX_IN_FLIGHT) return IDLE_POLL_MS;
    const next = await this.outbox.nextDueAt(this.config.urls);
    if (!next) return IDLE_POLL_MS;
    return Math.min(
      IDLE_POLL_MS,
      Math.max(MIN_WAKE_MS, next.getTime() - Date.now()),
    );
  }

  private sleep(ms: number): void {
    clearTimeout(this.timer);
    if (!this.running) return;
    this.timer = setTimeout(() => this.wake(), ms);
    // Pending deliveries must never keep the process alive on their own.
    this.timer.unref();
  }
}
