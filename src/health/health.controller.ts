import { Controller, Get } from '@nestjs/common';
import {
  ApiOkResponse,
  ApiServiceUnavailableResponse,
  ApiTags,
} from '@nestjs/swagger';
import {
  HealthCheck,
  HealthCheckService,
  MongooseHealthIndicator,
} from '@nestjs/terminus';
import { Public } from '../auth/public.decorator';
import { RestoreHealthIndicator } from './restore.health';
import { SessionsDirHealthIndicator } from './sessions-dir.health';

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
  @HealthCheck()
  @ApiOkResponse({ description: 'Ready: same as /api/health/ready' })
  @ApiServiceUnavailableResponse({ description: 'A dependency is down' })
  check() {
    return this.ready();
  }

  @Get('live')
  @HealthCheck()
  @ApiOkResponse({ description: 'The process is running' })
  live() {
    return this.health.check([]);
  }

  @Get('ready')
  @HealthCheck()
  @ApiOkResponse({
    description:
      'MongoDB answers and the sessions folder is writable; `restore` reports the boot restore of stored sessions (`running`, `total`, `done`) as information, never as down',
  })
  @ApiServiceUnavailableResponse({
    description:
      'MongoDB does not answer, or the sessions folder is not writable',
  })
  ready() {
    return this.health.check([
      () => this.mongoose.pingCheck('mongodb').withTimeout(1500),
      () => this.sessionsDir.check('sessionsDir').withTimeout(1500),
      () => this.restore.check('restore'),
    ]);
  }
}
