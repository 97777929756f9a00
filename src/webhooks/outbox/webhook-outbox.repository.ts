import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model, Types } from 'mongoose';
import { randomUUID } from 'node:crypto';
import {
  serializePayload,
  WebhookEvent,
  WebhookEventType,
} from '../webhook-event';
import { isDuplicateKeyError } from './duplicate-key';
import { DatabaseRetry } from '../../common/database-retry';
import { DeliveryState, WebhookDelivery } from './webhook-delivery.schema';
import { WebhookSequences } from './webhook-sequences';

/** Draws of a sequence number before giving up (a clash needs two writers on one user). */
const SEQUENCE_TRIES = 5;

/** One delivery as the worker and the admin routes read it. */
export interface StoredDelivery {
  id: string;
  webhookId: string;
  userId: string;
  sequence: number;
  type: WebhookEventType;
  url: string;
  body: string;
  state: DeliveryState;
  attempts: number;
  nextAttemptAt: Date;
  lastAttemptAt?: Date;
  lastStatusLine?: string;
  failedAt?: Date;
  createdAt: Date;
}

/** The outcome of one attempt, as stored. */
export interface AttemptRecord {
  attempts: number;
  at: Date;
  statusLine: string;
}

export type RedeliverOutcome =
  | { status: 'pending'; delivery: StoredDelivery }
  | { status: 'not_found' }
  | { status: 'not_failed'; state: DeliveryState }
  | { status: 'url_not_configured' };

/** The status line of deliveries whose URL was removed from WEBHOOK_URLS. */
export const URL_NOT_CONFIGURED = 'URL no longer configured';

type DeliveryFields = WebhookDelivery & { _id: Types.ObjectId };

export function toStoredDelivery(doc: DeliveryFields): StoredDelivery {
  return {
    id: doc._id.toHexString(),
    webhookId: doc.webhookId,
    userId: doc.userId,
    sequence: doc.sequence,
    type: doc.type,
    url: doc.url,
    body: doc.body,
    state: doc.state,
    attempts: doc.attempts,
    nextAttemptAt: doc.nextAttemptAt,
    lastAttemptAt: doc.lastAttemptAt ?? undefined,
    lastStatusLine: doc.lastStatusLine ?? undefined,
    failedAt: doc.failedAt ?? undefined,
    createdAt: doc.createdAt,
  };
}

/**
 * Every write to `webhookdeliveries`, each one atomic document operation.
 *
 * A pending delivery is claimed by moving its `nextAttemptAt` to the end of a
 * lease, conditioned on the value read: no lock field, and a worker that dies
 * mid-attempt leaves a delivery that falls due again when the lease ends.
 */
@Injectable()
export class WebhookOutboxRepository {
  constructor(
    @InjectModel(WebhookDelivery.name)
    private readonly model: Model<WebhookDelivery>,
    private readonly sequences: WebhookSequences,
    private readonly writes: DatabaseRetry,
  ) {}

  /** Numbers the event for its user and stores one pending delivery per URL; returns its sequence. */
  async append(
    userId: string,
    event: WebhookEvent,
    urls: readonly string[],
    occurredAt: Date,
  ): Promise<number> {
    // Drawn once, so a write retried after a lost acknowledgement still de-duplicates.
    const webhookId = `msg_${randomUUID().replaceAll('-', '')}`;
    return this.writes.run(async () => {
      for (let tries = 1; ; tries += 1) {
        const sequence = await this.sequences.next(userId);
        const body = serializePayload(event, userId, sequence, occurredAt);
        try {
          await this.model.insertMany(
            urls.map((url) => ({
              webhookId,
              userId,
              sequence,
              type: event.type,
              url,
              body,
              state: 'pending',
              attempts: 0,
              nextAttemptAt: occurredAt,
            })),
            { ordered: true },
          );
          return sequence;
        } catch (error) {
          if (!isDuplicateKeyError(error) || tries >= SEQUENCE_TRIES)
            throw error;
        }
      }
    });
  }

  /** Claims up to `limit` due deliveries to these URLs, oldest due first, each until `leaseUntil`. */
  async claimDue(
    urls: readonly string[],
    now: Date,
    limit: number,
    leaseUntil: Date,
  ): Promise<StoredDelivery[]> {
    const due = await this.model
      .find({
        state: 'pending',
        nextAttemptAt: { $lte: now },
        url: { $in: urls },
      })
      .sort({ nextAttemptAt: 1, _id: 1 })
      .limit(limit)
      .lean<DeliveryFields[]>()
      .exec();
    const claimed: StoredDelivery[] = [];
    for (const doc of due) {
      const result = await this.model
        .updateOne(
          { _id: doc._id, state: 'pending', nextAttemptAt: doc.nextAttemptAt },
          { $set: { nextAttemptAt: leaseUntil } },
        )
        .exec();
      if (result.modifiedCount === 1) claimed.push(toStoredDelivery(doc));
    }
    return claimed;
  }

  /** When the next delivery to these URLs falls due (possibly in the past), if any is pending. */
  async nextDueAt(urls: readonly string[]): Promise<Date | undefined> {
    const next = await this.model
      .findOne({ state: 'pending', url: { $in: urls } })
      .sort({ nextAttemptAt: 1 })
      .lean<DeliveryFields>()
      .exec();
    return next?.nextAttemptAt;
  }

  /** When the oldest pending delivery was stored, for the age gauge. */
  async oldestPendingSince(): Promise<Date | undefined> {
    const oldest = await this.model
      .findOne({ state: 'pending' })
      .sort({ createdAt: 1 })
      .lean<DeliveryFields>()
      .exec();
    return oldest?.createdAt;
  }

  async markDelivered(id: string, attempt: AttemptRecord): Promise<void> {
    await this.writes.run(() =>
      this.model
        .updateOne(
          { _id: id, state: 'pending' },
          {
            $set: {
              state: 'delivered',
              ...this.attemptFields(attempt),
              deliveredAt: attempt.at,
            },
          },
        )
        .exec(),
    );
  }

  async scheduleRetry(
    id: string,
    attempt: AttemptRecord,
    nextAttemptAt: Date,
  ): Promise<void> {
    await this.writes.run(() =>
      this.model
        .updateOne(
          { _id: id, state: 'pending' },
          { $set: { ...this.attemptFields(attempt), nextAttemptAt } },
        )
        .exec(),
    );
  }

  /** Gives up on a delivery; it is kept for the admin routes. */
  async markFailed(id: string, attempt: AttemptRecord): Promise<void> {
    await this.writes.run(() =>
      this.model
        .updateOne(
          { _id: id, state: 'pending' },
          {
            $set: {
              state: 'failed',
              ...this.attemptFields(attempt),
              failedAt: attempt.at,
            },
          },
        )
        .exec(),
    );
  }

  /** Ends a lease early (an attempt abandoned at shutdown): the delivery is due again at once. */
  async release(id: string, now: Date): Promise<void> {
    await this.model
      .updateOne(
        { _id: id, state: 'pending' },
        { $set: { nextAttemptAt: now } },
      )
      .exec();
  }

  /**
   * Pending deliveries to URLs no longer configured can never be sent (only
   * configured URLs are called): they are failed, and kept, at once.
   */
  async failUnconfigured(urls: readonly string[], now: Date): Promise<number> {
    const result = await this.writes.run(() =>
      this.model
        .updateMany(
          { state: 'pending', url: { $nin: urls } },
          {
            $set: {
              state: 'failed',
              failedAt: now,
              lastStatusLine: URL_NOT_CONFIGURED,
            },
          },
        )
        .exec(),
    );
    return result.modifiedCount;
  }

  /** Puts a failed delivery to a configured URL back in the queue with a fresh attempt budget (same webhook-id and body). */
  async redeliver(
    id: string,
    urls: readonly string[],
    now: Date,
  ): Promise<RedeliverOutcome> {
    const doc = await this.writes.run(() =>
      this.model
        .findOneAndUpdate(
          { _id: id, state: 'failed', url: { $in: urls } },
          {
            $set: { state: 'pending', attempts: 0, nextAttemptAt: now },
            $unset: { failedAt: 1 },
          },
          { returnDocument: 'after', lean: true },
        )
        .exec(),
    );
    if (doc) return { status: 'pending', delivery: toStoredDelivery(doc) };
    const existing = await this.model
      .findById(id)
      .lean<DeliveryFields>()
      .exec();
    if (!existing) return { status: 'not_found' };
    if (existing.state !== 'failed')
      return { status: 'not_failed', state: existing.state };
    return { status: 'url_not_configured' };
  }

  private attemptFields(attempt: AttemptRecord) {
    return {
      attempts: attempt.attempts,
      lastAttemptAt: attempt.at,
      lastStatusLine: attempt.statusLine,
    };
  }
}
