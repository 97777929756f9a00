import request from 'supertest';
import { SessionEvents } from '../src/relance/events/session-events';
import { FakeSocketFactory } from './support/fake-socket-factory';
import { openEventStream, SseClient } from './support/sse-client';
import { createTestApp, TestApp } from './support/test-app';
import { stopTestDatabase } from './support/test-database';
import { bearer, tokenFor } from './support/tokens';
import { waitUntil } from './support/wait';

const STREAM = '/api/relance/events';

describe('GET /api/relance/events: live status stream (e2e)', () => {
  let testApp: TestApp;
  let factory: FakeSocketFactory;
  let baseUrl: string;
  let events: SessionEvents;
  const streams: SseClient[] = [];

  beforeAll(async () => {
    factory = new FakeSocketFactory();
    testApp = await createTestApp({
      env: {
        WHATSAPP_QR_WAIT_MS: '2000',
        WHATSAPP_RECONNECT_BASE_MS: '60000',
        WHATSAPP_RECONNECT_MAX_MS: '60000',
        SSE_HEARTBEAT_MS: '150',
      },
      sockets: factory,
    });
    await testApp.app.listen(0, '127.0.0.1');
    baseUrl = await testApp.app.getUrl();
    events = testApp.app.get(SessionEvents);
  });

  afterEach(() => {
    for (const stream of streams.splice(0)) stream.close();
  });

  afterAll(async () => {
    await testApp?.close();
    await stopTestDatabase();
  });

  const open = async (userId: string) => {
    const stream = await openEventStream(
      baseUrl,
      STREAM,
      bearer(await tokenFor(userId)),
    );
    streams.push(stream);
    return stream;
  };
  const withoutHeartbeats = (stream: SseClient) =>
    stream.events.filter((event) => event.type !== 'heartbeat');

  it('relays snapshot, connecting, awaiting_qr, the QR with its image, connected and a counted close, in order', async () => {
    const userId = 'sse_user';
    const stream = await open(userId);
    expect(stream.statusCode).toBe(200);
    expect(stream.contentType).toMatch(/^text\/event-stream/);
    await waitUntil(() => stream.events.some((e) => e.type === 'snapshot'), {
      what: 'the snapshot',
    });

    factory.onCreate = (socket) => setTimeout(() => socket.qr('2@sse-qr'), 10);
    await request(testApp.app.getHttpServer())
      .get('/api/relance/qr')
      .set(bearer(await tokenFor(userId)))
      .expect(200);
    factory.latest(userId).open();
    await waitUntil(
      () =>
        stream.events.some(
          (e) =>
            e.type === 'status' &&
            (e.data as { status: string }).status === 'connected',
        ),
      { what: 'connected' },
    );
    factory.latest(userId).close(401);
    await waitUntil(() => withoutHeartbeats(stream).length === 6, {
      what: 'the counted close',
    });

    const received = withoutHeartbeats(stream);
    expect(received.map((e) => e.type)).toEqual([
      'snapshot',
      'status',
      'status',
      'qr',
      'status',
      'status',
    ]);
    expect(received[0].data).toMatchObject({
      status: 'disconnected',
      connectionFailureCount: 0,
      maxConnectionFailures: 3,
      sessionStored: false,
    });
    expect(received[1].data).toEqual({ status: 'connecting' });
    expect(received[2].data).toEqual({ status: 'awaiting_qr' });
    expect(received[3].data).toEqual({
      qr: '2@sse-qr',
      qrImage: expect.stringMatching(
        /^data:image\/png;base64,[A-Za-z0-9+/]+=*$/,
      ) as unknown,
    });
    expect(received[4].data).toEqual({
      status: 'connected',
      connectionFailureCount: 0,
    });
    const close = received[5].data as Record<string, unknown>;
    expect(close).toEqual({
      status: 'disconnected',
      connectionFailureCount: 1,
      nextReconnectAt: expect.any(String) as unknown,
    });
    const nextReconnectAt = Date.parse(close.nextReconnectAt as string);
    expect(nextReconnectAt).toBeGreaterThan(Date.now() - 1000);
    expect(nextReconnectAt).toBeLessThanOrEqual(Date.now() + 60_000);
    await request(testApp.app.getHttpServer())
      .delete('/api/relance/disconnect')
      .set(bearer(await tokenFor(userId)))
      .expect(200);
  });

  it('only relays the caller’s own events', async () => {
    const mine = await open('sse_me');
    await waitUntil(() => mine.events.some((e) => e.type === 'snapshot'));
    events.emit('sse_other', { type: 'status', status: 'connecting' });
    events.emit('sse_me', { type: 'status', status: 'connected' });
    await waitUntil(() => withoutHeartbeats(mine).length === 2);
    expect(withoutHeartbeats(mine)[1].data).toEqual({ status: 'connected' });
  });

  it('sends heartbeats at SSE_HEARTBEAT_MS', async () => {
    const stream = await open('sse_heartbeat');
    await waitUntil(
      () => stream.events.filter((e) => e.type === 'heartbeat').length >= 2,
      { timeoutMs: 3000, what: 'two heartbeats' },
    );
    const beat = stream.events.find((e) => e.type === 'heartbeat');
    expect(beat?.data).toEqual({ at: expect.any(String) as unknown });
  });

  it('refuses a stream without a token with 401', async () => {
    const stream = await openEventStream(baseUrl, STREAM, {});
    streams.push(stream);
    expect(stream.statusCode).toBe(401);
  });

  it('leaves no listener behind after 200 streams are opened and dropped', async () => {
    const baseline = events.listenerCount();
    const opened = await Promise.all(
      Array.from({ length: 200 }, (_, index) => open(`sse_leak_${index % 20}`)),
    );
    await waitUntil(
      () =>
        events.listenerCount() === baseline + 200 &&
        opened.every((stream) => stream.events.length > 0),
      { what: '200 subscribed streams with their snapshot' },
    );
    for (const stream of opened) stream.close();
    await waitUntil(() => events.listenerCount() === baseline, {
      what: 'every listener removed',
    });
    expect(events.listenerCount()).toBe(baseline);
  });
});
