import {
  Inject,
  Injectable,
  Logger,
  ServiceUnavailableException,
} from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { whatsappConfig } from '../../config/whatsapp.config';
import { logLine } from '../../logging/log-line';
import { SessionCredentialStore } from '../credentials/session-credential-store';
import { SessionEvent, SessionEvents } from '../events/session-events';
import { RelanceConfigRepository } from '../relance-config.repository';
import { SessionSupervisor } from '../supervisor/session-supervisor';
import { UserLocks } from '../supervisor/user-locks';

export type QrOutcome =
  | { status: 'awaiting_qr'; qr: string }
  | { status: 'connected' }
  | { status: 'connecting' | 'disconnected' };

const ANSWERS_QR_REQUEST = (event: SessionEvent) =>
  event.type === 'qr' ||
  (event.type === 'status' &&
    (event.status === 'connected' || event.status === 'disconnected'));

/**
 * The user's commands on their session: link (QR), disconnect, force reset.
 * Each runs under the user's lock; the socket side is the supervisor's.
 */
@Injectable()
export class SessionLifecycleService {
  private readonly logger = new Logger(SessionLifecycleService.name);
  private shuttingDown = false;

  constructor(
    private readonly supervisor: SessionSupervisor,
    private readonly repository: RelanceConfigRepository,
    private readonly credentials: SessionCredentialStore,
    private readonly locks: UserLocks,
    private readonly events: SessionEvents,
    @Inject(whatsappConfig.KEY)
    private readonly config: ConfigType<typeof whatsappConfig>,
  ) {}

  /** Starts (or reuses) the user's socket and answers with its first QR, `connected`, or `connecting` after the wait. */
  async generateQRCode(userId: string): Promise<QrOutcome> {
    this.refuseWhileShuttingDown();
    const waiter = this.events.waitFor(
      userId,
      ANSWERS_QR_REQUEST,
      this.config.qrWaitMs,
    );
    let immediate: QrOutcome | undefined;
    try {
      const start = await this.locks.run(userId, () =>
        this.supervisor.startInteractive(userId),
      );
      if (start.status !== 'pending') immediate = start;
    } catch (error) {
      waiter.cancel();
      throw error;
    }
    if (immediate) {
      waiter.cancel();
      return immediate;
    }
    const event = await waiter.promise;
    if (event?.type === 'qr') return { status: 'awaiting_qr', qr: event.qr };
    if (event?.type === 'status' && event.status === 'connected')
      return { status: 'connected' };
    if (event?.type === 'status' && event.status === 'disconnected')
      return { status: 'disconnected' };
    return { status: 'connecting' };
  }

  async disconnect(userId: string, force: boolean): Promise<void> {
    this.refuseWhileShuttingDown();
    await this.locks.run(userId, () =>
      force ? this.forceReset(userId) : this.disconnectKeepingSession(userId),
    );
  }

  /** From now on every command answers 503 (graceful shutdown). */
  refuseNewCommands(): void {
    this.shuttingDown = true;
  }

  private refuseWhileShuttingDown(): void {
    if (this.shuttingDown) {
      throw new ServiceUnavailableException(
        'The service is shutting down; retry shortly',
      );
    }
  }

  private async disconnectKeepingSession(userId: string): Promise<void> {
    this.logger.log(logLine(`Disconnecting user ${userId}`, { userId }));
    this.supervisor.stop(userId);
    await this.repository.markDisconnectedByUser(userId, new Date());
    this.supervisor.announce(userId, 'disconnected', { reason: 'user' });
  }

  private async forceReset(userId: string): Promise<void> {
    this.logger.log(
      logLine(`Disconnecting user ${userId} (FORCE)`, { userId }),
    );
    await this.supervisor.logoutAndStop(userId);
    await this.repository.resetSession(userId, new Date(), true);
    this.logger.log(
      logLine(`Force disconnect - deleting session files for user ${userId}`, {
        userId,
      }),
    );
    await this.credentials.delete(userId);
    this.events.emit(userId, { type: 'reset', reason: 'force' });
    this.supervisor.announce(userId, 'disconnected', {
      connectionFailureCount: 0,
      reason: 'force',
    });
  }
}
