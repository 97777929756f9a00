export const MESSAGE_STATUSES = [
  'scheduled',
  'queued',
  'sending',
  'sent',
  'delivered',
  'read',
  'failed',
  'expired',
  'cancelled',
] as const;

export type MessageStatus = (typeof MESSAGE_STATUSES)[number];

/** Not yet acknowledged by WhatsApp: these count toward the queue limit and fail on a session reset. */
export const UNSENT_STATUSES: MessageStatus[] = [
  'scheduled',
  'queued',
  'sending',
];

/** Still cancellable by the user or by a reply: sending has not started. */
export const CANCELLABLE_STATUSES: MessageStatus[] = ['scheduled', 'queued'];

export const ERROR_REASONS = [
  'session_reset',
  'expired',
  'contact_replied',
  'not_on_whatsapp',
  'rejected',
  'cancelled',
] as const;

export type MessageErrorReason = (typeof ERROR_REASONS)[number];

export interface MessageError {
  code: string;
  reason: MessageErrorReason;
}

/** The statuses a receipt may move a message out of: a status never moves backwards. */
export function statusesBelow(
  target: 'sent' | 'delivered' | 'read',
): MessageStatus[] {
  const order: MessageStatus[] = [
    'queued',
    'sending',
    'sent',
    'delivered',
    'read',
  ];
  return order.slice(0, order.indexOf(target));
}
