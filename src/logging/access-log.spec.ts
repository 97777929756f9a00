import type { FastifyInstance, FastifyRequest } from 'fastify';
import { setTimeout as sleep } from 'node:timers/promises';
import { capturingLogger, LogRecord } from '../../test/support/log-capture';
import { createFastifyAdapter } from '../app.setup';
import type { AuthenticatedUser } from '../auth/authenticated-user';
import { logRequests, REQUEST_COMPLETED } from './access-log';
import { detachedFromRequest } from './request-context';
import { bindRequestId } from './request-context.hooks';

const SECRET_HEADERS = {
  authorization: 'Bearer eyJ.secret.token',
  cookie: 'session=cookie-secret',
};

/** A Fastify server configured like the app's, with the logging hooks and a few routes. */
async function serverLoggingAt(level: 'info' | 'debug') {
  const { logger, lines } = capturingLogger(level);
  const fastify = createFastifyAdapter(16_384).getInstance<FastifyInstance>();
  bindRequestId(fastify);
  logRequests(fastify, logger);
  fastify.get(
    '/api/relance/status',
    {
      preHandler: (request: FastifyRequest, _reply, done) => {
        (request as FastifyRequest & { user: AuthenticatedUser }).user = {
          userId: 'u1',
          roles: [],
        };
        done();
      },
    },
    () => ({ status: 'connected' }),
  );
  fastify.get(
    '/api/health/live',
    { config: { accessLogLevel: 'debug' } },
    () => ({ status: 'ok' }),
  );
  fastify.post('/api/echo', (request) => {
    logger.info('handling a body');
    return request.body;
  });
  fastify.get('/api/start-background', () => {
    setTimeout(
      detachedFromRequest(() => logger.info('detached work')),
      5,
    );
    setTimeout(() => logger.info('inherited work'), 5);
    return { started: true };
  });
  const address = await fastify.listen({ port: 0, host: '127.0.0.1' });
  return { fastify, address, lines };
}

const completed = (lines: LogRecord[]) =>
  lines.filter((line) => line.msg === REQUEST_COMPLETED);

/** onResponse runs once the response is sent; let it log. */
async function settled(lines: LogRecord[], count: number): Promise<void> {
  for (let i = 0; i < 100 && completed(lines).length < count; i += 1)
    await sleep(5);
}

describe('request log lines', () => {
  let server: Awaited<ReturnType<typeof serverLoggingAt>> | undefined;

  afterEach(async () => {
    await server?.fastify.close();
    server = undefined;
  });

  it('keep the method, the path without its query, the status, the duration, the request id, the user and the user agent, and nothing else', async () => {
    server = await serverLoggingAt('info');
    const response = await fetch(
      `${server.address}/api/relance/status?token=secret-in-query`,
      { headers: { ...SECRET_HEADERS, 'user-agent': 'curl/8.5.0' } },
    );
    await settled(server.lines, 1);
    const [line] = completed(server.lines);
    const requestId = response.headers.get('x-request-id');
    expect(requestId).toEqual(expect.any(String));
    expect(Object.keys(line).sort()).toEqual(
      [
        'durationMs',
        'hostname',
        'level',
        'method',
        'msg',
        'path',
        'pid',
        'requestId',
        'status',
        'time',
        'userAgent',
        'userId',
      ].sort(),
    );
    expect(line).toMatchObject({
      level: 30,
      method: 'GET',
      path: '/api/relance/status',
      status: 200,
      requestId,
      userId: 'u1',
      userAgent: 'curl/8.5.0',
    });
    expect(typeof line.durationMs).toBe('number');
    expect(JSON.stringify(server.lines)).not.toMatch(
      /eyJ\.secret|cookie-secret|secret-in-query/,
    );
  });

  it('have no user id for an unauthenticated request, and are written for unknown routes too', async () => {
    server = await serverLoggingAt('info');
    await fetch(`${server.address}/api/nowhere`);
    await settled(server.lines, 1);
    const [line] = completed(server.lines);
    expect(line).toMatchObject({ path: '/api/nowhere', status: 404 });
    expect(line).not.toHaveProperty('userId');
  });

  it('are debug for routes polled by machines, so an info log shows no probes', async () => {
    server = await serverLoggingAt('info');
    await fetch(`${server.address}/api/health/live`);
    await fetch(`${server.address}/api/relance/status`);
    await settled(server.lines, 1);
    expect(completed(server.lines).map((line) => line.path)).toEqual([
      '/api/relance/status',
    ]);
  });

  it('show probes at debug level', async () => {
    server = await serverLoggingAt('debug');
    await fetch(`${server.address}/api/health/live`);
    await settled(server.lines, 1);
    expect(completed(server.lines)).toEqual([
      expect.objectContaining({ level: 20, path: '/api/health/live' }),
    ]);
  });
});

describe('request context', () => {
  let server: Awaited<ReturnType<typeof serverLoggingAt>> | undefined;

  afterEach(async () => {
    await server?.fastify.close();
    server = undefined;
  });

  it('gives lines logged by a handler the request id, also after the body was read', async () => {
    server = await serverLoggingAt('info');
    const response = await fetch(`${server.address}/api/echo`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ hello: 'world' }),
    });
    expect(response.status).toBe(200);
    const line = server.lines.find((l) => l.msg === 'handling a body');
    expect(line?.requestId).toBe(response.headers.get('x-request-id'));
  });

  it('is left by background work wrapped with detachedFromRequest, and inherited otherwise', async () => {
    server = await serverLoggingAt('info');
    const response = await fetch(`${server.address}/api/start-background`);
    const requestId = response.headers.get('x-request-id');
    for (let i = 0; i < 100 && server.lines.length < 3; i += 1) await sleep(5);
    const byMessage = (msg: string) =>
      server!.lines.find((line) => line.msg === msg);
    expect(byMessage('inherited work')?.requestId).toBe(requestId);
    expect(byMessage('detached work')).toBeDefined();
    expect(byMessage('detached work')).not.toHaveProperty('requestId');
  });
});
