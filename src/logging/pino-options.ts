import type { IncomingMessage } from 'node:http';
import { randomUUID } from 'node:crypto';
import type { Options } from 'pino-http';
import type { LoggingConfig } from '../config/logging.config';

export const REDACTED = '[Redacted]';

/**
 * Never logged: credentials, cookies, tokens, and QR codes (a QR links a
 * WhatsApp account to whoever scans it). Paths cover the field at the top of
 * a log line and one level down (e.g. inside `req`, `res` or an `err`).
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

/** Fastify gives every request an id (see app.setup.ts); @fastify/middie copies it to the raw request. */
function requestIdOf(request: IncomingMessage): string {
  const id = (request as IncomingMessage & { id?: unknown }).id;
  return typeof id === 'string' && id !== '' ? id : randomUUID();
}

const METRICS_PATH = '/metrics';

/** The path without the query string; @fastify/middie rewrites `url` below a middleware's mount path. */
function pathOf(request: IncomingMessage): string {
  const { originalUrl } = request as IncomingMessage & { originalUrl?: string };
  return (originalUrl ?? request.url ?? '').split('?')[0];
}

/** pino-http options: JSON lines in production, pino-pretty otherwise. */
export function buildPinoHttpOptions(config: LoggingConfig): Options {
  return {
    level: config.level,
    genReqId: requestIdOf,
    // Prometheus scrapes are not access-logged (the duration histogram counts
    // them); the middleware also runs twice on that path excluded from /api.
    autoLogging: { ignore: (req) => pathOf(req) === METRICS_PATH },
    // Every line logged while handling a request carries its id (also sent as X-Request-Id).
    customProps: (req) => ({ requestId: req.id }),
    redact: { paths: REDACT_PATHS, censor: REDACTED },
    // The query string is not logged: only the path.
    serializers: {
      req: (req: {
        id: string;
        method: string;
        url: string;
        headers: object;
      }) => ({
        id: req.id,
        method: req.method,
        url: req.url?.split('?')[0],
        headers: req.headers,
      }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
    },
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
