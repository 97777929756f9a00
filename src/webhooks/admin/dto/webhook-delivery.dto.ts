import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  DELIVERY_STATES,
  type DeliveryState,
} from '../../outbox/webhook-delivery.schema';
import {
  WEBHOOK_EVENT_TYPES,
  type WebhookEventType,
} from '../../webhook-event';

export class WebhookDeliveryDto {
  @ApiProperty({
    example: '6743a1f0c2b7e14a9d3f0a12',
    description: 'The delivery id, for POST …/webhooks/{id}/redeliver',
  })
  id: string;

  @ApiProperty({
    example: 'msg_2f1c9a7e0b5d4c3e8a6f1b2d3c4e5f60',
    description:
      'The `webhook-id` header: the same on every attempt and redelivery of this event',
  })
  webhookId: string;

  @ApiProperty({ enum: WEBHOOK_EVENT_TYPES, example: 'session.reset' })
  type: WebhookEventType;

  @ApiProperty({ example: 'user_42' })
  userId: string;

  @ApiProperty({ example: 7, description: "The event's number for its user" })
  sequence: number;

  @ApiProperty({
    example: 'https://hooks.example.com/relance',
    description: 'The configured URL, without its query string or credentials',
  })
  endpoint: string;

  @ApiProperty({ enum: DELIVERY_STATES, example: 'failed' })
  state: DeliveryState;

  @ApiProperty({ example: 12, description: 'Attempts made so far' })
  attempts: number;

  @ApiPropertyOptional({
    example: 'HTTP 503 Service Unavailable',
    description:
      "How the last attempt ended: the receiver's status line, a timeout or a connection error (never its response body)",
  })
  lastStatusLine?: string;

  @ApiPropertyOptional({
    type: String,
    format: 'date-time',
    example: '2026-11-28T11:02:13.000Z',
  })
  lastAttemptAt?: Date;

  @ApiPropertyOptional({
    type: String,
    format: 'date-time',
    example: '2026-11-28T11:02:13.000Z',
    description: 'When it was given up on (failed deliveries only)',
  })
  failedAt?: Date;

  @ApiProperty({
    type: String,
    format: 'date-time',
    example: '2026-11-28T10:15:00.000Z',
    description: 'When the event was stored',
  })
  createdAt: Date;

  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description: 'The JSON body sent on each attempt',
    example: {
      type: 'session.reset',
      timestamp: '2026-11-28T10:15:00.000Z',
      data: { userId: 'user_42', sequence: 7, reason: 'threshold' },
    },
  })
  payload: Record<string, unknown>;
}

export class FailedWebhooksPageDto {
  @ApiProperty({ example: 3, description: 'Failed deliveries in all' })
  total: number;

  @ApiProperty({ example: 1 })
  page: number;

  @ApiProperty({ example: 20 })
  limit: number;

  @ApiProperty({
    type: [WebhookDeliveryDto],
    description: 'This page, most recently failed first',
  })
  items: WebhookDeliveryDto[];
}
