import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  OnModuleInit,
} from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { webhooksConfig } from '../config/webhooks.config';
import { SessionEvent, SessionEvents } from '../relance/events/session-events';
import type { WhatsAppStatus } from '../relance/whatsapp-status';
import { WebhookDeliveryWorker } from './delivery/webhook-delivery.worker';
import { WebhookOutboxRepository } from './outbox/webhook-outbox.repository';
import { toWebhookEvent } from './webhook-event.mapper';
import { SHUTDOWN_WAIT_MS, withinBound } from './within-bound';

/**
 * Turns session events into stored webhook events. It only listens: the
 * lifecycle does not know webhooks exist. Each event is written to the outbox
 * as soon as it arrives, one user's events one after the other (so their
 * sequence numbers follow the order they happened in), while the listener
 * itself returns at once: a slow database never holds up the supervisor.
 */
@Injectable()
export class WebhookEventSubscriber
  implements OnModuleInit, BeforeApplicationShutdown
{
  private readonly logger = new Logger(WebhookEventSubscriber.name);
  /** The status this subscriber last saw per user (see toWebhookEvent). */
  private readonly lastStatus = new Map<string, WhatsAppStatus>();
  /** Each user's last queued write; the next one waits for it. */
  private readonly tails = new Map<string, Promise<void>>();
  private unsubscribe?: () => void;

  constructor(
    private readonly events: SessionEvents,
    private readonly outbox: WebhookOutboxRepository,
    private readonly worker: WebhookDeliveryWorker,
    @Inject(webhooksConfig.KEY)
    private readonly config: Pick<
      ConfigType<typeof webhooksConfig>,
      'enabled' | 'urls' | 'events'
    >,
  ) {}

  onModuleInit(): void {
    if (!this.config.enabled) return;
    this.unsubscribe = this.events.subscribeAll((userId, event) =>
      this.receive(userId, event),
    );
  }

  /** Runs before the database connection closes: queued writes still land (bounded, if it is down). */
  async beforeApplicationShutdown(): Promise<void> {
    this.unsubscribe?.();
    await withinBound(this.drained(), SHUTDOWN_WAIT_MS);
  }

  /** Resolves once every event received so far is stored (or given up on). */
  async drained(): Promise<void> {
    await Promise.all(this.tails.values());
  }

  private receive(userId: string, event: SessionEvent): void {
    const webhook = toWebhookEvent(event, this.lastStatus.get(userId));
    if (event.type === 'status') this.lastStatus.set(userId, event.status);
    if (!webhook || !this.config.events.includes(webhook.type)) return;
    const occurredAt = new Date();
    const previous = this.tails.get(userId) ?? Promise.resolve();
    const stored = previous
      .then(() =>
        this.outbox.append(userId, webhook, this.config.urls, occurredAt),
      )
      .then(
        () => this.worker.wake(),
        (error: unknown) =>
          this.logger.error(
            `Could not store a ${webhook.type} webhook event for user ${userId}: ${(error as Error).message}`,
          ),
      );
    this.tails.set(userId, stored);
    void stored.then(() => {
      if (this.tails.get(userId) === stored) this.tails.delete(userId);
    });
  }
}
