import type { StoredDelivery } from '../outbox/webhook-outbox.repository';
import type { WebhookDeliveryDto } from './dto/webhook-delivery.dto';

/** A URL as shown to admins: no credentials, query string or fragment (they may hold tokens). */
function endpointOf(url: string): string {
  const parsed = new URL(url);
  return `${parsed.origin}${parsed.pathname}`;
}

export function toWebhookDeliveryDto(
  delivery: StoredDelivery,
): WebhookDeliveryDto {
  return {
    id: delivery.id,
    webhookId: delivery.webhookId,
    type: delivery.type,
    userId: delivery.userId,
    sequence: delivery.sequence,
    endpoint: endpointOf(delivery.url),
    state: delivery.state,
    attempts: delivery.attempts,
    lastStatusLine: delivery.lastStatusLine,
    lastAttemptAt: delivery.lastAttemptAt,
    failedAt: delivery.failedAt,
    createdAt: delivery.createdAt,
    payload: JSON.parse(delivery.body) as Record<string, unknown>,
  };
}
