import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import request from 'supertest';
import { getModelToken } from '@nestjs/mongoose';
import type { Model } from 'mongoose';
import { SessionEvents } from '../src/relance/events/session-events';
import { WebhookDelivery } from '../src/webhooks/outbox/webhook-delivery.schema';
import { MAX_IN_FLIGHT } from '../src/webhooks/delivery/webhook-delivery.worker';
import type { WebhookPayload } from '../src/webhooks/webhook-event';
import { startAppProcess } from './support/app-process';
import {
  FakeSocketFactory,
  plantStoredSession,
  settle,
} from './support/fake-socket-factory';
import { sampleValue } from './support/prometheus-text';
import { createTestApp, TestApp } from './support/test-app';
import { stopTestDatabase, testDatabaseUri } from './support/test-database';
import { bearer, tokenFor } from './support/tokens';
import { waitUntil } from './support/wait';
import { ReceivedWebhook, WebhookReceiver } from './support/webhook-receiver';

const SECRET = `whsec_${randomBytes(32).toString('base64')}`;

/** Settings every app here shares: this receiver, signed with SECRET. */
function webhookEnv(
  receiver: WebhookReceiver,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    WEBHOOK_URLS: receiver.url,
    WEBHOOK_SECRET: SECRET,
    WEBHOOK_BACKOFF_BASE_MS: '200',
    WEBHOOK_BACKOFF_MAX_MS: '1000',
    WHATSAPP_QR_WAIT_MS: '2000',
    WHATSAPP_RECONNECT_BASE_MS: '60000',
    WHATSAPP_RECONNECT_MAX_MS: '60000',
    RATE_LIMIT_QR_PER_MINUTE: '1000',
    RATE_LIMIT_DISCONNECT_PER_MINUTE: '1000',
    ...extra,
  };
}

/** The outbox collection, read directly: what is stored, whatever the worker does with it. */
function outboxOf(testApp: TestApp): Model<WebhookDelivery> {
  return testApp.app.get<Model<WebhookDelivery>>(
    getModelToken(WebhookDelivery.name),
  );
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

/** Every request the receiver got for one event, in arrival order. */
function attemptsOf(
  receiver: WebhookReceiver,
  webhookId: string,
): ReceivedWebhook[] {
  return receiver.received.filter((webhook) => webhook.webhookId === webhookId);
}

describe('webhooks (e2e, real receiver verifying every signature)', () => {
  let receiver: WebhookReceiver;
  let testApp: TestApp | undefined;

  beforeEach(async () => {
    receiver = await WebhookReceiver.start(SECRET);
  });

  afterEach(async () => {
    await testApp?.close();
    testApp = undefined;
    await receiver.close();
  });

  afterAll(async () => {
    await stopTestDatabase();
  });

  const http = () => request(testApp!.app.getHttpServer());
  const emit = (...args: Parameters<SessionEvents['emit']>) =>
    testApp!.app.get(SessionEvents).emit(...args);

  it('story 1: three counted failures arrive as session.failure 1/3, 2/3, 3/3 then session.reset threshold, in sequence order', async () => {
    const userId = 'user_story1';
    const auth = bearer(await tokenFor(userId));
    const factory = new FakeSocketFactory();
    testApp = await createTestApp({
      sockets: factory,
      env: webhookEnv(receiver),
    });
    const status = async () =>
      (await http().get('/api/relance/status').set(auth).expect(200)).body as {
        connectionFailureCount: number;
        sessionStored: boolean;
      };

    // A linked user whose socket opens.
    await plantStoredSession(testApp.sessionsDir, userId);
    factory.onCreate = (socket) => setTimeout(() => socket.open(), 20);
    await http()
      .get('/api/relance/qr')
      .set(auth)
      .expect(200, { status: 'connected' });
    factory.onCreate = undefined;

    for (const expected of [1, 2]) {
      factory.latest(userId).close(500);
      await waitUntil(
        async () => (await status()).connectionFailureCount === expected,
      );
      // The reconnect from stored credentials, which the server refuses again.
      const pending = http()
        .get('/api/relance/qr')
        .set(auth)
        .then((r) => r.status);
      await waitUntil(() => factory.socketsFor(userId).length === expected + 1);
      expect(await pending).toBe(202);
    }
    factory.latest(userId).close(500);
    await waitUntil(async () => !(await status()).sessionStored);

    await waitUntil(
      () =>
        receiver
          .acceptedEventsOf(userId)
          .some((e) => e.type === 'session.reset'),
      { what: 'the session.reset webhook' },
    );
    const events = receiver.acceptedEventsOf(userId);
    expect(receiver.received.every((webhook) => webhook.verified)).toBe(true);
    // Numbered 1, 2, 3… for this user with no gap, and every one names the user.
    expect(events.map((e) => e.data.sequence)).toEqual(
      events.map((_e, i) => i + 1),
    );
    expect(events.every((e) => e.data.userId === userId)).toBe(true);
    // What each event says, without its numbering (checked above).
    const said = events.map(
      ({ type, data: { userId: _user, sequence: _sequence, ...fields } }) => ({
        type,
        ...fields,
      }),
    );
    expect(
      said.filter(
        (e) => e.type === 'session.failure' || e.type === 'session.reset',
      ),
    ).toEqual([
      {
        type: 'session.failure',
        count: 1,
        max: 3,
        code: 500,
        reason: 'badSession',
      },
      {
        type: 'session.failure',
        count: 2,
        max: 3,
        code: 500,
        reason: 'badSession',
      },
      {
        type: 'session.failure',
        count: 3,
        max: 3,
        code: 500,
        reason: 'badSession',
      },
      { type: 'session.reset', reason: 'threshold' },
    ]);
    expect(said).toContainEqual({
      type: 'session.status',
      status: 'connected',
      previousStatus: 'connecting',
    });
    // Never a QR code, never an internal step.
    expect(
      events
        .map((e) => e.type)
        .every((type) =>
          ['session.status', 'session.failure', 'session.reset'].includes(type),
        ),
    ).toBe(true);
  });

  it('story 2: a receiver answering 500 for 20 s then 200 gets everything, attempts spaced by the backoff', async () => {
    const baseMs = 500;
    const failingForMs = 20_000;
    testApp = await createTestApp({
      sockets: new FakeSocketFactory(),
      env: webhookEnv(receiver, {
        WEBHOOK_BACKOFF_BASE_MS: String(baseMs),
        WEBHOOK_BACKOFF_MAX_MS: '2000',
        WEBHOOK_MAX_ATTEMPTS: '100',
      }),
    });
    const healthyFrom = Date.now() + failingForMs;
    receiver.answer = () => (Date.now() < healthyFrom ? 500 : 200);

    emit('user_story2', {
      type: 'failure',
      count: 1,
      max: 3,
      code: 428,
      reason: 'connectionClosed',
    });
    emit('user_story2', { type: 'reset', reason: 'needs_qr' });
    emit('user_story2b', {
      type: 'messageStatus',
      messageId: 'msg-1',
      status: 'delivered',
    });

    await waitUntil(
      () =>
        receiver.acceptedEventsOf('user_story2').length === 2 &&
        receiver.acceptedEventsOf('user_story2b').length === 1,
      {
        timeoutMs: failingForMs + 30_000,
        intervalMs: 100,
        what: 'every event to be accepted',
      },
    );
    const ids = [
      ...new Set(receiver.received.map((webhook) => webhook.webhookId)),
    ];
    expect(ids).toHaveLength(3);
    for (const id of ids) {
      const attempts = attemptsOf(receiver, id);
      expect(attempts.every((a) => a.verified)).toBe(true);
      // It was retried through the outage, always with the same body…
      expect(
        attempts.filter((a) => a.answer === 500).length,
      ).toBeGreaterThanOrEqual(2);
      expect(new Set(attempts.map((a) => a.body)).size).toBe(1);
      expect(attempts.at(-1)?.answer).toBe(200);
      // …never sooner than the backoff's base after the previous attempt.
      for (let i = 1; i < attempts.length; i += 1)
        expect(
          attempts[i].receivedAt - attempts[i - 1].receivedAt,
        ).toBeGreaterThanOrEqual(baseMs);
    }
    expect(
      receiver
        .acceptedEventsOf('user_story2')
        .map((e) => [e.data.sequence, e.type]),
    ).toEqual([
      [1, 'session.failure'],
      [2, 'session.reset'],
    ]);
    expect(receiver.acceptedEventsOf('user_story2b')[0].data).toEqual({
      userId: 'user_story2b',
      sequence: 1,
      messageId: 'msg-1',
      status: 'delivered',
    });
  }, 90_000);

  it('story 3: after a SIGKILL with deliveries pending, the restarted app delivers everything; duplicates share a webhook-id', async () => {
    const mongoUri = await testDatabaseUri();
    const sessionsDir = await mkdtemp(join(tmpdir(), 'relance-webhooks-'));
    const users = ['user_k1', 'user_k2', 'user_k3'];
    const env = {
      MONGODB_URI: mongoUri,
      WHATSAPP_SESSIONS_DIR: sessionsDir,
      ...webhookEnv(receiver, { WEBHOOK_TIMEOUT_MS: '2000' }),
    };
    // First life: the receiver takes each request and never answers.
    receiver.answer = () => 'hang';
    let app = await startAppProcess(env);
    try {
      for (const userId of users)
        await fetch(`${app.url}/api/relance/disconnect`, {
          method: 'DELETE',
          headers: {
            ...bearer(await tokenFor(userId)),
            'content-type': 'application/json',
          },
          body: JSON.stringify({ force: true }),
        }).then((response) => expect(response.status).toBe(200));
      await waitUntil(
        () =>
          new Set(receiver.received.map((webhook) => webhook.webhookId))
            .size ===
          users.length * 2,
        { timeoutMs: 30_000, what: 'every event to reach the receiver once' },
      );
      await app.kill('SIGKILL');
      const beforeKill = receiver.received.length;
      expect(receiver.accepted()).toEqual([]);

      // Second life: the receiver is healthy.
      receiver.answer = () => 200;
      app = await startAppProcess(env);
      await waitUntil(
        () =>
          users.every(
            (userId) => receiver.acceptedEventsOf(userId).length === 2,
          ),
        {
          timeoutMs: 60_000,
          intervalMs: 100,
          what: 'every event to be accepted after the restart',
        },
      );

      for (const userId of users)
        expect(
          receiver
            .acceptedEventsOf(userId)
            .map((e) => [e.data.sequence, e.type, e.data]),
        ).toEqual([
          [1, 'session.reset', { userId, sequence: 1, reason: 'force' }],
          [
            2,
            'session.status',
            {
              userId,
              sequence: 2,
              status: 'disconnected',
              previousStatus: null,
            },
          ],
        ]);
      expect(receiver.received.every((webhook) => webhook.verified)).toBe(true);
      // Each event was received before the kill and again after it, under one webhook-id and one body.
      const ids = new Set(
        receiver.received.map((webhook) => webhook.webhookId),
      );
      expect(ids.size).toBe(users.length * 2);
      for (const id of ids) {
        const copies = attemptsOf(receiver, id);
        expect(
          receiver.received
            .slice(0, beforeKill)
            .some((w) => w.webhookId === id),
        ).toBe(true);
        expect(
          receiver.received.slice(beforeKill).some((w) => w.webhookId === id),
        ).toBe(true);
        expect(new Set(copies.map((copy) => copy.body)).size).toBe(1);
      }
    } finally {
      await app.kill('SIGKILL');
      await rm(sessionsDir, { recursive: true, force: true });
    }
  }, 240_000);

  it('story 4: a receiver that hangs delays neither GET /status nor the lifecycle', async () => {
    const userId = 'user_story4';
    const auth = bearer(await tokenFor(userId));
    const factory = new FakeSocketFactory();
    testApp = await createTestApp({
      sockets: factory,
      env: webhookEnv(receiver, { WEBHOOK_TIMEOUT_MS: '60000' }),
    });
    factory.onCreate = (socket) => setTimeout(() => socket.open(), 20);
    await plantStoredSession(testApp.sessionsDir, userId);
    await http()
      .get('/api/relance/qr')
      .set(auth)
      .expect(200, { status: 'connected' });

    const statusLatencies = async (): Promise<number[]> => {
      const latencies: number[] = [];
      for (let i = 0; i < 15; i += 1) {
        const started = performance.now();
        await http().get('/api/relance/status').set(auth).expect(200);
        latencies.push(performance.now() - started);
      }
      return latencies;
    };
    /** A counted failure seen by GET /status, then a reconnect through GET /qr: several webhook events each. */
    const lifecycleLatencies = async (): Promise<number[]> => {
      const latencies: number[] = [];
      for (let i = 0; i < 3; i += 1) {
        const started = performance.now();
        factory.latest(userId).close(401);
        await waitUntil(
          async () =>
            (
              (await http().get('/api/relance/status').set(auth)).body as {
                connectionFailureCount: number;
              }
            ).connectionFailureCount === 1,
          { intervalMs: 5 },
        );
        await http()
          .get('/api/relance/qr')
          .set(auth)
          .expect(200, { status: 'connected' });
        latencies.push(performance.now() - started);
      }
      return latencies;
    };

    const baseline = {
      status: await statusLatencies(),
      lifecycle: await lifecycleLatencies(),
    };

    receiver.answer = () => 'hang';
    for (let i = 0; i < MAX_IN_FLIGHT * 2; i += 1)
      emit(`user_flood_${i}`, { type: 'reset', reason: 'needs_qr' });
    await waitUntil(() => receiver.hangingCount >= MAX_IN_FLIGHT, {
      what: 'every delivery slot to hang',
    });

    const duringHang = {
      status: await statusLatencies(),
      lifecycle: await lifecycleLatencies(),
    };
    expect(receiver.hangingCount).toBeGreaterThanOrEqual(MAX_IN_FLIGHT);

    // Generous: anything waiting on the receiver would wait for its 60 s timeout.
    expect(median(duringHang.status)).toBeLessThan(
      median(baseline.status) * 10 + 500,
    );
    expect(median(duringHang.lifecycle)).toBeLessThan(
      median(baseline.lifecycle) * 10 + 500,
    );
    // The lifecycle's own events were stored while the receiver hung; they wait in the outbox.
    await waitUntil(
      async () =>
        (await outboxOf(testApp!).countDocuments({
          userId,
          state: 'pending',
        })) > 0,
      {
        what: 'the lifecycle events of the hang to be stored',
      },
    );
  }, 120_000);

  it('story 5: a tampered body fails verification (the receiver’s check is real)', async () => {
    testApp = await createTestApp({
      sockets: new FakeSocketFactory(),
      env: webhookEnv(receiver),
    });
    emit('user_story5', { type: 'reset', reason: 'force' });
    await waitUntil(() => receiver.accepted().length === 1, {
      what: 'one accepted webhook',
    });
    const [genuine] = receiver.accepted();

    expect(receiver.verify(genuine.body, genuine.headers)).toEqual(
      JSON.parse(genuine.body) as WebhookPayload,
    );
    const tampered = genuine.body.replace(
      '"reason":"force"',
      '"reason":"needs_qr"',
    );
    expect(tampered).not.toBe(genuine.body);
    expect(() => receiver.verify(tampered, genuine.headers)).toThrow(
      'No matching signature found',
    );

    // Sent over HTTP, the tampered body is refused by the receiver.
    const response = await fetch(receiver.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'webhook-id': genuine.headers['webhook-id'],
        'webhook-timestamp': genuine.headers['webhook-timestamp'],
        'webhook-signature': genuine.headers['webhook-signature'],
      },
      body: tampered,
    });
    expect(response.status).toBe(401);
    expect(receiver.received.at(-1)).toMatchObject({
      verified: false,
      rejection: 'No matching signature found',
    });
  });

  it('story 6: admins list failed deliveries and redeliver one; non-admins get 403', async () => {
    testApp = await createTestApp({
      sockets: new FakeSocketFactory(),
      env: webhookEnv(receiver, { WEBHOOK_MAX_ATTEMPTS: '1' }),
    });
    const admin = bearer(await tokenFor('ops_1', { roles: ['admin'] }));
    const user = bearer(await tokenFor('user_story6'));
    receiver.answer = () => 500;
    for (const userId of ['user_f1', 'user_f2', 'user_f3'])
      emit(userId, { type: 'reset', reason: 'threshold' });

    const failed = async (query = '') =>
      (
        await http()
          .get(`/api/relance/admin/webhooks/failed${query}`)
          .set(admin)
          .expect(200)
      ).body as {
        total: number;
        page: number;
        limit: number;
        items: Array<{
          id: string;
          webhookId: string;
          userId: string;
          state: string;
          attempts: number;
          endpoint: string;
          lastStatusLine: string;
          payload: WebhookPayload;
        }>;
      };
    await waitUntil(async () => (await failed()).total === 3, {
      what: 'three failed deliveries',
    });

    const first = await failed('?page=1&limit=2');
    const second = await failed('?page=2&limit=2');
    expect(first).toMatchObject({ total: 3, page: 1, limit: 2 });
    expect(first.items).toHaveLength(2);
    expect(second.items).toHaveLength(1);
    const all = [...first.items, ...second.items];
    expect(all.map((item) => item.userId).sort()).toEqual([
      'user_f1',
      'user_f2',
      'user_f3',
    ]);
    for (const item of all)
      expect(item).toMatchObject({
        state: 'failed',
        attempts: 1,
        lastStatusLine: 'HTTP 500 Internal Server Error',
        endpoint: receiver.url.split('?')[0],
        payload: {
          type: 'session.reset',
          data: { userId: item.userId, sequence: 1, reason: 'threshold' },
        },
      });
    // The receiver's response body is never kept.
    expect(JSON.stringify(all)).not.toContain('do not store me');

    // Non-admins, and callers without a token, are refused.
    await http()
      .get('/api/relance/admin/webhooks/failed')
      .set(user)
      .expect(403);
    await http()
      .post(`/api/relance/admin/webhooks/${all[0].id}/redeliver`)
      .set(user)
      .expect(403);
    await http().get('/api/relance/admin/webhooks/failed').expect(401);
    // Malformed and unknown ids, bad paging: clear 4xx envelopes.
    const malformed = await http()
      .post('/api/relance/admin/webhooks/not-an-id/redeliver')
      .set(admin)
      .expect(400);
    expect(malformed.body).toMatchObject({
      statusCode: 400,
      error: 'Bad Request',
      message: [expect.stringContaining('id must be a webhook delivery id')],
    });
    const unknown = await http()
      .post('/api/relance/admin/webhooks/0123456789abcdef01234567/redeliver')
      .set(admin)
      .expect(404);
    expect(unknown.body).toMatchObject({
      statusCode: 404,
      error: 'Not Found',
      message: 'No webhook delivery has this id',
    });
    await http()
      .get('/api/relance/admin/webhooks/failed?limit=0')
      .set(admin)
      .expect(400);

    // Redeliver one to a receiver that is healthy again: same webhook-id, accepted, no longer failed.
    receiver.answer = () => 200;
    const target = all[0];
    const redelivered = await http()
      .post(`/api/relance/admin/webhooks/${target.id}/redeliver`)
      .set(admin)
      .expect(202);
    expect(redelivered.body).toMatchObject({
      id: target.id,
      webhookId: target.webhookId,
      state: 'pending',
      attempts: 0,
    });
    await waitUntil(
      () =>
        receiver
          .accepted()
          .some((webhook) => webhook.webhookId === target.webhookId),
      {
        what: 'the redelivered webhook',
      },
    );
    expect(attemptsOf(receiver, target.webhookId).map((w) => w.answer)).toEqual(
      [500, 200],
    );
    await waitUntil(async () => (await failed()).total === 2);
    expect((await failed()).items.map((item) => item.id)).not.toContain(
      target.id,
    );
    const again = await http()
      .post(`/api/relance/admin/webhooks/${target.id}/redeliver`)
      .set(admin)
      .expect(409);
    expect(again.body).toMatchObject({
      statusCode: 409,
      message:
        'Only failed deliveries can be redelivered; this one is delivered',
    });

    // Metrics: outcomes counted, the oldest pending age is 0 with nothing pending, latency observed.
    const metrics = (await http().get('/metrics').expect(200)).text;
    expect(
      sampleValue(metrics, 'relance_webhook_deliveries_total', {
        outcome: 'failed',
      }),
    ).toBe(3);
    expect(
      sampleValue(metrics, 'relance_webhook_deliveries_total', {
        outcome: 'delivered',
      }),
    ).toBe(1);
    expect(sampleValue(metrics, 'relance_webhook_oldest_pending_seconds')).toBe(
      0,
    );
    expect(
      sampleValue(metrics, 'relance_webhook_delivery_duration_seconds_count'),
    ).toBe(4);
  });

  it('fails, at boot, pending deliveries to a URL removed from WEBHOOK_URLS; they cannot be redelivered', async () => {
    receiver.answer = () => 500;
    const slowRetries = {
      WEBHOOK_BACKOFF_BASE_MS: '60000',
      WEBHOOK_BACKOFF_MAX_MS: '60000',
    };
    testApp = await createTestApp({
      sockets: new FakeSocketFactory(),
      env: webhookEnv(receiver, slowRetries),
    });
    const { mongoUri } = testApp;
    emit('user_moved', { type: 'reset', reason: 'force' });
    await waitUntil(() => receiver.received.length === 1, {
      what: 'the first attempt',
    });
    await testApp.close();

    // The receiver moved: only the new URL is configured now.
    const movedUrl = receiver.url.replace(
      '/hooks/relance',
      '/hooks/relance-v2',
    );
    testApp = await createTestApp({
      mongoUri,
      sockets: new FakeSocketFactory(),
      env: { ...webhookEnv(receiver, slowRetries), WEBHOOK_URLS: movedUrl },
    });
    const admin = bearer(await tokenFor('ops_1', { roles: ['admin'] }));
    type FailedPage = {
      total: number;
      items: Array<{ id: string; lastStatusLine: string; state: string }>;
    };
    const listFailed = async () =>
      (
        await http()
          .get('/api/relance/admin/webhooks/failed')
          .set(admin)
          .expect(200)
      ).body as FailedPage;
    await waitUntil(async () => (await listFailed()).total === 1, {
      what: 'the delivery to the removed URL to fail',
    });
    const failed = await listFailed();
    expect(failed.items[0]).toMatchObject({
      state: 'failed',
      lastStatusLine: 'URL no longer configured',
    });
    const refused = await http()
      .post(`/api/relance/admin/webhooks/${failed.items[0].id}/redeliver`)
      .set(admin)
      .expect(409);
    expect(refused.body).toMatchObject({
      statusCode: 409,
      message: expect.stringContaining('no longer in WEBHOOK_URLS') as string,
    });
    expect(receiver.received).toHaveLength(1);
  });

  it('stores and sends nothing when no URL is configured', async () => {
    testApp = await createTestApp({ sockets: new FakeSocketFactory() });
    emit('user_off', { type: 'reset', reason: 'force' });
    const admin = bearer(await tokenFor('ops_1', { roles: ['admin'] }));
    await settle();
    expect(await outboxOf(testApp).countDocuments({})).toBe(0);
    expect(receiver.received).toEqual([]);
    expect(
      (
        await http()
          .get('/api/relance/admin/webhooks/failed')
          .set(admin)
          .expect(200)
      ).body,
    ).toEqual({
      total: 0,
      page: 1,
      limit: 20,
      items: [],
    });
  });
});
