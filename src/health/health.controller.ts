import { Controller, Get, ServiceUnavailableException } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  HealthCheck,
  HealthCheckResult,
  HealthCheckService,
  HealthIndicatorFunction,
  MongooseHealthIndicator,
} from '@nestjs/terminus';
import { Public } from '../auth/public.decorator';
import { ApiErrorResponse } from '../common/api-error-response.decorator';
import { PolledRoute } from '../logging/access-log';
import {
  HEALTH_EXAMPLES,
  HealthResponseDto,
  notReadyMessage,
} from './health-response.dto';
import { RestoreHealthIndicator } from './restore.health';
import { SessionsDirHealthIndicator } from './sessions-dir.health';

// Documented below instead: the 503 is the shared error envelope, not Terminus' body.
const HEALTH_CHECK = { noCache: true, swaggerDocumentation: false };

const ApiNotReadyResponse = () =>
  ApiErrorResponse(503, {
    description:
      'Not ready: MongoDB does not answer, or the credential store does not take writes. `message` names each check that is down.',
    message: notReadyMessage(['mongodb']),
  });

@ApiTags('health')
@Public()
@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly mongoose: MongooseHealthIndicator,
    private readonly sessionsDir: SessionsDirHealthIndicator,
    private readonly restore: RestoreHealthIndicator,
  ) {}

  @Get()
  @HealthCheck(HEALTH_CHECK)
  @PolledRoute()
  @ApiOperation({ summary: 'Readiness, same as /api/health/ready' })
  @ApiOkResponse({
    description: 'Ready',
    type: HealthResponseDto,
    example: HEALTH_EXAMPLES.ready,
  })
  @ApiNotReadyResponse()
  check(): Promise<HealthCheckResult> {
    return this.ready();
  }

  @Get('live')
  @HealthCheck(HEALTH_CHECK)
  @PolledRoute()
  @ApiOperation({
    summary: 'Liveness probe: the process answers (checks no dependency)',
  })
  @ApiOkResponse({
    description: 'The process is running',
    type: HealthResponseDto,
    example: HEALTH_EXAMPLES.live,
  })
  live(): Promise<HealthCheckResult> {
    return this.health.check([]);
  }

  @Get('ready')
  @HealthCheck(HEALTH_CHECK)
  @PolledRoute()
  @ApiOperation({
    summary:
      'Readiness probe: MongoDB answers and the credential store takes writes (the boot restore is reported, not awaited)',
  })
  @ApiOkResponse({
    description:
      'MongoDB answers and the sessions folder is writable; `restore` reports the boot restore of stored sessions (`running`, `total`, `done`) as information, never as down',
    type: HealthResponseDto,
    example: HEALTH_EXAMPLES.ready,
  })
  @ApiNotReadyResponse()
  ready(): Promise<HealthCheckResult> {
    return this.checkAll([
      () => this.mongoose.pingCheck('mongodb').withTimeout(1500),
      () => this.sessionsDir.check('sessionsDir').withTimeout(1500),
      () => this.restore.check('restore'),
    ]);
  }

  /** Terminus' 503 body becomes the shared envelope, naming what is down (never a driver message). */
  private async checkAll(
    checks: HealthIndicatorFunction[],
  ): Promise<HealthCheckResult> {
    try {
      return await this.health.check(checks);
    } catch (error) {
      if (!(error instanceof ServiceUnavailableException)) throw error;
      const result = error.getResponse() as Partial<HealthCheckResult>;
      throw new ServiceUnavailableException(
        notReadyMessage(Object.keys(result.error ?? {})),
      );
    }
  }
}
