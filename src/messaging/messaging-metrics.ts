import { Injectable, OnModuleDestroy, Provider } from '@nestjs/common';
import {
  makeCounterProvider,
  makeGaugeProvider,
  makeHistogramProvider,
} from '@willsoto/nestjs-prometheus';
import { Gauge, register } from 'prom-client';
import { RelanceMessageRepository } from './relance-message.repository';

export const MESSAGES = 'relance_messages_total';
export const OUTBOX_DEPTH = 'relance_outbox_depth';
export const ENQUEUE_TO_ACK = 'relance_message_enqueue_to_ack_seconds';

/** Unsent messages of every user, read from the database when Prometheus scrapes. */
async function collectOutboxDepth(
  this: Gauge<string>,
  repository: RelanceMessageRepository,
): Promise<void> {
  this.set(await repository.countAllUnsent());
}

/** Same reason as RelanceMetricsRelease: the default registry outlives an application. */
@Injectable()
export class MessagingMetricsRelease implements OnModuleDestroy {
  onModuleDestroy(): void {
    for (const name of [MESSAGES, OUTBOX_DEPTH, ENQUEUE_TO_ACK])
      register.removeSingleMetric(name);
  }
}

export const messagingMetricProviders: Provider[] = [
  makeCounterProvider({
    name: MESSAGES,
    help: 'Follow-up messages entering each status',
    labelNames: ['status'],
  }),
  makeGaugeProvider({
    name: OUTBOX_DEPTH,
    help: 'Messages accepted and not yet acknowledged by WhatsApp (scheduled, queued or sending)',
    inject: [RelanceMessageRepository],
    collect: collectOutboxDepth,
  }),
  makeHistogramProvider({
    name: ENQUEUE_TO_ACK,
    help: 'Time from a message being accepted to WhatsApp acknowledging it',
    buckets: [0.5, 1, 2, 5, 10, 30, 60, 300, 1800, 3600, 21600, 86400],
  }),
  MessagingMetricsRelease,
];
