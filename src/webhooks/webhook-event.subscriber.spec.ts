import { Logger } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { randomBytes } from 'node:crypto';
import { loadWebhooksConfig, webhooksConfig } from '../config/webhooks.config';
import { SessionEvents } from '../relance/events/session-events';
import { WebhookDeliveryWorker } from './delivery/webhook-delivery.worker';
import { WebhookOutboxRepository } from './outbox/webhook-outbox.repository';
import { WebhookEvent } from './webhook-event';
import { WebhookEventSubscriber } from './webhook-event.subscriber';

const URLS = 'https://a.example.com/hook,https://b.example.com/hook';
const SECRET = `whsec_${randomBytes(24).toString('base64')}`;

interface Appended {
  userId: string;
  event: WebhookEvent;
  urls: readonly string[];
}

/** An outbox whose writes the test completes (or fails) by hand. */
class ManualOutbox implements Pick<WebhookOutboxRepository, 'append'> {
  readonly started: Appended[] = [];
  readonly stored: Appended[] = [];
  private readonly waiting: Array<{
    append: Appended;
    finish: (error?: Error) => void;
  }> = [];
  autoComplete = true;

  append(
    userId: string,
    event: WebhookEvent,
    urls: readonly string[],
  ): Promise<number> {
    const append = { userId, event, urls };
    this.started.push(append);
    if (this.autoComplete) {
      this.stored.push(append);
      return Promise.resolve(this.stored.length);
    }
    return new Promise((resolve, reject) =>
      this.waiting.push({
        append,
        finish: (error) => {
          if (error) return reject(error);
          this.stored.push(append);
          resolve(this.stored.length);
        },
      }),
    );
  }

  /** Completes the oldest write still waiting. */
  complete(error?: Error): void {
    const next = this.waiting.shift();
    if (!next) throw new Error('no write is waiting');
    next.finish(error);
  }
}

class CountingWorker implements Pick<WebhookDeliveryWorker, 'wake'> {
  wakes = 0;
  wake(): void {
    this.wakes += 1;
  }
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

async function subscriber(env: Record<string, string>) {
  const outbox = new ManualOutbox();
  const worker = new CountingWorker();
  const moduleRef = await Test.createTestingModule({
    providers: [
      WebhookEventSubscriber,
      SessionEvents,
      { provide: webhooksConfig.KEY, useValue: loadWebhooksConfig(env) },
      { provide: WebhookOutboxRepository, useValue: outbox },
      { provide: WebhookDeliveryWorker, useValue: worker },
    ],
  }).compile();
  await moduleRef.init();
  return {
    events: moduleRef.get(SessionEvents),
    subscriber: moduleRef.get(WebhookEventSubscriber),
    outbox,
    worker,
    close: () => moduleRef.close(),
  };
}

describe('WebhookEventSubscriber (scripted session events)', () => {
  beforeAll(() => {
    jest.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined);
  });

  afterAll(() => {
    jest.restoreAllMocks();
  });

  it('stores each webhook-worthy event for every URL, in the order it happened, then wakes the worker', async () => {
    const h = await subscriber({ WEBHOOK_URLS: URLS, WEBHOOK_SECRET: SECRET });
    h.events.emit('u1', {
      type: 'status',
      status: 'connected',
      previousStatus: 'connecting',
    });
    h.events.emit('u1', { type: 'qr', qr: '2@never-sent' });
    h.events.emit('u1', {
      type: 'closed',
      code: 500,
      outcome: 'counted_failure',
    });
    h.events.emit('u1', {
      type: 'failure',
      count: 1,
      max: 3,
      code: 500,
      reason: 'badSession',
    });
    h.events.emit('u1', { type: 'reset', reason: 'threshold' });
    h.events.emit('u1', {
      type: 'messageStatus',
      messageId: 'm1',
      status: 'sent',
    });
    await h.subscriber.drained();

    expect(h.outbox.stored.map((a) => a.event.type)).toEqual([
      'session.status',
      'session.failure',
      'session.reset',
      'message.status',
    ]);
    expect(h.outbox.stored.every((a) => a.userId === 'u1')).toBe(true);
    expect(h.outbox.stored[0].urls).toEqual([
      'https://a.example.com/hook',
      'https://b.example.com/hook',
    ]);
    expect(JSON.stringify(h.outbox.started)).not.toContain('never-sent');
    await flush();
    expect(h.worker.wakes).toBe(4);
    await h.close();
  });

  it('sends a status only when it changed, filling in a forgotten previous status', async () => {
    const h = await subscriber({ WEBHOOK_URLS: URLS, WEBHOOK_SECRET: SECRET });
    h.events.emit('u1', {
      type: 'status',
      status: 'disconnected',
      reason: 'force',
    });
    // The supervisor forgot u1 (disconnected, no socket): no previousStatus again.
    h.events.emit('u1', {
      type: 'status',
      status: 'disconnected',
      reason: 'force',
    });
    h.events.emit('u1', { type: 'status', status: 'connecting' });
    await h.subscriber.drained();

    expect(h.outbox.stored.map((a) => a.event.data)).toEqual([
      { status: 'disconnected', previousStatus: null },
      { status: 'connecting', previousStatus: 'disconnected' },
    ]);
    await h.close();
  });

  it('stores only the types WEBHOOK_EVENTS names', async () => {
    const h = await subscriber({
      WEBHOOK_URLS: URLS,
      WEBHOOK_SECRET: SECRET,
      WEBHOOK_EVENTS: 'session.reset',
    });
    h.events.emit('u1', { type: 'status', status: 'connecting' });
    h.events.emit('u1', {
      type: 'failure',
      count: 3,
      max: 3,
      reason: 'loggedOut',
    });
    h.events.emit('u1', { type: 'reset', reason: 'threshold' });
    await h.subscriber.drained();

    expect(h.outbox.stored.map((a) => a.event.type)).toEqual(['session.reset']);
    await h.close();
  });

  it('stores nothing when no URL is configured', async () => {
    const h = await subscriber({});
    h.events.emit('u1', { type: 'reset', reason: 'force' });
    await h.subscriber.drained();

    expect(h.outbox.started).toEqual([]);
    await h.close();
  });

  it('returns to the emitter at once: a slow write holds back only the same user’s later events', async () => {
    const h = await subscriber({ WEBHOOK_URLS: URLS, WEBHOOK_SECRET: SECRET });
    h.outbox.autoComplete = false;
    h.events.emit('u1', { type: 'reset', reason: 'force' });
    h.events.emit('u1', {
      type: 'failure',
      count: 1,
      max: 3,
      reason: 'badSession',
    });
    h.events.emit('u2', { type: 'reset', reason: 'needs_qr' });
    await flush();

    // u1's second event waits for its first; u2 does not wait for u1.
    expect(h.outbox.started.map((a) => [a.userId, a.event.type])).toEqual([
      ['u1', 'session.reset'],
      ['u2', 'session.reset'],
    ]);
    h.outbox.complete();
    await flush();
    expect(h.outbox.started.map((a) => [a.userId, a.event.type])).toEqual([
      ['u1', 'session.reset'],
      ['u2', 'session.reset'],
      ['u1', 'session.failure'],
    ]);
    h.outbox.complete();
    h.outbox.complete();
    await h.subscriber.drained();
    expect(h.outbox.stored).toHaveLength(3);
    await h.close();
  });

  it('keeps storing a user’s later events after one write failed', async () => {
    const h = await subscriber({ WEBHOOK_URLS: URLS, WEBHOOK_SECRET: SECRET });
    h.outbox.autoComplete = false;
    h.events.emit('u1', { type: 'reset', reason: 'force' });
    h.events.emit('u1', { type: 'reset', reason: 'threshold' });
    await flush();
    h.outbox.complete(new Error('database gone for good'));
    await flush();
    h.outbox.complete();
    await h.subscriber.drained();

    expect(h.outbox.stored.map((a) => a.event.data)).toEqual([
      { reason: 'threshold' },
    ]);
    await h.close();
  });
});
