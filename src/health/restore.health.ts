import { Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { RestoreState } from '../relance/restore/restore-state';

/**
 * The boot restore's progress, as information: always up. The API serves
 * requests while sessions reconnect, so a load balancer must not take the
 * service out while thousands of sessions come back after a deploy.
 */
@Injectable()
export class RestoreHealthIndicator {
  constructor(
    private readonly health: HealthIndicatorService,
    private readonly restore: RestoreState,
  ) {}

  check(key: string) {
    return this.health.check(key).up({ ...this.restore.progress() });
  }
}
