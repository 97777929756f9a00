import { Controller, Get, Res, UseGuards } from '@nestjs/common';
import {
  ApiBearerAuth,
  ApiForbiddenResponse,
  ApiOkResponse,
  ApiOperation,
  ApiProduces,
  ApiTags,
  ApiUnauthorizedResponse,
} from '@nestjs/swagger';
import { PrometheusController } from '@willsoto/nestjs-prometheus';
import type { FastifyReply } from 'fastify';
import { Public } from '../auth/public.decorator';
import { PolledRoute } from '../logging/access-log';
import { ErrorResponseDto } from '../common/error-response.dto';
import { MetricsAccessGuard } from './metrics-access.guard';

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
      'Served at /metrics, outside the /api prefix. With METRICS_TOKEN set, send `Authorization: Bearer <METRICS_TOKEN>` (not a user JWT); with METRICS_ALLOWED_IPS set, the caller address must be listed; with neither, only loopback callers are served.',
  })
  @ApiBearerAuth()
  @ApiProduces('text/plain')
  @ApiOkResponse({
    description: 'Metrics in the Prometheus text format',
    schema: { type: 'string', example: 'relance_pending_reconnects 0\n' },
  })
  @ApiUnauthorizedResponse({
    description:
      'METRICS_TOKEN is set and the bearer token is missing or wrong',
    type: ErrorResponseDto,
  })
  @ApiForbiddenResponse({
    description: 'The caller address is not allowed',
    type: ErrorResponseDto,
  })
  index(@Res({ passthrough: true }) response: FastifyReply): Promise<string> {
    return super.index(response);
  }
}
