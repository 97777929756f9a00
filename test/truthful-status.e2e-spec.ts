/**
 * Issue 18 item 3: status, SSE and metrics must not announce a reconnect that
 * will not happen. A user who never linked asks for a QR three times, and
 * each attempt ends at once because the edge closes the connection.
 */
import { Logger } from '@nestjs/common';
import request from 'supertest';
import { FakeSocketFactory } from './support/fake-socket-factory';
import { sampleValue } from './support/prometheus-text';
import type { StatusBody } from './support/response-bodies';
import { openEventStream, SseClient } from './support/sse-client';
import { createTestApp, TestApp } from './support/test-app';
import { stopTestDatabase } from './support/test-database';
import { bearer, tokenFor } from './support/tokens';
import { waitUntil } from './support/wait';

describe('a link attempt that ends at once, for a user who never linked (e2e)', () => {
  let testApp: TestApp;
  let stream: SseClient | undefined;

  beforeAll(async () => {
    const factory = new FakeSocketFactory();
    // The edge closes every connection before any QR: Baileys reports 428.
    factory.onCreate = (socket) => setTimeout(() => socket.close(428), 10);
    testApp = await createTestApp({
      env: {
        WHATSAPP_RECONNECT_BASE_MS: '50',
        WHATSAPP_RECONNECT_MAX_MS: '100',
        RATE_LIMIT_QR_PER_MINUTE: '100',
      },
      sockets: factory,
    });
    await testApp.app.listen(0, '127.0.0.1');
  });

  afterAll(async () => {
    stream?.close();
    await testApp.close();
    await stopTestDatabase();
  });

  it('answers disconnected each time, and status, the live stream, the metrics and the log agree that no reconnect follows', async () => {
    const logs: string[] = [];
    for (const level of ['log', 'warn'] as const)
      jest
        .spyOn(Logger.prototype, level)
        .mockImplementation((...args: unknown[]) => {
          logs.push(String(args[0]));
        });
    const auth = bearer(await tokenFor('never_linked'));
    const http = () => request(testApp.app.getHttpServer());
    stream = await openEventStream(
      await testApp.app.getUrl(),
      '/api/relance/events',
      auth,
    );

    for (let attempt = 0; attempt < 3; attempt += 1)
      await http()
        .get('/api/relance/qr')
        .set(auth)
        .expect(202, { status: 'disconnected' });
    // Well past the largest reconnect delay: a reconnect would have run by now.
    await new Promise((resolve) => setTimeout(resolve, 500));

    const status = (
      await http().get('/api/relance/status').set(auth).expect(200)
    ).body as StatusBody;
    expect(status).toMatchObject({
      status: 'disconnected',
      connectionFailureCount: 0,
      sessionStored: false,
    });
    expect(status.reconnectAttempt).toBeUndefined();
    expect(status.nextReconnectAt).toBeUndefined();

    await waitUntil(
      () => stream!.events.filter((e) => e.type === 'status').length >= 6,
      { what: 'three connecting and three disconnected events' },
    );
    const statuses = stream.events
      .filter((e) => e.type === 'status')
      .map((e) => e.data as Record<string, unknown>);
    expect(statuses.at(-1)).toEqual({
      status: 'disconnected',
      connectionFailureCount: 0,
      reason: 'not_linked',
    });
    expect(statuses.some((s) => 'nextReconnectAt' in s)).toBe(false);

    const metrics = (await http().get('/metrics').expect(200)).text;
    expect(sampleValue(metrics, 'relance_reconnect_attempts_total') ?? 0).toBe(
      0,
    );
    expect(
      sampleValue(metrics, 'relance_connection_closes_total', {
        code: '428',
        decision: 'not_linked',
      }),
    ).toBe(3);

    expect(logs).toContain(
      'Connection closed for user never_linked: code 428 (connectionClosed) -> not_linked',
    );
    expect(logs.some((line) => line.includes('Reconnect '))).toBe(false);
    expect(logs.some((line) => line.includes('not reconnecting'))).toBe(false);
  });
});
