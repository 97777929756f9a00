import helmet, { type FastifyHelmetOptions } from '@fastify/helmet';
import {
  FastifyAdapter,
  NestFastifyApplication,
} from '@nestjs/platform-fastify';
import { SwaggerModule } from '@nestjs/swagger';
import { randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { IncomingMessage } from 'node:http';
import { InputValidationPipe } from './common/input-validation.pipe';
import { ConnectAssetsRoute } from './connect/connect-assets.route';
import { refuseNonJsonBodies } from './common/json-only-bodies';
import { refuseUndeclaredMethods } from './common/method-not-allowed';
import { buildOpenApiDocument } from './common/openapi-document';
import { bindRequestId } from './logging/request-context.hooks';

export const API_PREFIX = 'api';
export const DOCS_PATH = 'api/docs';
export const DOCS_JSON_PATH = 'api/docs-json';

const CLIENT_REQUEST_ID = /^[A-Za-z0-9._-]{8,64}$/;

/** Reuses a well-formed incoming X-Request-Id (so logs join up across services), else makes one. */
function requestIdFor(request: IncomingMessage): string {
  const incoming = request.headers['x-request-id'];
  return typeof incoming === 'string' && CLIENT_REQUEST_ID.test(incoming)
    ? incoming
    : randomUUID();
}

export function createFastifyAdapter(bodyLimitBytes: number): FastifyAdapter {
  return new FastifyAdapter({
    bodyLimit: bodyLimitBytes,
    genReqId: requestIdFor,
    requestIdHeader: false,
  });
}

/**
 * Security headers on every response. The CSP is helmet's default minus what
 * Swagger UI at /api/docs cannot live without: its page has inline <style>
 * blocks and style attributes ('unsafe-inline' styles, no inline scripts) and
 * data: images and fonts. upgrade-insecure-requests is dropped so the docs also
 * work over plain HTTP behind a TLS-terminating proxy or on localhost.
 */
const SECURITY_HEADER_OPTIONS: FastifyHelmetOptions = {
  contentSecurityPolicy: {
    useDefaults: true,
    directives: {
      defaultSrc: ["'self'"],
      scriptSrc: ["'self'"],
      styleSrc: ["'self'", "'unsafe-inline'"],
      imgSrc: ["'self'", 'data:'],
      fontSrc: ["'self'", 'data:'],
      connectSrc: ["'self'"],
      objectSrc: ["'none'"],
      frameAncestors: ["'none'"],
      upgradeInsecureRequests: null,
    },
  },
};

async function headersOf(
  register: (fastify: FastifyInstance) => Promise<void>,
): Promise<Record<string, string>> {
  const probe = new FastifyAdapter().getInstance<FastifyInstance>();
  await register(probe);
  probe.get('/', () => '');
  try {
    const response = await probe.inject({ method: 'GET', url: '/' });
    return Object.fromEntries(
      Object.entries(response.headers).map(([name, value]) => [
        name,
        String(value),
      ]),
    );
  } finally {
    await probe.close();
  }
}

/**
 * The headers @fastify/helmet sets with SECURITY_HEADER_OPTIONS, read once at
 * boot from a throwaway instance: none depends on the request (no CSP nonces).
 * The plugin itself rebuilds helmet and re-parses the CSP on every request
 * (about 5% of the CPU of a cheap route under load).
 */
export async function buildSecurityHeaders(): Promise<Record<string, string>> {
  const [plain, secured] = await Promise.all([
    headersOf(() => Promise.resolve()),
    headersOf(async (probe) => {
      await probe.register(helmet, SECURITY_HEADER_OPTIONS);
    }),
  ]);
  return Object.fromEntries(
    Object.entries(secured).filter(([name, value]) => plain[name] !== value),
  );
}

/**
 * Sets the headers in one onRequest hook, so every response has them: refused
 * and unknown routes, static files and event streams (Nest's event stream
 * copies the reply's headers). On the reply, not the raw response: Fastify
 * hands them to one writeHead, which costs less than a setHeader per header.
 */
async function registerSecurityHeaders(
  fastify: FastifyInstance,
): Promise<void> {
  const headers = await buildSecurityHeaders();
  fastify.addHook('onRequest', (_request, reply, done) => {
    void reply.headers(headers);
    done();
  });
}

function setUpSwagger(app: NestFastifyApplication): void {
  SwaggerModule.setup(DOCS_PATH, app, buildOpenApiDocument(app), {
    jsonDocumentUrl: DOCS_JSON_PATH,
    swaggerOptions: { persistAuthorization: true },
  });
}

/** Everything main.ts and the e2e tests share, so tests run the real HTTP surface. */
export async function configureApp(app: NestFastifyApplication): Promise<void> {
  const fastify = app.getHttpAdapter().getInstance();
  bindRequestId(fastify);
  // Before any route is registered (Swagger's here, the controllers' at init).
  refuseUndeclaredMethods(fastify);
  fastify.addHook('onRequest', refuseNonJsonBodies);
  await registerSecurityHeaders(fastify);
  await app.get(ConnectAssetsRoute).register();
  // Prometheus scrapes /metrics at the root, outside the API prefix; people open /connect.
  app.setGlobalPrefix(API_PREFIX, { exclude: ['metrics', 'connect'] });
  app.useGlobalPipes(new InputValidationPipe());
  setUpSwagger(app);
}
