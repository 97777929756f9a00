import { Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { RestoreState } from '../relance/restore/restore-state';

/** Up once the boot restore of stored sessions has finished (whatever each user's outcome). */
@Injectable()
export class RestoreHealthIndicator {
  constructor(
    private readonly health: HealthIndicatorService,
    private readonly restore: RestoreState,
  ) {}

  check(key: string) {
    const indicator = this.health.check(key);
    return this.restore.isFinished()
      ? indicator.up()
      : indicator.down({
          message: 'Boot restore of stored sessions is running',
        });
  }
}
