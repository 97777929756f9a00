import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { HealthController } from './health.controller';
import { SessionsDirHealthIndicator } from './sessions-dir.health';

@Module({
  imports: [TerminusModule],
  controllers: [HealthController],
  providers: [SessionsDirHealthIndicator],
})
export class HealthModule {}
