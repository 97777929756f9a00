import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';

/** One running instance: written only by that instance, every TTL/3. */
@Schema({ collection: 'clusterinstances', versionKey: false })
export class InstanceHeartbeat {
  /** The INSTANCE_ID. */
  @Prop({ type: String, required: true })
  _id: string;

  @Prop({ required: true })
  seenAt: Date;
}

export const InstanceHeartbeatSchema =
  SchemaFactory.createForClass(InstanceHeartbeat);
