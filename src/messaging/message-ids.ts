import { createHash, randomBytes } from 'node:crypto';

/** A new message's API id: random, or the same for the same user and idempotency key. */
export function messageIdFor(userId: string, idempotencyKey?: string): string {
  if (idempotencyKey === undefined) return randomBytes(16).toString('hex');
  return createHash('sha256')
    .update(`${userId}\0${idempotencyKey}`)
    .digest('hex')
    .slice(0, 32);
}

/** A WhatsApp message id in the form WhatsApp Web uses (3EB0 + hex), chosen once per message. */
export function newWhatsAppMessageId(): string {
  return `3EB0${randomBytes(10).toString('hex').toUpperCase()}`;
}

/** What makes two requests with one idempotency key "the same". */
export function bodyHashOf(body: Record<string, unknown>): string {
  const canonical = JSON.stringify(
    Object.keys(body)
      .sort()
      .map((key) => [key, body[key] ?? null]),
  );
  return createHash('sha256').update(canonical).digest('hex');
}

/** The last message of a page, as `<createdAt millis>-<id>`: every string matching CURSOR_PATTERN is a position. */
export const CURSOR_PATTERN = /^\d{1,15}-[a-f0-9]{32}$/;

export function encodeCursor(createdAt: Date, id: string): string {
  return `${createdAt.getTime()}-${id}`;
}

export function decodeCursor(cursor: string): { createdAt: Date; id: string } {
  const [millis, id] = cursor.split('-');
  return { createdAt: new Date(Number(millis)), id };
}
