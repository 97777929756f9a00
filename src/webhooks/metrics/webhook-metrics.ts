import { Injectable, Logger, OnModuleDestroy, Provider } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import {
  makeCounterProvider,
  makeGaugeProvider,
  makeHistogramProvider,
} from '@willsoto/nestjs-prometheus';
import { Gauge, register } from 'prom-client';
import { webhooksConfig } from '../../config/webhooks.config';
import { WebhookOutboxRepository } from '../outbox/webhook-outbox.repository';

export const WEBHOOK_DELIVERIES = 'relance_webhook_deliveries_total';
export const WEBHOOK_OLDEST_PENDING = 'relance_webhook_oldest_pending_seconds';
export const WEBHOOK_DELIVERY_DURATION =
  'relance_webhook_delivery_duration_seconds';

const WEBHOOK_METRICS = [
  WEBHOOK_DELIVERIES,
  WEBHOOK_OLDEST_PENDING,
  WEBHOOK_DELIVERY_DURATION,
];

/** How each attempt ended: delivered (2xx), retry (will be tried again) or failed (gave up). */
export type DeliveryOutcome = 'delivered' | 'retry' | 'failed';

const logger = new Logger('WebhookMetrics');

/**
 * Read from MongoDB when Prometheus scrapes, so it covers every instance and
 * survives restarts. On a database error the previous value stays.
 */
async function collectOldestPending(
  this: Gauge<string>,
  outbox: WebhookOutboxRepository,
  config: Pick<ConfigType<typeof webhooksConfig>, 'enabled'>,
): Promise<void> {
  if (!config.enabled) {
    this.set(0);
    return;
  }
  try {
    const since = await outbox.oldestPendingSince();
    this.set(since ? Math.max(0, (Date.now() - since.getTime()) / 1000) : 0);
  } catch (error) {
    logger.warn(
      `Could not read the oldest pending webhook delivery: ${(error as Error).message}`,
    );
  }
}

/** See RelanceMetricsRelease: the default registry outlives an application. */
@Injectable()
export class WebhookMetricsRelease implements OnModuleDestroy {
  onModuleDestroy(): void {
    for (const name of WEBHOOK_METRICS) register.removeSingleMetric(name);
  }
}

export const webhookMetricProviders: Provider[] = [
  makeCounterProvider({
    name: WEBHOOK_DELIVERIES,
    help: 'Webhook delivery attempts by outcome: delivered (2xx), retry (will be retried), failed (last attempt; kept for the admin routes)',
    labelNames: ['outcome'],
  }),
  makeGaugeProvider({
    name: WEBHOOK_OLDEST_PENDING,
    help: 'Age of the oldest webhook delivery not yet delivered nor failed (0 when none)',
    inject: [WebhookOutboxRepository, webhooksConfig.KEY],
    collect: collectOldestPending,
  }),
  makeHistogramProvider({
    name: WEBHOOK_DELIVERY_DURATION,
    help: 'Time from sending a webhook to its response (or timeout), per attempt',
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
  }),
  WebhookMetricsRelease,
];
