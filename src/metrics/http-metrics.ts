import { Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import {
  InjectMetric,
  makeHistogramProvider,
} from '@willsoto/nestjs-prometheus';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { type Histogram, register } from 'prom-client';

export const HTTP_REQUEST_DURATION = 'relance_http_request_duration_seconds';

export const httpRequestDurationProvider = makeHistogramProvider({
  name: HTTP_REQUEST_DURATION,
  help: 'HTTP request duration by method, route template and status code',
  labelNames: ['method', 'route', 'status_code'],
  buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
});

/** Requests that matched no route share one label, so scanners cannot blow up the label set. */
const UNMATCHED_ROUTE = 'unmatched';

/**
 * Times every response with a Fastify onResponse hook: unlike an interceptor
 * it also sees requests refused by guards, pipes or the 404 handler. The
 * route label is the template (`/api/relance/status`), never the raw URL.
 * Server-sent event streams are skipped: their duration is a session length.
 */
@Injectable()
export class HttpMetricsHook implements OnModuleInit, OnModuleDestroy {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    @InjectMetric(HTTP_REQUEST_DURATION)
    private readonly duration: Histogram<'method' | 'route' | 'status_code'>,
  ) {}

  onModuleInit(): void {
    // An application context (scripts, benchmarks) has no HTTP server to time.
    if (!this.adapterHost.httpAdapter) return;
    const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
    fastify.addHook('onResponse', async (request, reply) =>
      this.observe(request, reply),
    );
  }

  onModuleDestroy(): void {
    register.removeSingleMetric(HTTP_REQUEST_DURATION);
  }

  private observe(request: FastifyRequest, reply: FastifyReply): void {
    const contentType = reply.getHeader('content-type');
    if (
      typeof contentType === 'string' &&
      contentType.startsWith('text/event-stream')
    )
      return;
    this.duration.observe(
      {
        method: request.method,
        route: request.routeOptions.url ?? UNMATCHED_ROUTE,
        status_code: String(reply.statusCode),
      },
      reply.elapsedTime / 1000,
    );
  }
}
