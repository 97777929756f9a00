import { Logger as NestLogger } from '@nestjs/common';
import { Logger, PinoLogger } from 'nestjs-pino';
import { captureStream, capturingLogger } from '../../test/support/log-capture';
import { logLine } from './log-line';
import { buildPinoOptions, REDACTED } from './pino-options';
import { runInRequest } from './request-context';

describe('log redaction and fields', () => {
  it('redacts QR codes, tokens and credentials in application logs', () => {
    const { logger, lines } = capturingLogger();
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

  it('redacts the Authorization and Cookie headers of any request object that gets logged', () => {
    const { logger, lines } = capturingLogger();
    logger.warn(
      {
        req: {
          method: 'GET',
          headers: {
            authorization: 'Bearer eyJ.secret.token',
            cookie: 'session=cookie-secret',
          },
        },
      },
      'odd request',
    );
    expect(lines[0]).toMatchObject({
      req: { headers: { authorization: REDACTED, cookie: REDACTED } },
    });
    expect(JSON.stringify(lines)).not.toMatch(/eyJ\.secret|cookie-secret/);
  });

  it('adds the request id to every line logged while a request is handled, and none outside', () => {
    const { logger, lines } = capturingLogger();
    runInRequest({ requestId: 'req-1234abcd' }, () => logger.info('inside'));
    logger.info('outside');
    expect(lines[0]).toMatchObject({
      msg: 'inside',
      requestId: 'req-1234abcd',
    });
    expect(lines[1]).not.toHaveProperty('requestId');
  });

  it('keeps the message text of a LogLine and adds its fields through nestjs-pino', () => {
    const { stream, lines } = captureStream();
    const logger = new Logger(
      new PinoLogger({
        pinoHttp: [buildPinoOptions({ level: 'info', json: true }), stream],
      }),
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
      const printed = String(write.mock.calls[0][0]).replace(
        // eslint-disable-next-line no-control-regex
        /\x1b\[[0-9;]*m/g,
        '',
      );
      expect(printed).toContain('Test] ✓ Successfully connected for user u1');
    } finally {
      write.mockRestore();
    }
  });
});
