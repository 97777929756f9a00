import { Prop, Schema, SchemaFactory } from '@nestjs/mongoose';

/** The `type` of the document holding a user's Baileys `creds` (the other types are signal key types). */
export const CREDS_TYPE = 'creds';
export const CREDS_KEY_ID = 'creds';

/**
 * One Baileys auth-state entry of one user: their `creds`, or one signal key
 * (`type` is Baileys' key type, `keyId` the key's id). The value is the JSON text
 * Baileys' BufferJSON writes, kept as a string: keys such as
 * `sender-key-memory` map JIDs (which contain dots) to values, and dotted
 * field names are not portable across MongoDB-compatible servers.
 */
@Schema({ collection: 'sessioncredentials', timestamps: true })
export class SessionCredential {
  @Prop({ required: true })
  userId: string;

  @Prop({ required: true })
  type: string;

  /** Named keyId, not id: mongoose reserves `id` for a virtual of `_id`. */
  @Prop({ required: true })
  keyId: string;

  @Prop({ required: true })
  value: string;

  /** The lease epoch of the last fenced write (several instances); absent on a single instance. */
  @Prop({ type: Number, required: false })
  epoch?: number;

  createdAt?: Date;
  updatedAt?: Date;
}

export const SessionCredentialSchema =
  SchemaFactory.createForClass(SessionCredential);
SessionCredentialSchema.index(
  { userId: 1, type: 1, keyId: 1 },
  { unique: true },
);
// listUsersWithCredentials: every user's creds document.
SessionCredentialSchema.index({ type: 1, userId: 1 });
