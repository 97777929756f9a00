import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';

/**
 * One step in the history of a user's lease. The lease is the step with the
 * highest `seq`; every acquisition, renewal and release inserts step seq + 1,
 * and the unique index on (userId, seq) lets exactly one insert win each step
 * (see SessionLeaseRepository for why inserts, not filtered updates).
 */
@Schema({ collection: 'sessionleases', versionKey: false })
export class SessionLease {
  @Prop({ required: true })
  userId: string;

  /** The step number: increases on every acquisition, renewal and release. */
  @Prop({ required: true })
  seq: number;

  /** The fencing token: increases only when the session changes hands. */
  @Prop({ required: true })
  epoch: number;

  /** The holding instance; null once released. */
  @Prop({ type: String, default: null })
  owner: string | null;

  @Prop({ required: true })
  expiresAt: Date;

  /**
   * Another instance asked for this session (a user command reached it):
   * the owner gives it up at its next renewal, and a released lease stays
   * reserved for this instance until `expiresAt`.
   */
  @Prop({ type: String, default: null })
  handoverTo: string | null;
}

export const SessionLeaseSchema = SchemaFactory.createForClass(SessionLease);
SessionLeaseSchema.index({ userId: 1, seq: 1 }, { unique: true });
