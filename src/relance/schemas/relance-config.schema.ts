import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';
import { LINK_METHODS, type LinkMethod } from '../link-method';
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

  /** The lease epoch of the last fenced count write (several instances); absent on a single instance. */
  @Prop({ type: Number, required: false })
  ownerEpoch?: number;

  @Prop({ type: String, enum: WHATSAPP_STATUSES, default: 'disconnected' })
  whatsappStatus: WhatsAppStatus;

  @Prop({ default: 0 })
  connectionFailureCount: number;

  @Prop()
  lastConnectionFailure?: Date;

  @Prop({ type: DisconnectReasonSchema })
  lastDisconnectReason?: DisconnectReason;

  /** The last time a QR code was scanned (a device linked by code leaves it as it was). */
  @Prop()
  lastQrScanDate?: Date;

  /** The last time a device was linked, by QR or by code. */
  @Prop()
  lastLinkedAt?: Date;

  @Prop({ type: String, enum: LINK_METHODS })
  linkMethod?: LinkMethod;

  @Prop()
  lastConnectionCheck?: Date;

  /** The last reset (credentials deleted at the threshold or by force): nothing accepted before it is sent. */
  @Prop()
  sessionResetAt?: Date;

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
