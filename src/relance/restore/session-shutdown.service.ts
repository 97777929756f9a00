import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
} from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { whatsappConfig } from '../../config/whatsapp.config';
import { SessionLifecycleService } from '../session/session-lifecycle.service';

/**
 * On SIGTERM: refuse new work, cancel reconnect timers and close every socket
 * as ours (no logout, no count), so each user is restored on the next boot.
 */
@Injectable()
export class SessionShutdownService implements BeforeApplicationShutdown {
  private readonly logger = new Logger(SessionShutdownService.name);

  constructor(
    private readonly lifecycle: SessionLifecycleService,
    @Inject(whatsappConfig.KEY)
    private readonly config: ConfigType<typeof whatsappConfig>,
  ) {}

  async beforeApplicationShutdown(): Promise<void> {
    const closed = await this.lifecycle.shutDown(this.config.shutdownTimeoutMs);
    this.logger.log(
      `Closed ${closed} WhatsApp socket(s); session files kept for restore`,
    );
  }
}
