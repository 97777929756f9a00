import { Logger as NestLogger } from '@nestjs/common';
import { createServer, request, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { Logger, PinoLogger } from 'nestjs-pino';
import { pinoHttp } from 'pino-http';
import { logLine } from './log-line';
import { buildPinoHttpOptions, REDACTED } from './pino-options';

type LogRecord = Record<string, unknown> & { msg?: string };

/** Collects every JSON line pino writes. */
function captureStream(): { stream: Writable; lines: LogRecord[] } {
  const lines: LogRecord[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean))
        lines.push(JSON.parse(line) as LogRecord);
      done();
    },
  });
  return { stream, lines };
}

const options = () => buildPinoHttpOptions({ level: 'info', json: true });

describe('log redaction', () => {
  let server: Server | undefined;

  afterEach(() => server?.close());

  it('redacts the Authorization and Cookie headers of request logs and keeps the request id', async () => {
    const { stream, lines } = captureStream();
    const httpLogger = pinoHttp(options(), stream);
    server = createServer((req, res) => {
      (req as typeof req & { id: string }).id = 'req-1234abcd';
      httpLogger(req, res);
      res.end('ok');
    });
    await new Promise<void>((resolve) =>
      server!.listen(0, '127.0.0.1', resolve),
    );
    const { port } = server.address() as AddressInfo;
    await new Promise<void>((resolve, reject) => {
      request(
        {
          port,
          path: '/api/relance/status?token=secret-in-query',
          headers: {
            Authorization: 'Bearer eyJ.secret.token',
            Cookie: 'session=cookie-secret',
          },
        },
        (res) => res.resume().on('end', resolve),
      )
        .on('error', reject)
        .end();
    });
    const completed = lines.find((line) => line.msg === 'request completed');
    expect(completed).toMatchObject({
      requestId: 'req-1234abcd',
      req: {
        url: '/api/relance/status',
        headers: { authorization: REDACTED, cookie: REDACTED },
      },
    });
    expect(JSON.stringify(lines)).not.toMatch(
      /eyJ\.secret|cookie-secret|secret-in-query/,
    );
  });

  it('redacts QR codes, tokens and credentials in application logs', () => {
    const { stream, lines } = captureStream();
    const { logger } = pinoHttp(options(), stream);
    logger.info(
      {
        qr: '2@ref,noise,identity',
        qrImage: 'data:image/png;base64,AAAA',
        token: 't',
        event: { qr: '2@nested', creds: { noiseKey: 'k' } },
      },
      'QR issued',
    );
    expect(lines[0]).toMatchObject({
      msg: 'QR issued',
      qr: REDACTED,
      qrImage: REDACTED,
      token: REDACTED,
      event: { qr: REDACTED, creds: REDACTED },
    });
    expect(JSON.stringify(lines)).not.toContain('2@');
  });

  it('keeps the message text of a LogLine and adds its fields through nestjs-pino', () => {
    const { stream, lines } = captureStream();
    const logger = new Logger(
      new PinoLogger({ pinoHttp: [options(), stream] }),
      {},
    );
    logger.warn(
      logLine('Connection failure 1/3 for user u1', {
        userId: 'u1',
        code: 401,
        decision: 'counted_failure',
      }),
      'SessionLifecycleService',
    );
    expect(lines[0]).toMatchObject({
      level: 40,
      msg: 'Connection failure 1/3 for user u1',
      userId: 'u1',
      code: 401,
      decision: 'counted_failure',
      context: 'SessionLifecycleService',
    });
  });

  it('shows only the message text of a LogLine on Nest’s console logger', () => {
    const line = logLine('✓ Successfully connected for user u1', {
      userId: 'u1',
    });
    expect(String(line)).toBe('✓ Successfully connected for user u1');
    const write = jest
      .spyOn(process.stdout, 'write')
      .mockImplementation(() => true);
    try {
      new NestLogger('Test').log(line);
      // eslint-disable-next-line no-control-regex
      const printed = String(write.mock.calls[0][0]).replace(
        /\x1b\[[0-9;]*m/g,
        '',
      );
      expect(printed).toContain('Test] ✓ Successfully connected for user u1');
    } finally {
      write.mockRestore();
    }
  });
});
