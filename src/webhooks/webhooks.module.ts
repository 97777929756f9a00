import { Module } from '@nestjs/common';
import { MongooseModule } from '@nestjs/mongoose';
import { RelanceModule } from '../relance/relance.module';
import { FailedDeliveriesReader } from './admin/failed-deliveries.reader';
import { WebhooksAdminController } from './admin/webhooks-admin.controller';
import { FetchWebhookTransport } from './delivery/fetch-webhook-transport';
import { WebhookBackoff } from './delivery/webhook-backoff';
import { WebhookDeliveryWorker } from './delivery/webhook-delivery.worker';
import { WebhookDispatcher } from './delivery/webhook-dispatcher';
import { WebhookSigner } from './delivery/webhook-signer';
import { WebhookTransport } from './delivery/webhook-transport';
import { webhookMetricProviders } from './metrics/webhook-metrics';
import { DatabaseRetry } from '../common/database-retry';
import {
  WebhookDelivery,
  WebhookDeliverySchema,
} from './outbox/webhook-delivery.schema';
import { WebhookOutboxRepository } from './outbox/webhook-outbox.repository';
import {
  WebhookSequence,
  WebhookSequenceSchema,
} from './outbox/webhook-sequence.schema';
import { WebhookSequences } from './outbox/webhook-sequences';
import { WebhookEventSubscriber } from './webhook-event.subscriber';

/**
 * Signed, durable notifications of session and message events (Standard
 * Webhooks). It subscribes to SessionEvents; nothing in the lifecycle calls it.
 */
@Module({
  imports: [
    RelanceModule,
    MongooseModule.forFeature([
      { name: WebhookDelivery.name, schema: WebhookDeliverySchema },
      { name: WebhookSequence.name, schema: WebhookSequenceSchema },
    ]),
  ],
  controllers: [WebhooksAdminController],
  providers: [
    DatabaseRetry,
    WebhookSequences,
    WebhookOutboxRepository,
    FailedDeliveriesReader,
    WebhookSigner,
    WebhookBackoff,
    WebhookDispatcher,
    WebhookDeliveryWorker,
    WebhookEventSubscriber,
    ...webhookMetricProviders,
    { provide: WebhookTransport, useClass: FetchWebhookTransport },
  ],
})
export class WebhooksModule {}
