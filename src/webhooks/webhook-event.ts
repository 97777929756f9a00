import type { ResetReason } from '../relance/events/session-events';
import type { WhatsAppStatus } from '../relance/whatsapp-status';

/** Every webhook event type, in the order the README documents them. */
export const WEBHOOK_EVENT_TYPES = [
  'session.status',
  'session.failure',
  'session.reset',
  'message.status',
] as const;

export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

export interface SessionStatusData {
  status: WhatsAppStatus;
  /** null when this process had not seen the user's status before. */
  previousStatus: WhatsAppStatus | null;
}

/** A close counted toward the threshold: `count` of `max` (the seed's "Retrying… (1/3)"). */
export interface SessionFailureData {
  count: number;
  max: number;
  /** The WhatsApp disconnect code; null when the close carried none. */
  code: number | null;
  reason: string;
}

export interface SessionResetData {
  reason: ResetReason;
}

export interface MessageStatusData {
  messageId: string;
  status: string;
  error?: { code: string; reason: string };
}

/** An event before it is numbered and stored: what happened, for which user. */
export type WebhookEvent =
  | { type: 'session.status'; data: SessionStatusData }
  | { type: 'session.failure'; data: SessionFailureData }
  | { type: 'session.reset'; data: SessionResetData }
  | { type: 'message.status'; data: MessageStatusData };

/** The JSON body a receiver gets (Standard Webhooks: `type`, `timestamp`, `data`). */
export interface WebhookPayload {
  type: WebhookEventType;
  /** When the event happened (ISO 8601). */
  timestamp: string;
  /** `userId` and the user's `sequence` (1, 2, 3… with no gaps), then the event's own fields. */
  data: { userId: string; sequence: number } & WebhookEvent['data'];
}

/** The exact bytes signed and sent on every attempt of one event. */
export function serializePayload(
  event: WebhookEvent,
  userId: string,
  sequence: number,
  occurredAt: Date,
): string {
  const payload: WebhookPayload = {
    type: event.type,
    timestamp: occurredAt.toISOString(),
    data: { userId, sequence, ...event.data },
  };
  return JSON.stringify(payload);
}
