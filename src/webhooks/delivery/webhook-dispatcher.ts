import { Inject, Injectable, Logger } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import type { Counter, Histogram } from 'prom-client';
import { webhooksConfig } from '../../config/webhooks.config';
import {
  WEBHOOK_DELIVERIES,
  WEBHOOK_DELIVERY_DURATION,
} from '../metrics/webhook-metrics';
import {
  AttemptRecord,
  StoredDelivery,
  WebhookOutboxRepository,
} from '../outbox/webhook-outbox.repository';
import { WebhookBackoff } from './webhook-backoff';
import { WebhookSigner } from './webhook-signer';
import { WebhookTransport } from './webhook-transport';

/** Where a delivery goes, for logs: the origin only (no path, query or credentials). */
function endpointOf(url: string): string {
  return new URL(url).origin;
}

/**
 * One attempt at one claimed delivery: sign, POST, then store the outcome in
 * one write (delivered; retry later by the backoff; or failed after
 * WEBHOOK_MAX_ATTEMPTS). Only the capped status line of the response is kept.
 */
@Injectable()
export class WebhookDispatcher {
  private readonly logger = new Logger(WebhookDispatcher.name);

  constructor(
    private readonly outbox: WebhookOutboxRepository,
    private readonly transport: WebhookTransport,
    private readonly signer: WebhookSigner,
    private readonly backoff: WebhookBackoff,
    @Inject(webhooksConfig.KEY)
    private readonly config: Pick<
      ConfigType<typeof webhooksConfig>,
      'timeoutMs' | 'maxAttempts'
    >,
    @InjectMetric(WEBHOOK_DELIVERIES)
    private readonly deliveries: Counter<'outcome'>,
    @InjectMetric(WEBHOOK_DELIVERY_DURATION)
    private readonly duration: Histogram,
  ) {}

  async attempt(delivery: StoredDelivery, signal: AbortSignal): Promise<void> {
    const stopTimer = this.duration.startTimer();
    const result = await this.transport.post({
      url: delivery.url,
      headers: {
        ...this.signer.sign(delivery.webhookId, new Date(), delivery.body),
      },
      body: delivery.body,
      timeoutMs: this.config.timeoutMs,
      signal,
    });
    if (result.outcome === 'aborted') {
      // Our shutdown, not the receiver's answer: no attempt is counted.
      await this.outbox.release(delivery.id, new Date());
      return;
    }
    stopTimer();
    const record: AttemptRecord = {
      attempts: delivery.attempts + 1,
      at: new Date(),
      statusLine: result.statusLine,
    };
    if (result.outcome === 'accepted') {
      await this.outbox.markDelivered(delivery.id, record);
      this.deliveries.inc({ outcome: 'delivered' });
      return;
    }
    const what = `Webhook ${delivery.webhookId} (${delivery.type}, user ${delivery.userId}) to ${endpointOf(delivery.url)}: ${result.statusLine}`;
    if (record.attempts >= this.config.maxAttempts) {
      await this.outbox.markFailed(delivery.id, record);
      this.deliveries.inc({ outcome: 'failed' });
      this.logger.warn(
        `${what}; gave up after ${record.attempts} attempt(s), kept as failed`,
      );
      return;
    }
    const delayMs = this.backoff.delayAfter(record.attempts);
    await this.outbox.scheduleRetry(
      delivery.id,
      record,
      new Date(record.at.getTime() + delayMs),
    );
    this.deliveries.inc({ outcome: 'retry' });
    this.logger.log(
      `${what}; attempt ${record.attempts}/${this.config.maxAttempts}, next in ${delayMs} ms`,
    );
  }
}
