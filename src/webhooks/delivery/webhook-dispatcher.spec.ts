import { Test } from '@nestjs/testing';
import { getToken } from '@willsoto/nestjs-prometheus';
import { randomBytes } from 'node:crypto';
import { Counter, Histogram, Registry } from 'prom-client';
import { Webhook } from 'standardwebhooks';
import {
  loadWebhooksConfig,
  webhooksConfig,
} from '../../config/webhooks.config';
import {
  WEBHOOK_DELIVERIES,
  WEBHOOK_DELIVERY_DURATION,
} from '../metrics/webhook-metrics';
import {
  AttemptRecord,
  StoredDelivery,
  WebhookOutboxRepository,
} from '../outbox/webhook-outbox.repository';
import { WebhookBackoff } from './webhook-backoff';
import { WebhookDispatcher } from './webhook-dispatcher';
import { WebhookSigner } from './webhook-signer';
import {
  TransportRequest,
  TransportResult,
  WebhookTransport,
} from './webhook-transport';

const SECRET = `whsec_${randomBytes(32).toString('base64')}`;
const URL_A = 'https://hooks.example.com/relance?token=abc';
const MAX_ATTEMPTS = 4;
const BASE_MS = 1_000;

type Write =
  | { kind: 'delivered' | 'failed'; id: string; attempt: AttemptRecord }
  | { kind: 'retry'; id: string; attempt: AttemptRecord; nextAttemptAt: Date }
  | { kind: 'released'; id: string };

type OutcomeWrites = Pick<
  WebhookOutboxRepository,
  'markDelivered' | 'scheduleRetry' | 'markFailed' | 'release'
>;

/** Records each outcome write the dispatcher makes. */
class RecordingOutbox implements OutcomeWrites {
  readonly writes: Write[] = [];

  markDelivered(id: string, attempt: AttemptRecord): Promise<void> {
    this.writes.push({ kind: 'delivered', id, attempt });
    return Promise.resolve();
  }

  scheduleRetry(
    id: string,
    attempt: AttemptRecord,
    nextAttemptAt: Date,
  ): Promise<void> {
    this.writes.push({ kind: 'retry', id, attempt, nextAttemptAt });
    return Promise.resolve();
  }

  markFailed(id: string, attempt: AttemptRecord): Promise<void> {
    this.writes.push({ kind: 'failed', id, attempt });
    return Promise.resolve();
  }

  release(id: string): Promise<void> {
    this.writes.push({ kind: 'released', id });
    return Promise.resolve();
  }
}

/** Fake HTTP: answers each POST with the next scripted result and keeps the requests. */
class ScriptedTransport extends WebhookTransport {
  readonly requests: TransportRequest[] = [];
  readonly results: TransportResult[] = [];

  post(request: TransportRequest): Promise<TransportResult> {
    this.requests.push(request);
    return Promise.resolve(
      this.results.shift() ?? {
        outcome: 'accepted',
        statusLine: 'HTTP 200 OK',
      },
    );
  }
}

function pendingDelivery(attempts: number): StoredDelivery {
  return {
    id: '6743a1f0c2b7e14a9d3f0a12',
    webhookId: 'msg_0123456789abcdef0123456789abcdef',
    userId: 'user_42',
    sequence: 3,
    type: 'session.failure',
    url: URL_A,
    body: JSON.stringify({
      type: 'session.failure',
      timestamp: '2026-11-28T10:15:00.000Z',
      data: {
        userId: 'user_42',
        sequence: 3,
        count: 1,
        max: 3,
        code: 500,
        reason: 'badSession',
      },
    }),
    state: 'pending',
    attempts,
    nextAttemptAt: new Date(),
    createdAt: new Date(),
  };
}

describe('WebhookDispatcher (one attempt, fake HTTP)', () => {
  let dispatcher: WebhookDispatcher;
  let outbox: RecordingOutbox;
  let transport: ScriptedTransport;
  let registry: Registry;
  let deliveries: Counter<'outcome'>;
  let duration: Histogram;
  const signal = new AbortController().signal;

  beforeEach(async () => {
    outbox = new RecordingOutbox();
    transport = new ScriptedTransport();
    registry = new Registry();
    deliveries = new Counter({
      name: 'deliveries',
      help: 'test',
      labelNames: ['outcome'],
      registers: [registry],
    });
    duration = new Histogram({
      name: 'duration',
      help: 'test',
      registers: [registry],
    });
    const moduleRef = await Test.createTestingModule({
      providers: [
        WebhookDispatcher,
        WebhookSigner,
        WebhookBackoff,
        {
          provide: webhooksConfig.KEY,
          useValue: loadWebhooksConfig({
            WEBHOOK_URLS: URL_A,
            WEBHOOK_SECRET: SECRET,
            WEBHOOK_TIMEOUT_MS: '2500',
            WEBHOOK_MAX_ATTEMPTS: String(MAX_ATTEMPTS),
            WEBHOOK_BACKOFF_BASE_MS: String(BASE_MS),
          }),
        },
        { provide: WebhookOutboxRepository, useValue: outbox },
        { provide: WebhookTransport, useValue: transport },
        { provide: getToken(WEBHOOK_DELIVERIES), useValue: deliveries },
        { provide: getToken(WEBHOOK_DELIVERY_DURATION), useValue: duration },
      ],
    }).compile();
    dispatcher = moduleRef.get(WebhookDispatcher);
  });

  const outcomes = async (): Promise<Record<string, number>> => {
    const counts: Record<string, number> = {};
    for (const { labels, value } of (await deliveries.get()).values)
      counts[String(labels.outcome)] = value;
    return counts;
  };

  it('POSTs the stored body to its URL, signed so a Standard Webhooks receiver verifies it', async () => {
    const delivery = pendingDelivery(0);
    await dispatcher.attempt(delivery, signal);

    expect(transport.requests).toHaveLength(1);
    const [request] = transport.requests;
    expect(request).toMatchObject({
      url: URL_A,
      body: delivery.body,
      timeoutMs: 2500,
    });
    expect(request.headers['webhook-id']).toBe(delivery.webhookId);
    expect(request.headers['webhook-signature']).toMatch(
      /^v1,[A-Za-z0-9+/]+=*$/,
    );
    expect(new Webhook(SECRET).verify(request.body, request.headers)).toEqual(
      JSON.parse(delivery.body),
    );
    expect(() =>
      new Webhook(SECRET).verify(
        request.body.replace('"count":1', '"count":2'),
        request.headers,
      ),
    ).toThrow();
  });

  it('records a 2xx as delivered, counting the attempt', async () => {
    transport.results.push({
      outcome: 'accepted',
      statusLine: 'HTTP 204 No Content',
    });
    await dispatcher.attempt(pendingDelivery(2), signal);

    expect(outbox.writes).toHaveLength(1);
    expect(outbox.writes[0]).toMatchObject({
      kind: 'delivered',
      id: '6743a1f0c2b7e14a9d3f0a12',
      attempt: { attempts: 3, statusLine: 'HTTP 204 No Content' },
    });
    expect(await outcomes()).toEqual({ delivered: 1 });
    expect(
      (await duration.get()).values.find(
        (v) => v.metricName === 'duration_count',
      )?.value,
    ).toBe(1);
  });

  it.each<[string, Exclude<TransportResult, { outcome: 'aborted' }>]>([
    [
      'a 500',
      { outcome: 'rejected', statusLine: 'HTTP 500 Internal Server Error' },
    ],
    [
      'a redirect (never followed)',
      { outcome: 'rejected', statusLine: 'HTTP 302 Found' },
    ],
    ['a timeout', { outcome: 'timeout', statusLine: 'timeout after 2500 ms' }],
    [
      'a refused connection',
      { outcome: 'unreachable', statusLine: 'unreachable: ECONNREFUSED' },
    ],
  ])('schedules a retry by the backoff after %s', async (_name, result) => {
    transport.results.push(result);
    await dispatcher.attempt(pendingDelivery(1), signal);

    expect(outbox.writes).toHaveLength(1);
    const [write] = outbox.writes;
    if (write.kind !== 'retry')
      throw new Error(`expected a retry, got ${write.kind}`);
    expect(write.attempt).toMatchObject({
      attempts: 2,
      statusLine: result.statusLine,
    });
    const waitMs = write.nextAttemptAt.getTime() - write.attempt.at.getTime();
    expect(waitMs).toBeGreaterThanOrEqual(BASE_MS);
    expect(waitMs).toBeLessThan(BASE_MS * 2 ** 2);
    expect(await outcomes()).toEqual({ retry: 1 });
  });

  it('gives up after WEBHOOK_MAX_ATTEMPTS and keeps the delivery as failed', async () => {
    transport.results.push({
      outcome: 'rejected',
      statusLine: 'HTTP 503 Service Unavailable',
    });
    await dispatcher.attempt(pendingDelivery(MAX_ATTEMPTS - 1), signal);

    expect(outbox.writes).toHaveLength(1);
    expect(outbox.writes[0]).toMatchObject({
      kind: 'failed',
      id: '6743a1f0c2b7e14a9d3f0a12',
      attempt: {
        attempts: MAX_ATTEMPTS,
        statusLine: 'HTTP 503 Service Unavailable',
      },
    });
    expect(await outcomes()).toEqual({ failed: 1 });
  });

  it('counts nothing when our own shutdown aborts the attempt, and frees the delivery at once', async () => {
    transport.results.push({ outcome: 'aborted' });
    await dispatcher.attempt(pendingDelivery(1), signal);

    expect(outbox.writes).toEqual([
      { kind: 'released', id: '6743a1f0c2b7e14a9d3f0a12' },
    ]);
    expect(await outcomes()).toEqual({});
  });
});
