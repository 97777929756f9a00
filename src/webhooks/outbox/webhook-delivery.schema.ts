import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import type { HydratedDocument } from 'mongoose';
import { WEBHOOK_EVENT_TYPES, type WebhookEventType } from '../webhook-event';

export const DELIVERY_STATES = ['pending', 'delivered', 'failed'] as const;
export type DeliveryState = (typeof DELIVERY_STATES)[number];

/**
 * One event for one configured URL: the outbox row the worker delivers.
 *
 * An event sent to two URLs is two rows sharing `webhookId`, `sequence` and
 * `body`. Each URL's delivery then succeeds, retries, fails and is redelivered
 * on its own with single-document updates (FerretDB has no multi-document
 * transactions), and with one URL (the usual case) storing an event is one
 * atomic insert.
 */
@Schema({ collection: 'webhookdeliveries', timestamps: true })
export class WebhookDelivery {
  /** The Standard Webhooks `webhook-id`: the same on every attempt and every URL of one event. */
  @Prop({ required: true })
  webhookId: string;

  @Prop({ required: true })
  userId: string;

  /** The user's event number: 1, 2, 3… with no gaps. */
  @Prop({ required: true })
  sequence: number;

  @Prop({ type: String, required: true, enum: WEBHOOK_EVENT_TYPES })
  type: WebhookEventType;

  @Prop({ required: true })
  url: string;

  /** The exact JSON sent (and signed) on every attempt. */
  @Prop({ required: true })
  body: string;

  @Prop({ type: String, required: true, enum: DELIVERY_STATES })
  state: DeliveryState;

  @Prop({ required: true, default: 0 })
  attempts: number;

  /** When a pending delivery is due; while an attempt runs, the end of its lease. */
  @Prop({ required: true })
  nextAttemptAt: Date;

  @Prop()
  lastAttemptAt?: Date;

  /** "HTTP 500 Internal Server Error", "timeout after 5000 ms"…, capped; never the response body. */
  @Prop()
  lastStatusLine?: string;

  @Prop()
  deliveredAt?: Date;

  @Prop()
  failedAt?: Date;

  createdAt: Date;
  updatedAt: Date;
}

export type WebhookDeliveryDocument = HydratedDocument<WebhookDelivery>;

export const WebhookDeliverySchema =
  SchemaFactory.createForClass(WebhookDelivery);
// Arbitrates sequence numbers: two writers that drew the same number cannot both store it.
WebhookDeliverySchema.index(
  { userId: 1, sequence: 1, url: 1 },
  { unique: true },
);
// The worker's due query, the oldest-pending gauge and the admin's failed list.
WebhookDeliverySchema.index({ state: 1, nextAttemptAt: 1 });
WebhookDeliverySchema.index({ state: 1, createdAt: 1 });
WebhookDeliverySchema.index({ state: 1, failedAt: -1 });
