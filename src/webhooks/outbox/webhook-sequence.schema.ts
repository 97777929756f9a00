import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';

/** One counter per user: the last `sequence` handed out for that user's webhook events. */
@Schema({ collection: 'webhooksequences', versionKey: false })
export class WebhookSequence {
  /** The user id. */
  @Prop({ type: String, required: true })
  _id: string;

  @Prop({ required: true, default: 0 })
  value: number;
}

export const WebhookSequenceSchema =
  SchemaFactory.createForClass(WebhookSequence);
