import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { RelanceModule } from '../relance/relance.module';
import { HealthCheckLogger } from './health-check.logger';
import { HealthController } from './health.controller';
import { RestoreHealthIndicator } from './restore.health';
import { SessionsDirHealthIndicator } from './sessions-dir.health';

@Module({
  imports: [
    TerminusModule.forRoot({ logger: HealthCheckLogger }),
    RelanceModule,
  ],
  controllers: [HealthController],
  providers: [SessionsDirHealthIndicator, RestoreHealthIndicator],
})
export class HealthModule {}
