import { Logger } from '@nestjs/common';
import request from 'supertest';
import { AccessLogFields, AccessLogWriter } from '../src/logging/access-log';
import { currentRequestId } from '../src/logging/request-context';
import {
  FakeSocketFactory,
  plantStoredSession,
} from './support/fake-socket-factory';
import { openEventStream } from './support/sse-client';
import { createTestApp, TestApp } from './support/test-app';
import { stopTestDatabase } from './support/test-database';
import { bearer, tokenFor } from './support/tokens';
import { waitUntil } from './support/wait';

interface RequestLine {
  level: 'info' | 'debug';
  fields: Record<string, unknown>;
}

/** The request lines the app logs (pino itself is silent in tests). */
function captureRequestLines(): RequestLine[] {
  const lines: RequestLine[] = [];
  for (const level of ['info', 'debug'] as const) {
    jest
      .spyOn(AccessLogWriter.prototype, level)
      .mockImplementation((fields: AccessLogFields) => {
        lines.push({ level, fields: { ...fields } });
      });
  }
  return lines;
}

interface AppLine {
  text: string;
  requestId: string | undefined;
}

/** Every app log line (Nest Logger), with the request id it would carry. */
function captureAppLines(): AppLine[] {
  const lines: AppLine[] = [];
  for (const level of ['log', 'warn'] as const) {
    jest
      .spyOn(Logger.prototype, level)
      .mockImplementation((...args: unknown[]) => {
        const [message] = args;
        lines.push({ text: String(message), requestId: currentRequestId() });
      });
  }
  return lines;
}

afterAll(async () => {
  await stopTestDatabase();
});

describe('request and background log lines (e2e)', () => {
  let testApp: TestApp;
  let factory: FakeSocketFactory;
  const http = () => request(testApp.app.getHttpServer());

  beforeEach(async () => {
    factory = new FakeSocketFactory();
    testApp = await createTestApp({
      env: {
        WHATSAPP_QR_WAIT_MS: '2000',
        WHATSAPP_RECONNECT_BASE_MS: '30',
        WHATSAPP_RECONNECT_MAX_MS: '30',
      },
      sockets: factory,
    });
  });

  afterEach(async () => {
    jest.restoreAllMocks();
    await testApp?.close();
  });

  it('logs one line per request with only the method, path, status, duration, request id, user and user agent', async () => {
    const lines = captureRequestLines();
    const response = await http()
      .get('/api/relance/status?token=secret-in-query')
      .set(bearer(await tokenFor('log_user')))
      .set('User-Agent', 'curl/8.5.0')
      .set('Cookie', 'session=cookie-secret')
      .expect(200);
    await waitUntil(() => lines.length > 0, { what: 'the request line' });
    expect(lines).toEqual([
      {
        level: 'info',
        fields: {
          requestId: response.headers['x-request-id'],
          method: 'GET',
          path: '/api/relance/status',
          status: 200,
          durationMs: expect.any(Number) as unknown,
          userId: 'log_user',
          userAgent: 'curl/8.5.0',
        },
      },
    ]);
  });

  it('logs health probes and metrics scrapes at debug, and refused requests at info without a user', async () => {
    const lines = captureRequestLines();
    await http().get('/api/health/live').expect(200);
    await http().get('/metrics').expect(200);
    await http().get('/api/relance/status').expect(401);
    await waitUntil(() => lines.length === 3, { what: 'three request lines' });
    expect(
      lines.map(({ level, fields }) => [level, fields.path, fields.userId]),
    ).toEqual([
      ['debug', '/api/health/live', undefined],
      ['debug', '/metrics', undefined],
      ['info', '/api/relance/status', undefined],
    ]);
  });

  it('sends X-Request-Id on the live event stream too', async () => {
    await testApp.app.listen(0, '127.0.0.1');
    const stream = await openEventStream(
      await testApp.app.getUrl(),
      '/api/relance/events',
      {
        ...bearer(await tokenFor('log_user')),
        'X-Request-Id': 'client-request-0001',
      },
    );
    stream.close();
    expect(stream.contentType).toMatch(/^text\/event-stream/);
    expect(stream.headers['x-request-id']).toBe('client-request-0001');
  });

  it('attributes no request to the close and the reconnect that follow a GET /qr', async () => {
    const userId = 'log_bg';
    await plantStoredSession(testApp.sessionsDir, userId);
    // The socket closes on its own (428) right after the request created it.
    factory.onCreate = (socket) => {
      if (socket.index === 0) setImmediate(() => socket.close(428));
    };
    const lines = captureAppLines();
    await http()
      .get('/api/relance/qr')
      .set(bearer(await tokenFor(userId)));
    await waitUntil(() => factory.socketsFor(userId).length === 2, {
      what: 'the background reconnect',
    });
    const background = lines.filter(({ text }) => text.includes(userId));
    expect(background.map(({ text }) => text)).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^Connection closed for user log_bg: code 428/),
        expect.stringMatching(/^Reconnect 1 for user log_bg/),
      ]),
    );
    expect(background.filter(({ requestId }) => requestId)).toEqual([]);
  });
});
