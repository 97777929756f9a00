import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model } from 'mongoose';
import {
  DisconnectReason,
  RelanceConfig,
} from './schemas/relance-config.schema';
import { WhatsAppStatus } from './whatsapp-status';

/** What the rest of the code reads; documents written before a field existed read with its default. */
export interface StoredRelanceConfig {
  userId: string;
  whatsappStatus: WhatsAppStatus;
  connectionFailureCount: number;
  lastConnectionFailure?: Date;
  lastDisconnectReason?: DisconnectReason;
  lastQrScanDate?: Date;
  lastConnectionCheck?: Date;
  disconnectedByUser: boolean;
}

export interface RecordedClose {
  countFailure: boolean;
  reason: DisconnectReason;
  status: WhatsAppStatus;
  at: Date;
}

type StoredFields = Partial<RelanceConfig> & { userId: string };

function toStored(doc: StoredFields): StoredRelanceConfig {
  return {
    userId: doc.userId,
    whatsappStatus: doc.whatsappStatus ?? 'disconnected',
    connectionFailureCount: doc.connectionFailureCount ?? 0,
    lastConnectionFailure: doc.lastConnectionFailure ?? undefined,
    lastDisconnectReason: doc.lastDisconnectReason ?? undefined,
    lastQrScanDate: doc.lastQrScanDate ?? undefined,
    lastConnectionCheck: doc.lastConnectionCheck ?? undefined,
    disconnectedByUser: doc.disconnectedByUser ?? false,
  };
}

const UPSERT_AND_RETURN = {
  upsert: true,
  returnDocument: 'after',
  lean: true,
} as const;

/**
 * Every write to `relanceconfigs`. Each method is one atomic operation
 * (operators + upsert), never a read-modify-write.
 */
@Injectable()
export class RelanceConfigRepository {
  constructor(
    @InjectModel(RelanceConfig.name)
    private readonly model: Model<RelanceConfig>,
  ) {}

  async findByUserId(userId: string): Promise<StoredRelanceConfig | undefined> {
    const doc = await this.model
      .findOne({ userId })
      .lean<StoredFields>()
      .exec();
    return doc ? toStored(doc) : undefined;
  }

  async setStatus(
    userId: string,
    status: WhatsAppStatus,
    at: Date,
  ): Promise<void> {
    await this.model
      .updateOne(
        { userId },
        { $set: { whatsappStatus: status, lastConnectionCheck: at } },
        { upsert: true },
      )
      .exec();
  }

  /** A socket opened: the consecutive count starts again. */
  async markConnected(
    userId: string,
    at: Date,
    afterQrScan: boolean,
  ): Promise<void> {
    await this.model
      .updateOne(
        { userId },
        {
          $set: {
            whatsappStatus: 'connected',
            connectionFailureCount: 0,
            lastConnectionCheck: at,
            disconnectedByUser: false,
            ...(afterQrScan ? { lastQrScanDate: at } : {}),
          },
          $unset: { lastConnectionFailure: 1 },
        },
        { upsert: true },
      )
      .exec();
  }

  /** Records a close in one atomic update and returns the consecutive count it produced. */
  async recordClose(userId: string, close: RecordedClose): Promise<number> {
    const doc = await this.model
      .findOneAndUpdate(
        { userId },
        {
          $inc: { connectionFailureCount: close.countFailure ? 1 : 0 },
          $set: {
            whatsappStatus: close.status,
            lastDisconnectReason: close.reason,
            lastConnectionCheck: close.at,
            ...(close.countFailure ? { lastConnectionFailure: close.at } : {}),
          },
        },
        UPSERT_AND_RETURN,
      )
      .exec();
    return (doc as StoredFields | null)?.connectionFailureCount ?? 0;
  }

  /**
   * Resets the count after a threshold crossing. It only applies while the
   * count is still at least the value this caller's increment produced, so
   * when closes race exactly one caller wins (and deletes the files).
   */
  async resetAfterThreshold(
    userId: string,
    reachedCount: number,
  ): Promise<boolean> {
    // The document as it was before tells whether this caller's filter matched.
    const before = await this.model
      .findOneAndUpdate(
        { userId, connectionFailureCount: { $gte: reachedCount } },
        { $set: { connectionFailureCount: 0, whatsappStatus: 'disconnected' } },
        { returnDocument: 'before', lean: true },
      )
      .exec();
    return before !== null;
  }

  /** A user's normal disconnect: the session is kept and not restored on boot. */
  async markDisconnectedByUser(userId: string, at: Date): Promise<void> {
    await this.model
      .updateOne(
        { userId },
        {
          $set: {
            whatsappStatus: 'disconnected',
            disconnectedByUser: true,
            lastConnectionCheck: at,
          },
        },
        { upsert: true },
      )
      .exec();
  }

  /** Force reset, or a fresh start before a new QR: no session, no count. */
  async resetSession(userId: string, at: Date, byUser: boolean): Promise<void> {
    await this.model
      .updateOne(
        { userId },
        {
          $set: {
            whatsappStatus: 'disconnected',
            connectionFailureCount: 0,
            disconnectedByUser: byUser,
            lastConnectionCheck: at,
          },
          $unset: { lastConnectionFailure: 1 },
        },
        { upsert: true },
      )
      .exec();
  }

  /** Users that were not deliberately disconnected, among those given. */
  async findRestorable(userIds: string[]): Promise<string[]> {
    const blocked = await this.model
      .find(
        { userId: { $in: userIds }, disconnectedByUser: true },
        { userId: 1 },
      )
      .lean<{ userId: string }[]>()
      .exec();
    const skip = new Set(blocked.map((doc) => doc.userId));
    return userIds.filter((userId) => !skip.has(userId));
  }
}
