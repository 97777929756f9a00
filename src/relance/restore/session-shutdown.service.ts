import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
} from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { SessionOwnership } from '../../cluster/ownership/session-ownership';
import { whatsappConfig } from '../../config/whatsapp.config';
import { setTimeout as sleep } from 'node:timers/promises';
import { SessionLifecycleService } from '../commands/session-lifecycle.service';
import { SessionSupervisor } from '../supervisor/session-supervisor';
import { UserLocks } from '../../common/user-locks';

/**
 * On SIGTERM: refuse new work, cancel reconnect timers and close every socket
 * as ours (no logout, no count), so each user is restored on the next boot.
 */
@Injectable()
export class SessionShutdownService implements BeforeApplicationShutdown {
  private readonly logger = new Logger(SessionShutdownService.name);

  constructor(
    private readonly lifecycle: SessionLifecycleService,
    private readonly supervisor: SessionSupervisor,
    private readonly locks: UserLocks,
    private readonly ownership: SessionOwnership,
    @Inject(whatsappConfig.KEY)
    private readonly config: ConfigType<typeof whatsappConfig>,
  ) {}

  async beforeApplicationShutdown(): Promise<void> {
    this.lifecycle.refuseNewCommands();
    const closed = this.supervisor.stopAll();
    await this.drainInFlight(this.config.shutdownTimeoutMs);
    // Only once our sockets are ended: the next owner may connect at once, never alongside us.
    await this.ownership.releaseAll();
    this.logger.log(
      `Closed ${closed} WhatsApp socket(s); session files kept for restore`,
    );
  }

  /** Waits (bounded) for operations already holding a user's lock to finish. */
  private async drainInFlight(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.locks.activeUsers > 0 && Date.now() < deadline) {
      await sleep(20);
    }
  }
}
