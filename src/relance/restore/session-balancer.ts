import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
} from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { SessionOwnership } from '../../cluster/ownership/session-ownership';
import { clusterConfig } from '../../config/cluster.config';
import { logLine } from '../../logging/log-line';
import { ReconnectScheduler } from '../reconnect/reconnect-scheduler';
import { SessionSupervisor } from '../supervisor/session-supervisor';
import { UserLocks } from '../../common/user-locks';
import { RestoreState } from './restore-state';
import { SessionRestoreService } from './session-restore.service';

/**
 * WHATSAPP_CLUSTER=on: every TTL/3, after the boot restore, hands back the
 * sessions this instance holds beyond its fair share plus slack, then claims
 * free ones (never held, released, or expired: a dead instance's) up to its
 * share, through the restore's bounded, jittered starts. Does nothing on a
 * single instance.
 */
@Injectable()
export class SessionBalancer
  implements OnApplicationBootstrap, BeforeApplicationShutdown
{
  private readonly logger = new Logger(SessionBalancer.name);
  private timer?: NodeJS.Timeout;
  private scanning?: Promise<void>;
  private stopped = false;

  constructor(
    private readonly ownership: SessionOwnership,
    private readonly restore: SessionRestoreService,
    private readonly state: RestoreState,
    private readonly supervisor: SessionSupervisor,
    private readonly locks: UserLocks,
    private readonly reconnects: ReconnectScheduler,
    @Inject(clusterConfig.KEY)
    private readonly config: ConfigType<typeof clusterConfig>,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.config.enabled) return;
    this.timer = setInterval(
      () => {
        if (this.scanning || !this.state.isFinished() || this.stopped) return;
        this.scanning = this.scan()
          .catch((error: unknown) =>
            this.logger.warn(
              `Rebalance scan failed: ${(error as Error).message}; retrying at the next one`,
            ),
          )
          .finally(() => (this.scanning = undefined));
      },
      Math.floor(this.config.leaseTtlMs / 3),
    );
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.scanning;
  }

  async scan(): Promise<void> {
    await this.releaseIdle();
    const { users } = await this.restore.restorableUsers();
    for (const userId of await this.ownership.surplus(users)) {
      // A link in progress (a QR shown, a code typed) is the user's: never moved.
      const status = this.supervisor.live(userId)?.status;
      if (status === 'awaiting_qr' || status === 'awaiting_pairing') continue;
      this.logger.log(
        logLine(`Handing user ${userId} back: above this instance's share`, {
          userId,
        }),
      );
      await this.locks.run(userId, () => this.supervisor.handBack(userId));
    }
    if (this.stopped) return;
    const claims = await this.ownership.selectClaims(users);
    if (claims.length > 0) await this.restore.restoreUsers(claims);
  }

  /**
   * A lease held with no socket and no reconnect pending (a start that
   * failed, a stop the policy decided) is given back, so the session counts
   * as free again: the next scan of any instance restores it if it is still
   * restorable, as a boot restore would have.
   */
  private async releaseIdle(): Promise<void> {
    const idle = (userId: string) =>
      !this.supervisor.live(userId) && !this.reconnects.pending(userId);
    for (const userId of this.ownership.heldUsers().filter(idle))
      await this.locks.run(userId, async () => {
        if (idle(userId)) await this.ownership.release(userId);
      });
  }
}
