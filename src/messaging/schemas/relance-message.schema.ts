import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import { MESSAGE_STATUSES, type MessageStatus } from '../message-status';

@Schema({ _id: false })
export class StoredMessageError {
  @Prop({ required: true })
  code: string;

  @Prop({ required: true })
  reason: string;
}

const StoredMessageErrorSchema =
  SchemaFactory.createForClass(StoredMessageError);

/**
 * One follow-up message in the outbox. `_id` is the API id: random, or
 * derived from the user and the idempotency key, so that the unique `_id`
 * itself arbitrates a repeated key (on any MongoDB-compatible server).
 */
@Schema({ collection: 'relancemessages', versionKey: false })
export class RelanceMessage {
  @Prop({ type: String, required: true })
  _id: string;

  @Prop({ required: true })
  userId: string;

  /** The contact's phone number, digits only. */
  @Prop({ required: true })
  to: string;

  @Prop({ required: true })
  text: string;

  @Prop({ type: String, enum: MESSAGE_STATUSES, required: true })
  status: MessageStatus;

  @Prop({ default: 0 })
  attempts: number;

  /** Chosen before the first attempt; every retry reuses it. */
  @Prop({ required: true })
  whatsappMessageId: string;

  @Prop()
  idempotencyKey?: string;

  /** A hash of the request body, to tell a repeated key from a conflicting one. */
  @Prop()
  bodyHash?: string;

  @Prop({ default: false })
  cancelOnReply: boolean;

  @Prop({ required: true })
  createdAt: Date;

  @Prop()
  sendAt?: Date;

  @Prop({ required: true })
  expiresAt: Date;

  @Prop()
  sentAt?: Date;

  @Prop()
  deliveredAt?: Date;

  @Prop()
  readAt?: Date;

  @Prop({ type: StoredMessageErrorSchema })
  error?: StoredMessageError;
}

export const RelanceMessageSchema =
  SchemaFactory.createForClass(RelanceMessage);
// The delivery worker's query: one user's unsent messages in creation order.
RelanceMessageSchema.index({ userId: 1, status: 1, createdAt: 1 });
// Receipts find a message by the id WhatsApp knows.
RelanceMessageSchema.index({ userId: 1, whatsappMessageId: 1 });
// Listing: newest first per user.
RelanceMessageSchema.index({ userId: 1, createdAt: -1 });
// The expiry sweep.
RelanceMessageSchema.index({ status: 1, expiresAt: 1 });
