import { Controller, Get, Res, UseGuards } from '@nestjs/common';
import {
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiTags,
} from '@nestjs/swagger';
import { PrometheusController } from '@willsoto/nestjs-prometheus';
import type { FastifyReply } from 'fastify';
import { Public } from '../auth/public.decorator';
import { ApiErrorResponse } from '../common/api-error-response.decorator';
import { PolledRoute } from '../logging/access-log';
import {
  LOOPBACK_ONLY_MESSAGE,
  METRICS_TOKEN_REQUIRED_MESSAGE,
  MetricsAccessGuard,
} from './metrics-access.guard';

/** The OpenAPI security scheme of /metrics (app.setup.ts declares it): METRICS_TOKEN, not a user JWT. */
export const METRICS_SECURITY_SCHEME = 'metricsToken';

const METRICS_EXAMPLE = [
  '# HELP relance_pending_reconnects Users with a reconnect scheduled',
  '# TYPE relance_pending_reconnects gauge',
  'relance_pending_reconnects 0',
  '# HELP relance_sessions Live WhatsApp sessions in this process, by status',
  '# TYPE relance_sessions gauge',
  'relance_sessions{status="connected"} 12',
  '',
].join('\n');

/** GET /metrics (outside the /api prefix), guarded by MetricsAccessGuard instead of the JWT guard. */
@ApiTags('metrics')
@Public()
@UseGuards(MetricsAccessGuard)
@Controller()
export class MetricsController extends PrometheusController {
  @Get()
  @PolledRoute()
  @ApiOperation({
    summary: 'Prometheus metrics (text exposition format)',
    description:
      'Served at /metrics, outside the /api prefix, and not protected by user JWTs. With METRICS_TOKEN set, send `Authorization: Bearer <METRICS_TOKEN>`; with METRICS_ALLOWED_IPS set, the caller address must be listed (both when both are set); with neither, only loopback callers are served, without any header.',
    // Either no credentials (loopback or a listed address) or the metrics token.
    security: [{}, { [METRICS_SECURITY_SCHEME]: [] }],
  })
  @ApiProduces('text/plain')
  @ApiOkResponse({
    description: 'Metrics in the Prometheus text format',
    content: {
      'text/plain': {
        schema: { type: 'string' },
        example: METRICS_EXAMPLE,
      },
    },
  })
  @ApiErrorResponse(401, {
    description:
      'METRICS_TOKEN is set and the bearer token is missing or wrong',
    message: METRICS_TOKEN_REQUIRED_MESSAGE,
  })
  @ApiErrorResponse(403, {
    description:
      'The caller address is not allowed: not listed in METRICS_ALLOWED_IPS, or not loopback when neither variable is set',
    message: LOOPBACK_ONLY_MESSAGE,
  })
  index(@Res({ passthrough: true }) response: FastifyReply): Promise<string> {
    return super.index(response);
  }
}
