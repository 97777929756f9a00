import {
  Inject,
  Injectable,
  Logger,
  ServiceUnavailableException,
} from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ConfigType } from '@nestjs/config';
import { whatsappConfig } from '../../config/whatsapp.config';
import { ReconnectScheduler } from '../reconnect/reconnect-scheduler';
import { RelanceConfigRepository } from '../relance-config.repository';
import { DisconnectDecision } from '../retry/disconnect-decision';
import { RetryPolicy } from '../retry/retry-policy';
import { ConnectionEventHandler } from './connection-event.handler';
import { DatabaseRetry } from './database-retry';
import { LifecycleTelemetry } from './lifecycle-telemetry';
import { SessionEvent, SessionEvents } from './session-events';
import { SessionFiles } from './session-files';
import { LiveSession, SessionRegistry, SessionStart } from './session-registry';
import { UserLocks } from './user-locks';
import { SocketHandlers, WhatsAppSocketFactory } from './whatsapp-socket';

export type QrOutcome =
  | { status: 'awaiting_qr'; qr: string }
  | { status: 'connected' }
  | { status: 'connecting' | 'disconnected' };

/** How a background start (restore, reconnect) ended: it never shows a QR code. */
export type BackgroundStartOutcome =
  'started' | 'already_live' | 'no_credentials';

export type BackgroundConnectOutcome = 'restored' | 'needs_qr' | 'failed';

const ENDS_BACKGROUND_CONNECT = (event: SessionEvent) =>
  event.type === 'status' &&
  (event.status === 'connected' || event.status === 'disconnected');

const ANSWERS_QR_REQUEST = (event: SessionEvent) =>
  event.type === 'qr' ||
  (event.type === 'status' &&
    (event.status === 'connected' || event.status === 'disconnected'));

/**
 * Owns each user's WhatsApp connection: starts sockets, routes every
 * connection event through the RetryPolicy, and applies its decisions.
 * All operations for one user run one at a time.
 */
@Injectable()
export class SessionLifecycleService {
  private readonly logger = new Logger(SessionLifecycleService.name);
  private shuttingDown = false;

  constructor(
    private readonly factory: WhatsAppSocketFactory,
    private readonly policy: RetryPolicy,
    private readonly repository: RelanceConfigRepository,
    private readonly files: SessionFiles,
    private readonly registry: SessionRegistry,
    private readonly locks: UserLocks,
    private readonly events: SessionEvents,
    private readonly reconnects: ReconnectScheduler,
    private readonly databaseRetry: DatabaseRetry,
    private readonly telemetry: LifecycleTelemetry,
    private readonly connectionEvents: ConnectionEventHandler,
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
      immediate = await this.locks.run(userId, () =>
        this.prepareInteractiveSession(userId),
      );
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

  /** Connects a user from stored credentials without ever showing a QR (boot restore, reconnects). */
  async startInBackground(userId: string): Promise<BackgroundStartOutcome> {
    return this.locks.run(userId, async () => {
      this.refuseWhileShuttingDown();
      if (this.registry.get(userId)) return 'already_live';
      if (!(await this.files.hasCredentials(userId))) return 'no_credentials';
      await this.startSocket(userId, {
        interactive: false,
        afterQrScan: false,
      });
      return 'started';
    });
  }

  /** Starts from stored credentials and waits (bounded) for the connection to open or end. */
  async connectInBackground(
    userId: string,
    timeoutMs: number,
  ): Promise<BackgroundConnectOutcome> {
    const waiter = this.events.waitFor(
      userId,
      ENDS_BACKGROUND_CONNECT,
      timeoutMs,
    );
    let started: BackgroundStartOutcome;
    try {
      started = await this.startInBackground(userId);
    } catch (error) {
      waiter.cancel();
      throw error;
    }
    if (started !== 'started') {
      waiter.cancel();
      return started === 'already_live' ? 'restored' : 'needs_qr';
    }
    const event = await waiter.promise;
    if (event?.type === 'status' && event.status === 'connected')
      return 'restored';
    if (event?.type === 'status' && event.reason === 'needs_qr')
      return 'needs_qr';
    return 'failed';
  }

  /**
   * Graceful shutdown: refuses new work, cancels reconnects, ends every socket
   * as ours, then waits (bounded) for in-flight operations to finish.
   */
  async shutDown(timeoutMs: number): Promise<number> {
    this.shuttingDown = true;
    const closed = this.endAllSockets();
    const deadline = Date.now() + timeoutMs;
    while (this.locks.activeUsers > 0 && Date.now() < deadline) {
      await sleep(20);
    }
    return closed;
  }

  async disconnect(userId: string, force: boolean): Promise<void> {
    await this.locks.run(userId, () =>
      force ? this.forceReset(userId) : this.disconnectKeepingSession(userId),
    );
  }

  /** Ends every socket as ours (no logout, files kept) so each user can be restored later. */
  endAllSockets(): number {
    this.reconnects.cancelAll();
    const sessions = this.registry.all();
    for (const session of sessions) this.registry.end(session);
    return sessions.length;
  }

  private refuseWhileShuttingDown(): void {
    if (this.shuttingDown) {
      throw new ServiceUnavailableException(
        'The service is shutting down; retry shortly',
      );
    }
  }

  private async prepareInteractiveSession(
    userId: string,
  ): Promise<QrOutcome | undefined> {
    this.reconnects.cancel(userId);
    const live = this.registry.get(userId);
    if (live?.status === 'connected') return { status: 'connected' };
    if (live?.latestQr) return { status: 'awaiting_qr', qr: live.latestQr };
    if (live) {
      // A background start in progress: let it show a QR now that the user asks for one.
      live.interactive = true;
      return undefined;
    }
    await this.resetIfOverThreshold(userId);
    await this.startSocket(userId, { interactive: true, afterQrScan: false });
    return undefined;
  }

  private async resetIfOverThreshold(userId: string): Promise<void> {
    const stored = await this.repository.findByUserId(userId);
    if (
      stored &&
      this.policy.mustResetBeforeQr(stored.connectionFailureCount)
    ) {
      this.logger.warn(
        `User ${userId} - ${stored.connectionFailureCount} consecutive failures, deleting session files`,
      );
      await this.repository.resetSession(userId, new Date(), false);
      await this.files.delete(userId);
    }
  }

  private async startSocket(
    userId: string,
    start: SessionStart,
  ): Promise<LiveSession> {
    const session = this.registry.open(userId, start);
    await this.databaseRetry.run(() =>
      this.repository.setStatus(userId, 'connecting', new Date()),
    );
    this.events.publishStatus(userId, 'connecting');
    try {
      session.socket = await this.factory.create(
        userId,
        this.handlersFor(session),
      );
    } catch (error) {
      this.registry.forget(session);
      this.logger.error(
        `Could not start a WhatsApp socket for user ${userId}: ${(error as Error).message}`,
      );
      await this.databaseRetry.run(() =>
        this.repository.setStatus(userId, 'disconnected', new Date()),
      );
      this.events.publishStatus(userId, 'disconnected');
      throw error;
    }
    // The socket may have been superseded while it was being created.
    if (session.endedByUs) session.socket.end();
    return session;
  }

  private handlersFor(session: LiveSession): SocketHandlers {
    const { userId } = session;
    const serialized = (what: string, handle: () => Promise<void>) => {
      this.locks
        .run(userId, handle)
        .catch((error: unknown) =>
          this.logger.error(
            `Could not handle ${what} for user ${userId}: ${(error as Error).message}`,
          ),
        );
    };
    return {
      onQr: (qr) =>
        serialized('a QR code', () =>
          this.connectionEvents.handleQr(session, qr),
        ),
      onPaired: () => {
        session.paired = true;
      },
      onOpen: () =>
        serialized('an open connection', () =>
          this.connectionEvents.handleOpen(session),
        ),
      onClose: (close) =>
        serialized('a closed connection', async () => {
          const decision = await this.connectionEvents.handleClose(
            session,
            close,
          );
          if (decision) this.applyReconnect(session, decision);
        }),
    };
  }

  private applyReconnect(
    session: LiveSession,
    decision: DisconnectDecision,
  ): void {
    const { userId } = session;
    if (decision.reconnect === 'now') {
      this.restartNow(session);
      return;
    }
    if (decision.reconnect === 'later') {
      const pending = this.reconnects.schedule(userId, () =>
        this.reconnectInBackground(userId),
      );
      this.events.publishStatus(userId, 'disconnected', {
        connectionFailureCount: decision.failureCount,
        nextReconnectAt: pending.at,
      });
      return;
    }
    this.events.publishStatus(userId, 'disconnected', {
      connectionFailureCount: decision.failureCount,
    });
  }

  /** 515 after a scan: a new socket at once, carrying on as the same (possibly interactive) session. */
  private restartNow(session: LiveSession): void {
    const start: SessionStart = {
      interactive: session.interactive,
      afterQrScan: session.paired || session.afterQrScan,
    };
    this.locks
      .run(session.userId, async () => {
        if (!this.registry.get(session.userId))
          await this.startSocket(session.userId, start);
      })
      .catch((error: unknown) =>
        this.logger.error(
          `Restart failed for user ${session.userId}: ${(error as Error).message}`,
        ),
      );
  }

  private reconnectInBackground(userId: string): void {
    this.telemetry.reconnectAttempted();
    this.startInBackground(userId)
      .then((outcome) => {
        if (outcome === 'no_credentials') {
          this.logger.warn(
            `User ${userId} has no stored session any more; not reconnecting`,
          );
        }
      })
      .catch((error: unknown) => {
        // A reconnect already under way when shutdown began: rescheduling it
        // would refuse and reschedule for ever, keeping the process alive.
        if (this.shuttingDown) return;
        this.logger.error(
          `Reconnect failed for user ${userId}: ${(error as Error).message}`,
        );
        this.reconnects.schedule(userId, () =>
          this.reconnectInBackground(userId),
        );
      });
  }

  private async disconnectKeepingSession(userId: string): Promise<void> {
    this.logger.log(`Disconnecting user ${userId}`);
    this.reconnects.cancel(userId);
    const live = this.registry.get(userId);
    if (live) this.registry.end(live);
    await this.repository.markDisconnectedByUser(userId, new Date());
    this.events.publishStatus(userId, 'disconnected');
  }

  private async forceReset(userId: string): Promise<void> {
    this.logger.log(`Disconnecting user ${userId} (FORCE)`);
    this.reconnects.cancel(userId);
    const live = this.registry.get(userId);
    if (live) {
      live.endedByUs = true;
      if (live.status === 'connected') await this.logoutWithinBound(live);
      this.registry.end(live);
    }
    await this.repository.resetSession(userId, new Date(), true);
    this.logger.log(
      `Force disconnect - deleting session files for user ${userId}`,
    );
    await this.files.delete(userId);
    this.telemetry.sessionDeleted('force');
    this.events.publishStatus(userId, 'disconnected', {
      connectionFailureCount: 0,
    });
  }

  /** Unlinks the device on WhatsApp's side when we can; a slow or failed logout never blocks the reset. */
  private async logoutWithinBound(session: LiveSession): Promise<void> {
    if (!session.socket) return;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), this.config.logoutTimeoutMs);
    });
    try {
      const result = await Promise.race([
        session.socket.logout().then(() => 'done' as const),
        timeout,
      ]);
      if (result === 'timeout')
        this.logger.warn(
          `Logout for user ${session.userId} timed out; resetting anyway`,
        );
    } catch (error) {
      this.logger.warn(
        `Logout for user ${session.userId} failed (${(error as Error).message}); resetting anyway`,
      );
    } finally {
      clearTimeout(timer);
    }
  }
}
