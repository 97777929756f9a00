import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model, QueryFilter } from 'mongoose';
import {
  CANCELLABLE_STATUSES,
  MessageError,
  MessageStatus,
  statusesBelow,
  UNSENT_STATUSES,
} from './message-status';
import { RelanceMessage } from './schemas/relance-message.schema';

export type StoredMessage = RelanceMessage;

export interface ListFilter {
  status?: MessageStatus;
  to?: string;
  limit: number;
  /** The last message of the previous page (newest-first order). */
  after?: { createdAt: Date; id: string };
}

const DUPLICATE_KEY = 11000;

function isDuplicateKey(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === DUPLICATE_KEY;
}

const RECEIPT_TIME = {
  sent: 'sentAt',
  delivered: 'deliveredAt',
  read: 'readAt',
} as const;

/**
 * Every read and write of `relancemessages`. Each change is one atomic
 * operation whose filter names the statuses it may move a message from, so
 * a status never moves backwards and a terminal status is final.
 */
@Injectable()
export class RelanceMessageRepository {
  constructor(
    @InjectModel(RelanceMessage.name)
    private readonly model: Model<RelanceMessage>,
  ) {}

  /** Inserts the message; with an id already taken (a repeated idempotency key) returns the stored one instead. */
  async insertOrFind(
    message: StoredMessage,
  ): Promise<{ created: boolean; message: StoredMessage }> {
    try {
      await this.model.create(message);
      return { created: true, message };
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
      const existing = await this.findOwn(message.userId, message._id);
      if (!existing) throw error;
      return { created: false, message: existing };
    }
  }

  async findOwn(userId: string, id: string): Promise<StoredMessage | null> {
    return this.model.findOne({ _id: id, userId }).lean<StoredMessage>().exec();
  }

  list(userId: string, filter: ListFilter): Promise<StoredMessage[]> {
    const query: QueryFilter<RelanceMessage> = { userId };
    if (filter.status) query.status = filter.status;
    if (filter.to) query.to = filter.to;
    if (filter.after) {
      query.$or = [
        { createdAt: { $lt: filter.after.createdAt } },
        { createdAt: filter.after.createdAt, _id: { $lt: filter.after.id } },
      ];
    }
    return this.model
      .find(query)
      .sort({ createdAt: -1, _id: -1 })
      .limit(filter.limit)
      .lean<StoredMessage[]>()
      .exec();
  }

  countUnsent(userId: string): Promise<number> {
    return this.model
      .countDocuments({ userId, status: { $in: UNSENT_STATUSES } })
      .exec();
  }

  countAllUnsent(): Promise<number> {
    return this.model
      .countDocuments({ status: { $in: UNSENT_STATUSES } })
      .exec();
  }

  /** Cancels a message that has not started sending; null when it is not cancellable (or not the user's). */
  cancel(userId: string, id: string, error: MessageError) {
    return this.moveOne(
      { _id: id, userId, status: { $in: CANCELLABLE_STATUSES } },
      'cancelled',
      { error },
    );
  }

  /** The oldest message due for sending (a crash may have left one in `sending`). */
  nextDue(userId: string, now: Date): Promise<StoredMessage | null> {
    return this.model
      .findOne({
        userId,
        $or: [
          { status: { $in: ['queued', 'sending'] } },
          { status: 'scheduled', sendAt: { $lte: now } },
        ],
      })
      .sort({ createdAt: 1, _id: 1 })
      .lean<StoredMessage>()
      .exec();
  }

  /** Which of these users have a message due now (one query for every idle worker of an instance). */
  async usersWithDueMessages(userIds: string[], now: Date): Promise<string[]> {
    const users = await this.model
      .distinct('userId', {
        userId: { $in: userIds },
        $or: [
          { status: { $in: ['queued', 'sending'] } },
          { status: 'scheduled', sendAt: { $lte: now } },
        ],
      })
      .exec();
    return users.map(String);
  }

  /** Claims a due message for one send attempt; null when something else moved it first. */
  markSending(message: StoredMessage) {
    return this.model
      .findOneAndUpdate(
        { _id: message._id, status: message.status },
        { $set: { status: 'sending' }, $inc: { attempts: 1 } },
        { returnDocument: 'after', lean: true },
      )
      .exec() as Promise<StoredMessage | null>;
  }

  /** Back to the queue after an attempt without acknowledgement; the same WhatsApp id is reused. */
  requeue(id: string) {
    return this.moveOne({ _id: id, status: 'sending' }, 'queued');
  }

  fail(
    id: string,
    from: MessageStatus[],
    status: 'failed' | 'expired',
    error: MessageError,
  ) {
    return this.moveOne({ _id: id, status: { $in: from } }, status, { error });
  }

  /** WhatsApp refused a message it had been given (an error ack). */
  failByWhatsAppId(
    userId: string,
    whatsappMessageId: string,
    error: MessageError,
  ) {
    return this.moveOne(
      { userId, whatsappMessageId, status: { $in: ['queued', 'sending'] } },
      'failed',
      { error },
    );
  }

  /** Applies a receipt, forward only. */
  applyReceipt(
    userId: string,
    whatsappMessageId: string,
    status: 'sent' | 'delivered' | 'read',
    at: Date,
  ) {
    return this.moveOne(
      { userId, whatsappMessageId, status: { $in: statusesBelow(status) } },
      status,
      { [RECEIPT_TIME[status]]: at },
    );
  }

  /** Records the send time when a later receipt arrives before (or instead of) the server's. */
  async backfillSentAt(
    userId: string,
    whatsappMessageId: string,
    at: Date,
  ): Promise<void> {
    await this.model
      .updateOne(
        { userId, whatsappMessageId, sentAt: { $exists: false } },
        { $set: { sentAt: at } },
      )
      .exec();
  }

  /** The user's unsent messages, oldest first (for failing them on a reset). */
  unsentOf(userId: string, limit: number): Promise<StoredMessage[]> {
    return this.model
      .find({ userId, status: { $in: UNSENT_STATUSES } })
      .sort({ createdAt: 1 })
      .limit(limit)
      .lean<StoredMessage[]>()
      .exec();
  }

  /** Cancel-on-reply candidates: not yet sending, to this contact, flagged. */
  cancellableTo(userId: string, to: string): Promise<StoredMessage[]> {
    return this.model
      .find({
        userId,
        to,
        cancelOnReply: true,
        status: { $in: CANCELLABLE_STATUSES },
      })
      .lean<StoredMessage[]>()
      .exec();
  }

  /** Unsent messages whose time ran out, for the expiry sweep. */
  expiredBy(now: Date, limit: number): Promise<StoredMessage[]> {
    return this.model
      .find({
        status: { $in: CANCELLABLE_STATUSES },
        expiresAt: { $lte: now },
      })
      .limit(limit)
      .lean<StoredMessage[]>()
      .exec();
  }

  private moveOne(
    filter: QueryFilter<RelanceMessage>,
    status: MessageStatus,
    fields: Partial<RelanceMessage> = {},
  ): Promise<StoredMessage | null> {
    return this.model
      .findOneAndUpdate(
        filter,
        { $set: { status, ...fields } },
        { returnDocument: 'after', lean: true },
      )
      .exec();
  }
}
