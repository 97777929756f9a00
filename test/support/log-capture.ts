import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';
import { buildPinoOptions } from '../../src/logging/pino-options';

export type LogRecord = Record<string, unknown> & { msg?: string };

/** Collects every JSON line pino writes. */
export function captureStream(): { stream: Writable; lines: LogRecord[] } {
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

/** The production logger options (JSON lines), writing into memory. */
export function capturingLogger(level: 'info' | 'debug' = 'info'): {
  logger: Logger;
  lines: LogRecord[];
} {
  const { stream, lines } = captureStream();
  return {
    logger: pino(buildPinoOptions({ level, json: true }), stream),
    lines,
  };
}
