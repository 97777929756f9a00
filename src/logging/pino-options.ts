import { destination, type DestinationStream, type LoggerOptions } from 'pino';
import type { LoggingConfig } from '../config/logging.config';
import { currentRequestId } from './request-context';

export const REDACTED = '[Redacted]';

/**
 * Never logged: credentials, cookies, tokens, and QR codes (a QR links a
 * WhatsApp account to whoever scans it). Paths cover the field at the top of
 * a log line and one level down (e.g. inside an `err` or an event object).
 * Request lines carry no headers at all (see access-log.ts); the header paths
 * guard anything that logs a request object anyway.
 */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
  'authorization',
  'cookie',
  'qr',
  'qrImage',
  'token',
  'accessToken',
  'refreshToken',
  'creds',
  'password',
  '*.qr',
  '*.qrImage',
  '*.token',
  '*.accessToken',
  '*.refreshToken',
  '*.creds',
  '*.password',
];

/** Every line logged while a request is handled carries its id (also sent as X-Request-Id). */
function requestIdField(): object {
  // A new object each time: pino merges the line's own fields into it.
  const requestId = currentRequestId();
  return requestId === undefined ? {} : { requestId };
}

/** The one pino logger of the app: JSON lines in production, pino-pretty otherwise. */
export function buildPinoOptions(config: LoggingConfig): LoggerOptions {
  return {
    level: config.level,
    mixin: requestIdField,
    redact: { paths: REDACT_PATHS, censor: REDACTED },
    ...(config.json
      ? {}
      : {
          transport: {
            target: 'pino-pretty',
            options: { singleLine: true, translateTime: 'SYS:standard' },
          },
        }),
  };
}

/**
 * Where JSON lines go: stdout, written asynchronously so a burst of requests
 * never waits on the terminal or the log shipper. pino flushes it on exit.
 * pino-pretty (development) runs in a worker thread and needs none.
 */
export function buildLogDestination(
  config: LoggingConfig,
): DestinationStream | undefined {
  return config.json ? destination({ sync: false }) : undefined;
}
