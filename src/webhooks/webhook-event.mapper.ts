import type { SessionEvent } from '../relance/events/session-events';
import type { WhatsAppStatus } from '../relance/whatsapp-status';
import type { WebhookEvent } from './webhook-event';

/**
 * The webhook a session event becomes, or undefined when it becomes none:
 * QR codes and internal steps (closes, reconnect attempts, receipts) are never
 * sent, and a status that did not change is not a `session.status`.
 *
 * `lastKnownStatus` is the status this subscriber last saw for the user. The
 * supervisor forgets a user's status once the user is disconnected with no
 * socket, so its next event has no previousStatus; the subscriber's memory
 * fills it in and keeps "disconnected again" from counting as a change.
 */
export function toWebhookEvent(
  event: SessionEvent,
  lastKnownStatus?: WhatsAppStatus,
): WebhookEvent | undefined {
  switch (event.type) {
    case 'status': {
      const previousStatus = event.previousStatus ?? lastKnownStatus;
      if (previousStatus === event.status) return undefined;
      return {
        type: 'session.status',
        data: { status: event.status, previousStatus: previousStatus ?? null },
      };
    }
    case 'failure':
      return {
        type: 'session.failure',
        data: {
          count: event.count,
          max: event.max,
          code: event.code ?? null,
          reason: event.reason,
        },
      };
    case 'reset':
      return { type: 'session.reset', data: { reason: event.reason } };
    case 'messageStatus':
      return {
        type: 'message.status',
        data: {
          messageId: event.messageId,
          status: event.status,
          ...(event.error ? { error: event.error } : {}),
        },
      };
    default:
      return undefined;
  }
}
