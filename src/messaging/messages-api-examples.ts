import { MessageResponseDto } from './dto/message-response.dto';

/** Real bodies of the messages API, for its documented examples. */
const queued: MessageResponseDto = {
  id: '5f1c3e8a9b2d4c6e8f0a1b2c3d4e5f60',
  to: '33612345678',
  text: 'Bonjour ! Petite relance au sujet du devis.',
  status: 'queued',
  attempts: 0,
  whatsappMessageId: '3EB0A1B2C3D4E5F60718',
  createdAt: new Date('2026-11-29T10:00:00.000Z'),
  sendAt: null,
  sentAt: null,
  deliveredAt: null,
  readAt: null,
  expiresAt: new Date('2026-11-30T10:00:00.000Z'),
  error: null,
};

export const MESSAGE_EXAMPLES = {
  queued,
  delivered: {
    ...queued,
    status: 'delivered',
    attempts: 1,
    sentAt: new Date('2026-11-29T10:00:01.200Z'),
    deliveredAt: new Date('2026-11-29T10:00:03.900Z'),
  } satisfies MessageResponseDto,
  cancelled: {
    ...queued,
    status: 'cancelled',
    error: { code: 'CANCELLED', reason: 'cancelled' },
  } satisfies MessageResponseDto,
};

export const MESSAGE_LIST_EXAMPLE = {
  items: [MESSAGE_EXAMPLES.delivered],
  nextCursor: null,
};

export const IDEMPOTENCY_CONFLICT_MESSAGE =
  'This idempotencyKey was already used with a different body';
export const NOT_CANCELLABLE_MESSAGE =
  'The message is sent; only scheduled or queued messages can be cancelled';
export const NO_SUCH_MESSAGE = 'No such message';
export const BAD_CURSOR_MESSAGE =
  'cursor must be the nextCursor of a previous page (<millis>-<id>)';
export const BAD_ID_MESSAGE = 'id must be a message id (32 hex characters)';
export const queueLimitMessage = (limit: number) =>
  `At most ${limit} unsent messages per user; wait for some to be sent`;
