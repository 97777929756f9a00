import { Injectable } from '@nestjs/common';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import type { Counter, Histogram } from 'prom-client';
import { SessionEvents } from '../relance/events/session-events';
import { ENQUEUE_TO_ACK, MESSAGES } from './messaging-metrics';
import { StoredMessage } from './relance-message.repository';

/**
 * Tells everyone else that a stored message changed status: the session
 * event stream (SSE, webhooks) and Prometheus. Called after the write.
 */
@Injectable()
export class MessageStatusNotifier {
  constructor(
    private readonly events: SessionEvents,
    @InjectMetric(MESSAGES) private readonly messages: Counter<'status'>,
    @InjectMetric(ENQUEUE_TO_ACK) private readonly latency: Histogram,
  ) {}

  changed(message: StoredMessage): void {
    this.messages.inc({ status: message.status });
    if (message.status === 'sent')
      this.latency.observe((Date.now() - message.createdAt.getTime()) / 1000);
    this.events.emit(message.userId, {
      type: 'messageStatus',
      messageId: message._id,
      status: message.status,
      ...(message.error
        ? { error: { code: message.error.code, reason: message.error.reason } }
        : {}),
    });
  }
}
