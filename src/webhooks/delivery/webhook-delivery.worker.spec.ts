import { Test } from '@nestjs/testing';
import { randomBytes } from 'node:crypto';
import {
  loadWebhooksConfig,
  webhooksConfig,
} from '../../config/webhooks.config';
import {
  StoredDelivery,
  WebhookOutboxRepository,
} from '../outbox/webhook-outbox.repository';
import {
  MAX_IN_FLIGHT,
  WebhookDeliveryWorker,
} from './webhook-delivery.worker';
import { WebhookDispatcher } from './webhook-dispatcher';

const URL_A = 'https://hooks.example.com/relance';
const SECRET = `whsec_${randomBytes(24).toString('base64')}`;

function delivery(index: number): StoredDelivery {
  return {
    id: `d${index}`,
    webhookId: `msg_${index}`,
    userId: 'u1',
    sequence: index + 1,
    type: 'session.reset',
    url: URL_A,
    body: '{}',
    state: 'pending',
    attempts: 0,
    nextAttemptAt: new Date(0),
    createdAt: new Date(0),
  };
}

/** Due deliveries in memory; a claimed one is not due again. */
class InMemoryOutbox implements Pick<
  WebhookOutboxRepository,
  'claimDue' | 'nextDueAt' | 'failUnconfigured'
> {
  readonly due: StoredDelivery[] = [];

  claimDue(
    _urls: readonly string[],
    _now: Date,
    limit: number,
  ): Promise<StoredDelivery[]> {
    return Promise.resolve(this.due.splice(0, limit));
  }

  nextDueAt(): Promise<Date | undefined> {
    return Promise.resolve(this.due[0] ? new Date(0) : undefined);
  }

  failUnconfigured(): Promise<number> {
    return Promise.resolve(0);
  }
}

/** Attempts that end when the test says so. */
class HeldDispatcher implements Pick<WebhookDispatcher, 'attempt'> {
  readonly running = new Map<
    string,
    { signal: AbortSignal; end: () => void }
  >();
  readonly started: string[] = [];

  attempt(delivery: StoredDelivery, signal: AbortSignal): Promise<void> {
    this.started.push(delivery.id);
    return new Promise((resolve) => {
      const end = () => {
        this.running.delete(delivery.id);
        resolve();
      };
      this.running.set(delivery.id, { signal, end });
      signal.addEventListener('abort', end);
    });
  }

  endAll(): void {
    for (const attempt of [...this.running.values()]) attempt.end();
  }
}

const flush = async () => {
  for (let i = 0; i < 10; i += 1)
    await new Promise((resolve) => setImmediate(resolve));
};

async function worker(env: Record<string, string>) {
  const outbox = new InMemoryOutbox();
  const dispatcher = new HeldDispatcher();
  const moduleRef = await Test.createTestingModule({
    providers: [
      WebhookDeliveryWorker,
      { provide: webhooksConfig.KEY, useValue: loadWebhooksConfig(env) },
      { provide: WebhookOutboxRepository, useValue: outbox },
      { provide: WebhookDispatcher, useValue: dispatcher },
    ],
  }).compile();
  return { moduleRef, outbox, dispatcher };
}

describe('WebhookDeliveryWorker', () => {
  const enabled = { WEBHOOK_URLS: URL_A, WEBHOOK_SECRET: SECRET };

  it(`runs at most ${MAX_IN_FLIGHT} attempts at once and takes the next as each ends`, async () => {
    const { moduleRef, outbox, dispatcher } = await worker(enabled);
    for (let i = 0; i < MAX_IN_FLIGHT + 5; i += 1) outbox.due.push(delivery(i));
    await moduleRef.init();
    await flush();

    expect(dispatcher.running.size).toBe(MAX_IN_FLIGHT);
    dispatcher.running.get('d0')?.end();
    dispatcher.running.get('d1')?.end();
    await flush();
    expect(dispatcher.running.size).toBe(MAX_IN_FLIGHT);
    expect(dispatcher.started).toHaveLength(MAX_IN_FLIGHT + 2);

    dispatcher.endAll();
    await flush();
    dispatcher.endAll();
    await flush();
    expect(dispatcher.started).toHaveLength(MAX_IN_FLIGHT + 5);
    await moduleRef.close();
  });

  it('picks up a delivery stored later as soon as it is woken', async () => {
    const { moduleRef, outbox, dispatcher } = await worker(enabled);
    await moduleRef.init();
    await flush();
    expect(dispatcher.started).toEqual([]);

    outbox.due.push(delivery(0));
    moduleRef.get(WebhookDeliveryWorker).wake();
    await flush();
    expect(dispatcher.started).toEqual(['d0']);
    dispatcher.endAll();
    await moduleRef.close();
  });

  it('aborts attempts in flight at shutdown and claims nothing more', async () => {
    const { moduleRef, outbox, dispatcher } = await worker(enabled);
    outbox.due.push(delivery(0));
    await moduleRef.init();
    await flush();
    const { signal } = dispatcher.running.get('d0')!;

    await moduleRef.close();
    expect(signal.aborted).toBe(true);
    outbox.due.push(delivery(1));
    moduleRef.get(WebhookDeliveryWorker).wake();
    await flush();
    expect(dispatcher.started).toEqual(['d0']);
  });

  it('delivers nothing when no URL is configured', async () => {
    const { moduleRef, outbox, dispatcher } = await worker({});
    outbox.due.push(delivery(0));
    await moduleRef.init();
    await flush();
    expect(dispatcher.started).toEqual([]);
    await moduleRef.close();
  });
});
