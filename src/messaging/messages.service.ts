import {
  ConflictException,
  HttpException,
  HttpStatus,
  Inject,
  Injectable,
  NotFoundException,
} from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { messagingConfig } from '../config/messaging.config';
import { CreateMessageDto } from './dto/create-message.dto';
import { ListMessagesQueryDto } from './dto/list-messages-query.dto';
import {
  bodyHashOf,
  decodeCursor,
  encodeCursor,
  messageIdFor,
  newWhatsAppMessageId,
} from './message-ids';
import { MessageStatusNotifier } from './message-status.notifier';
import {
  IDEMPOTENCY_CONFLICT_MESSAGE,
  NO_SUCH_MESSAGE,
  queueLimitMessage,
} from './messages-api-examples';
import { DeliveryWakeUps } from './delivery/delivery-wake-ups';
import {
  RelanceMessageRepository,
  StoredMessage,
} from './relance-message.repository';

export interface Accepted {
  created: boolean;
  message: StoredMessage;
}

const digitsOf = (phone: string) => phone.replace(/^\+/, '');

/** The API side of the outbox: accept, read, list and cancel a user's follow-ups. */
@Injectable()
export class MessagesService {
  constructor(
    private readonly repository: RelanceMessageRepository,
    private readonly notifier: MessageStatusNotifier,
    private readonly wakeUps: DeliveryWakeUps,
    @Inject(messagingConfig.KEY)
    private readonly config: ConfigType<typeof messagingConfig>,
  ) {}

  /** Stores the message (a 202 means it is stored), or finds the one a repeated idempotency key made. */
  async accept(userId: string, body: CreateMessageDto): Promise<Accepted> {
    const now = new Date();
    const to = digitsOf(body.to);
    // A sendAt at or after expiresAt is accepted: it stays scheduled, then expires.
    const sendAt = body.sendAt ? new Date(body.sendAt) : undefined;
    const expiresAt = body.expiresAt
      ? new Date(body.expiresAt)
      : new Date(now.getTime() + this.config.ttlMs);
    const bodyHash = bodyHashOf({
      to,
      text: body.text,
      sendAt: body.sendAt,
      expiresAt: body.expiresAt,
      cancelOnReply: body.cancelOnReply ?? false,
    });
    const id = messageIdFor(userId, body.idempotencyKey);
    if (body.idempotencyKey) {
      const existing = await this.repository.findOwn(userId, id);
      if (existing) return this.repeated(existing, bodyHash);
    }
    await this.refuseOverLimit(userId);
    const expired = expiresAt <= now;
    const message: StoredMessage = {
      _id: id,
      userId,
      to,
      text: body.text,
      status: expired
        ? 'expired'
        : sendAt && sendAt > now
          ? 'scheduled'
          : 'queued',
      attempts: 0,
      whatsappMessageId: newWhatsAppMessageId(),
      cancelOnReply: body.cancelOnReply ?? false,
      createdAt: now,
      expiresAt,
      ...(sendAt ? { sendAt } : {}),
      ...(body.idempotencyKey
        ? { idempotencyKey: body.idempotencyKey, bodyHash }
        : {}),
      ...(expired ? { error: { code: 'EXPIRED', reason: 'expired' } } : {}),
    };
    const stored = await this.repository.insertOrFind(message);
    if (!stored.created) return this.repeated(stored.message, bodyHash);
    this.notifier.changed(stored.message);
    if (stored.message.status === 'queued') this.wakeUps.wake(userId);
    return stored;
  }

  async get(userId: string, id: string): Promise<StoredMessage> {
    const message = await this.repository.findOwn(userId, id);
    if (!message) throw new NotFoundException(NO_SUCH_MESSAGE);
    return message;
  }

  async list(
    userId: string,
    query: ListMessagesQueryDto,
  ): Promise<{ items: StoredMessage[]; nextCursor: string | null }> {
    const after = query.cursor ? decodeCursor(query.cursor) : undefined;
    const items = await this.repository.list(userId, {
      status: query.status,
      to: query.to ? digitsOf(query.to) : undefined,
      limit: query.limit,
      after,
    });
    const last = items.at(-1);
    return {
      items,
      nextCursor:
        last && items.length === query.limit
          ? encodeCursor(last.createdAt, last._id)
          : null,
    };
  }

  async cancel(userId: string, id: string): Promise<StoredMessage> {
    const cancelled = await this.repository.cancel(userId, id, {
      code: 'CANCELLED',
      reason: 'cancelled',
    });
    if (cancelled) {
      this.notifier.changed(cancelled);
      return cancelled;
    }
    const message = await this.get(userId, id);
    throw new ConflictException(
      `The message is ${message.status}; only scheduled or queued messages can be cancelled`,
    );
  }

  private repeated(existing: StoredMessage, bodyHash: string): Accepted {
    if (existing.bodyHash !== bodyHash)
      throw new ConflictException(IDEMPOTENCY_CONFLICT_MESSAGE);
    return { created: false, message: existing };
  }

  private async refuseOverLimit(userId: string): Promise<void> {
    const unsent = await this.repository.countUnsent(userId);
    if (unsent >= this.config.queueLimit)
      throw new HttpException(
        queueLimitMessage(this.config.queueLimit),
        HttpStatus.TOO_MANY_REQUESTS,
      );
  }
}
