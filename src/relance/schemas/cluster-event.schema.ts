import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import { Schema as MongooseSchema } from 'mongoose';

/**
 * A session event one instance published for the live streams of the
 * others (WHATSAPP_CLUSTER=on): short-lived, pruned by its publisher.
 */
@Schema({ collection: 'clusterevents', versionKey: false })
export class ClusterEvent {
  @Prop({ required: true })
  userId: string;

  /** The publishing instance; it never reads its own events back. */
  @Prop({ required: true })
  origin: string;

  @Prop({ required: true })
  at: Date;

  /** The SessionEvent as published (dates stay dates). */
  @Prop({ type: MongooseSchema.Types.Mixed, required: true })
  event: Record<string, unknown>;
}

export const ClusterEventSchema = SchemaFactory.createForClass(ClusterEvent);
ClusterEventSchema.index({ userId: 1, at: 1 });
ClusterEventSchema.index({ origin: 1, at: 1 });
