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

export function encodeCursor(createdAt: Date, id: string): string {
  return Buffer.from(`${createdAt.getTime()}.${id}`).toString('base64url');
}

export function decodeCursor(
  cursor: string,
): { createdAt: Date; id: string } | undefined {
  const [millis, id] = Buffer.from(cursor, 'base64url').toString().split('.');
  const time = Number(millis);
  if (!Number.isSafeInteger(time) || !/^[a-f0-9]{32}$/.test(id ?? ''))
    return undefined;
  return { createdAt: new Date(time), id };
}
