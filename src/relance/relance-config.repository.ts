import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model } from 'mongoose';
import { Fence, fencedFilter, fencedWrite } from '../cluster/ownership/fence';
import { SessionResets } from './supervisor/session-resets';
import { DatabaseRetry } from '../common/database-retry';
import { REQUEST_READS } from '../database/database-connection';
import { LinkMethod } from './link-method';
import { DisconnectDecision } from './retry/disconnect-decision';
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
  lastLinkedAt?: Date;
  linkMethod?: LinkMethod;
  lastConnectionCheck?: Date;
  disconnectedByUser: boolean;
  sessionResetAt?: Date;
}

/** A close and the RetryPolicy's whole decision about it, stored in one write. */
export interface AppliedClose {
  decision: Pick<
    DisconnectDecision,
    'countFailure' | 'failureCount' | 'status' | 'deleteSession'
  >;
  reason: DisconnectReason;
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
    // Documents from before linking by code existed were linked by a QR scan.
    lastLinkedAt: doc.lastLinkedAt ?? doc.lastQrScanDate ?? undefined,
    linkMethod: doc.linkMethod ?? (doc.lastQrScanDate ? 'qr' : undefined),
    lastConnectionCheck: doc.lastConnectionCheck ?? undefined,
    disconnectedByUser: doc.disconnectedByUser ?? false,
    sessionResetAt: doc.sessionResetAt ?? undefined,
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
 *
 * One rule for outages: every write retries (bounded) while the database is
 * unreachable or busy, because a lost session write would leave the count or
 * the status wrong; reads fail at once, so the API answers 503 promptly.
 */
@Injectable()
export class RelanceConfigRepository implements SessionResets {
  constructor(
    @InjectModel(RelanceConfig.name)
    private readonly model: Model<RelanceConfig>,
    /** The same collection through the request-read pool (see REQUEST_READS). */
    @InjectModel(RelanceConfig.name, REQUEST_READS)
    private readonly requestReads: Model<RelanceConfig>,
    private readonly databaseRetry: DatabaseRetry,
  ) {}

  private write<T>(operation: () => Promise<T>): Promise<T> {
    return this.databaseRetry.run(operation);
  }

  /**
   * A count write from a socket's owner (several instances): refused once a
   * newer lease epoch wrote the user's document (see fencedFilter), and
   * stamps our epoch on it. Without a fence (one instance) it is the plain write.
   */
  private fencedWrite<T>(
    userId: string,
    fence: Fence | undefined,
    operation: (
      filter: Record<string, unknown>,
      stamp: Record<string, number>,
    ) => Promise<T>,
  ): Promise<T> {
    if (!fence) return this.write(() => operation({ userId }, {}));
    return fencedWrite(userId, fence, () =>
      this.write(() =>
        operation(
          { userId, ...fencedFilter('ownerEpoch', fence.epoch) },
          { ownerEpoch: fence.epoch },
        ),
      ),
    );
  }

  /** GET /status's read: through the request-read pool, so session writes never queue it. */
  async findByUserId(userId: string): Promise<StoredRelanceConfig | undefined> {
    const doc = await this.requestReads
      .findOne({ userId })
      .lean<StoredFields>()
      .exec();
    return doc ? toStored(doc) : undefined;
  }

  async lastResetAt(userId: string): Promise<Date | undefined> {
    const doc = await this.model
      .findOne({ userId }, { sessionResetAt: 1 })
      .lean<{ sessionResetAt?: Date }>()
      .exec();
    return doc?.sessionResetAt ?? undefined;
  }

  async setStatus(
    userId: string,
    status: WhatsAppStatus,
    at: Date,
  ): Promise<void> {
    await this.write(() =>
      this.model
        .updateOne(
          { userId },
          { $set: { whatsappStatus: status, lastConnectionCheck: at } },
          { upsert: true },
        )
        .exec(),
    );
  }

  /** A socket starts for the user: one write that also returns what is stored (the count). */
  async markConnecting(
    userId: string,
    at: Date,
    fence?: Fence,
  ): Promise<StoredRelanceConfig> {
    const doc = await this.fencedWrite(userId, fence, (filter, stamp) =>
      this.model
        .findOneAndUpdate(
          filter,
          {
            $set: {
              whatsappStatus: 'connecting',
              lastConnectionCheck: at,
              ...stamp,
            },
          },
          UPSERT_AND_RETURN,
        )
        .exec(),
    );
    return toStored((doc as StoredFields | null) ?? { userId });
  }

  /**
   * A socket opened: the consecutive count starts again. `linkedBy` is set
   * when the device was linked just before (by a QR scan or a typed code).
   */
  async markConnected(
    userId: string,
    at: Date,
    linkedBy?: LinkMethod,
    fence?: Fence,
  ): Promise<void> {
    await this.fencedWrite(userId, fence, (filter, stamp) =>
      this.model
        .updateOne(
          filter,
          {
            $set: {
              ...stamp,
              whatsappStatus: 'connected',
              connectionFailureCount: 0,
              lastConnectionCheck: at,
              disconnectedByUser: false,
              ...(linkedBy ? { lastLinkedAt: at, linkMethod: linkedBy } : {}),
              ...(linkedBy === 'qr' ? { lastQrScanDate: at } : {}),
            },
            $unset: { lastConnectionFailure: 1 },
          },
          { upsert: true },
        )
        .exec(),
    );
  }

  /**
   * Stores a close with its decision in one write: the count the policy
   * decided (0 again at the threshold), the status it names, the reason.
   * The supervisor holds the user's lock while it decides and writes, so the
   * count it decided from is the stored one.
   */
  async applyClose(
    userId: string,
    close: AppliedClose,
    fence?: Fence,
  ): Promise<void> {
    const { decision } = close;
    await this.fencedWrite(userId, fence, (filter, stamp) =>
      this.model
        .updateOne(
          filter,
          {
            $set: {
              ...stamp,
              whatsappStatus: decision.status,
              connectionFailureCount: decision.failureCount,
              lastDisconnectReason: close.reason,
              lastConnectionCheck: close.at,
              ...(decision.countFailure
                ? { lastConnectionFailure: close.at }
                : {}),
              ...(decision.deleteSession ? { sessionResetAt: close.at } : {}),
            },
          },
          { upsert: true },
        )
        .exec(),
    );
  }

  /** A user's normal disconnect: the session is kept and not restored on boot. */
  async markDisconnectedByUser(userId: string, at: Date): Promise<void> {
    await this.write(() =>
      this.model
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
        .exec(),
    );
  }

  /** Force reset, or the threshold reached before a new QR: no session, no count. */
  async resetSession(userId: string, at: Date, byUser: boolean): Promise<void> {
    await this.write(() =>
      this.model
        .updateOne(
          { userId },
          {
            $set: {
              whatsappStatus: 'disconnected',
              connectionFailureCount: 0,
              disconnectedByUser: byUser,
              lastConnectionCheck: at,
              sessionResetAt: at,
            },
            $unset: { lastConnectionFailure: 1 },
          },
          { upsert: true },
        )
        .exec(),
    );
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
