import { Logger } from '@nestjs/common';
import type { ILogger } from '@whiskeysockets/baileys/lib/Utils/logger.js';
import { BaileysLoggerBridge } from './baileys-logger';

type Level = 'log' | 'warn' | 'error';

function bridge(): {
  baileys: ILogger;
  lines: { level: Level; text: string; userId: unknown }[];
} {
  const lines: { level: Level; text: string; userId: unknown }[] = [];
  const record =
    (level: Level) =>
    (message: unknown): void => {
      lines.push({
        level,
        text: String(message),
        userId: (message as { userId?: unknown }).userId,
      });
    };
  const logger = {
    log: record('log'),
    warn: record('warn'),
    error: record('error'),
  } as unknown as Logger;
  return { baileys: new BaileysLoggerBridge(logger, 'u1'), lines };
}

describe('BaileysLoggerBridge', () => {
  it('logs a close Baileys announces as an error ("error in validating connection") as a warning, with its reason', () => {
    const { baileys, lines } = bridge();
    baileys.error(
      { err: new Error('Connection Failure') },
      'error in validating connection',
    );
    expect(lines).toEqual([
      {
        level: 'warn',
        text: '[baileys] user u1: error in validating connection: Connection Failure',
        userId: 'u1',
      },
    ]);
  });

  it('logs a stream error as a warning naming its reason, never the protocol node itself', () => {
    const { baileys, lines } = bridge();
    baileys.error(
      {
        reasonNode: { tag: 'conflict', attrs: { type: 'replaced' } },
        fullErrorNode: { tag: 'stream:error', content: 'secret-payload' },
      },
      'stream errored out',
    );
    expect(lines).toEqual([
      {
        level: 'warn',
        text: '[baileys] user u1: stream errored out: conflict',
        userId: 'u1',
      },
    ]);
    expect(JSON.stringify(lines)).not.toContain('secret-payload');
  });

  it('keeps other Baileys errors as errors, without their objects', () => {
    const { baileys, lines } = bridge();
    baileys.error(
      { uploadError: 'key material', count: 30 },
      'Failed to upload pre-keys to server',
    );
    expect(lines).toEqual([
      {
        level: 'error',
        text: '[baileys] user u1: Failed to upload pre-keys to server',
        userId: 'u1',
      },
    ]);
  });

  it('keeps warnings as warnings and drops everything below', () => {
    const { baileys, lines } = bridge();
    baileys.trace({ node: 'x' }, 'recv frame');
    baileys.debug({}, 'connected to WA');
    baileys.info({}, 'opened connection');
    baileys.warn({}, 'keep alive called when WS not open');
    expect(lines).toEqual([
      {
        level: 'warn',
        text: '[baileys] user u1: keep alive called when WS not open',
        userId: 'u1',
      },
    ]);
  });
});
