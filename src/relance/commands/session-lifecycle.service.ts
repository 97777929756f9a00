import {
  Inject,
  Injectable,
  Logger,
  ServiceUnavailableException,
} from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { SessionOwnership } from '../../cluster/ownership/session-ownership';
import { whatsappConfig } from '../../config/whatsapp.config';
import { logLine } from '../../logging/log-line';
import { SessionCredentialStore } from '../credentials/session-credential-store';
import { SessionEvent, SessionEvents } from '../events/session-events';
import { RelanceConfigRepository } from '../relance-config.repository';
import { SessionSupervisor } from '../supervisor/session-supervisor';
import { UserLocks } from '../../common/user-locks';
import { PairingCode } from '../supervisor/whatsapp-socket';

/** Still linking after the wait (ask again), or the attempt ended (GET /status says why). */
type PendingOutcome = { status: 'connecting' | 'disconnected' };

export type QrOutcome =
  | { status: 'awaiting_qr'; qr: string }
  | { status: 'connected' }
  | PendingOutcome;

export type PairingOutcome =
  | { status: 'awaiting_pairing'; pairing: PairingCode }
  | { status: 'connected' }
  | PendingOutcome;

const ends = (event: SessionEvent) =>
  event.type === 'status' &&
  (event.status === 'connected' || event.status === 'disconnected');

const ANSWERS_QR_REQUEST = (event: SessionEvent) =>
  event.type === 'qr' || ends(event);

const ANSWERS_PAIRING_REQUEST = (event: SessionEvent) =>
  event.type === 'pairing' || ends(event);

const isPending = (start: { status: string }): start is { status: 'pending' } =>
  start.status === 'pending';

/** What a waited-for status event answers: connected, or the attempt ended; nothing yet is `connecting`. */
function pendingOutcome(
  event: SessionEvent | undefined,
): { status: 'connected' } | PendingOutcome {
  if (event?.type === 'status' && event.status === 'connected')
    return { status: 'connected' };
  if (event?.type === 'status' && event.status === 'disconnected')
    return { status: 'disconnected' };
  return { status: 'connecting' };
}

/**
 * The user's commands on their session: link (QR or pairing code),
 * disconnect, force reset. Each runs under the user's lock; the socket side
 * is the supervisor's.
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
    private readonly ownership: SessionOwnership,
    @Inject(whatsappConfig.KEY)
    private readonly config: ConfigType<typeof whatsappConfig>,
  ) {}

  /** Starts (or reuses) the user's socket and answers with its first QR, `connected`, or `connecting` after the wait. */
  async generateQRCode(userId: string): Promise<QrOutcome> {
    const answer = await this.startThenWait(userId, ANSWERS_QR_REQUEST, () =>
      this.supervisor.startInteractive(userId),
    );
    if ('immediate' in answer) return answer.immediate;
    const { event } = answer;
    if (event?.type === 'qr') return { status: 'awaiting_qr', qr: event.qr };
    return pendingOutcome(event);
  }

  /**
   * Like generateQRCode, but the user links by typing a code on the phone
   * `phone` (international digits): answers with the code, `connected`, or
   * `connecting` after the wait.
   */
  async requestPairingCode(
    userId: string,
    phone: string,
  ): Promise<PairingOutcome> {
    const answer = await this.startThenWait(
      userId,
      ANSWERS_PAIRING_REQUEST,
      () => this.supervisor.startPairing(userId, phone),
    );
    if ('immediate' in answer) return answer.immediate;
    const { event } = answer;
    if (event?.type === 'pairing') {
      return {
        status: 'awaiting_pairing',
        pairing: { code: event.code, expiresAt: event.expiresAt },
      };
    }
    return pendingOutcome(event);
  }

  async disconnect(userId: string, force: boolean): Promise<void> {
    this.refuseWhileShuttingDown();
    await this.takeOver(userId, this.config.qrWaitMs);
    await this.locks.run(userId, () =>
      force ? this.forceReset(userId) : this.disconnectKeepingSession(userId),
    );
    // Nothing runs for the user now: no instance needs to hold the session.
    await this.ownership.release(userId);
  }

  /**
   * Several instances: a command runs where the session is, so the session
   * comes here (the owner ends its socket as ours at its next renewal, at
   * most TTL/3 away) within `timeoutMs`; one instance owns it already.
   */
  private async takeOver(userId: string, timeoutMs: number): Promise<void> {
    const grant = await this.ownership.takeOver(userId, timeoutMs);
    if (!grant)
      throw new ServiceUnavailableException(
        'The session is busy on another instance; retry shortly',
      );
  }

  /** From now on every command answers 503 (graceful shutdown). */
  refuseNewCommands(): void {
    this.shuttingDown = true;
  }

  /**
   * Runs `start` under the user's lock, listening beforehand so no event is
   * missed: an immediate answer from `start`, or the first event `answers`
   * matches within WHATSAPP_QR_WAIT_MS (undefined when none came).
   */
  private async startThenWait<T extends { status: string }>(
    userId: string,
    answers: (event: SessionEvent) => boolean,
    start: () => Promise<T | { status: 'pending' }>,
  ): Promise<{ immediate: T } | { event: SessionEvent | undefined }> {
    this.refuseWhileShuttingDown();
    const deadline = Date.now() + this.config.qrWaitMs;
    await this.takeOver(userId, this.config.qrWaitMs);
    // The handover's wait counts toward WHATSAPP_QR_WAIT_MS.
    const waiter = this.events.waitFor(
      userId,
      answers,
      Math.max(0, deadline - Date.now()),
    );
    let started: T | { status: 'pending' };
    try {
      started = await this.locks.run(userId, start);
    } catch (error) {
      waiter.cancel();
      throw error;
    }
    if (!isPending(started)) {
      waiter.cancel();
      return { immediate: started };
    }
    return { event: await waiter.promise };
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
