import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import { WHATSAPP_STATUSES, type WhatsAppStatus } from '../whatsapp-status';

@Schema({ _id: false })
export class DisconnectReason {
  @Prop({ required: true })
  code: number;

  @Prop({ required: true })
  name: string;
}

const DisconnectReasonSchema = SchemaFactory.createForClass(DisconnectReason);

@Schema({ collection: 'relanceconfigs', timestamps: true })
export class RelanceConfig {
  @Prop({ required: true, unique: true })
  userId: string;

  @Prop({ type: String, enum: WHATSAPP_STATUSES, default: 'disconnected' })
  whatsappStatus: WhatsAppStatus;

  @Prop({ default: 0 })
  connectionFailureCount: number;

  @Prop()
  lastConnectionFailure?: Date;

  @Prop({ type: DisconnectReasonSchema })
  lastDisconnectReason?: DisconnectReason;

  @Prop()
  lastQrScanDate?: Date;

  @Prop()
  lastConnectionCheck?: Date;

  /** Set by a user's own disconnect: such sessions are not restored on boot. */
  @Prop({ default: false })
  disconnectedByUser: boolean;

  createdAt?: Date;
  updatedAt?: Date;
}

export const RelanceConfigSchema = SchemaFactory.createForClass(RelanceConfig);
// Monitoring queries: users at risk and recent failures.
RelanceConfigSchema.index({ connectionFailureCount: 1 });
RelanceConfigSchema.index({ lastConnectionFailure: 1 });
RelanceConfigSchema.index({ whatsappStatus: 1 });
