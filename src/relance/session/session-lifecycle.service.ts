import {
  Inject,
  Injectable,
  Logger,
  ServiceUnavailableException,
} from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ConfigType } from '@nestjs/config';
import { whatsappConfig } from '../../config/whatsapp.config';
import { LogFields, logLine } from '../../logging/log-line';
import { ReconnectScheduler } from '../reconnect/reconnect-scheduler';
import { RelanceConfigRepository } from '../relance-config.repository';
import { disconnectCodeName } from '../retry/disconnect-codes';
import { CloseEvent, DisconnectDecision } from '../retry/disconnect-decision';
import { RetryPolicy } from '../retry/retry-policy';
import { WhatsAppStatus } from '../whatsapp-status';
import { DatabaseRetry } from './database-retry';
import { LifecycleTelemetry } from './lifecycle-telemetry';
import { SessionEvent, SessionEvents } from './session-events';
import { SessionFiles } from './session-files';
import { LiveSession, SessionRegistry, SessionStart } from './session-registry';
import { UserLocks } from './user-locks';
import {
  SocketClose,
  SocketHandlers,
  WhatsAppSocketFactory,
} from './whatsapp-socket';

export type QrOutcome =
  | { status: 'awaiting_qr'; qr: string }
  | { status: 'connected' }
  | { status: 'connecting' | 'disconnected' };

export interface SessionStatus {
  status: WhatsAppStatus;
  connectionFailureCount: number;
  maxConnectionFailures: number;
  lastConnectionFailure?: Date;
  lastDisconnectReason?: { code: number; name: string };
  lastQrScanDate?: Date;
  lastConnectionCheck?: Date;
  sessionStored: boolean;
  reconnectAttempt?: number;
  nextReconnectAt?: Date;
}

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
  /** When each user's last unplanned close happened, for the close-to-reopen time. */
  private readonly lastCloseAt = new Map<string, number>();
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

  async getStatus(userId: string): Promise<SessionStatus> {
    const [stored, sessionStored] = await Promise.all([
      this.repository.findByUserId(userId),
      this.files.hasCredentials(userId),
    ]);
    const pending = this.reconnects.pending(userId);
    return {
      status: this.currentStatus(userId),
      connectionFailureCount: stored?.connectionFailureCount ?? 0,
      maxConnectionFailures: this.policy.maxConnectionFailures,
      lastConnectionFailure: stored?.lastConnectionFailure,
      lastDisconnectReason: stored?.lastDisconnectReason,
      lastQrScanDate: stored?.lastQrScanDate,
      lastConnectionCheck: stored?.lastConnectionCheck,
      sessionStored,
      ...(pending
        ? { reconnectAttempt: pending.attempt, nextReconnectAt: pending.at }
        : {}),
    };
  }

  /** Ends every socket as ours (no logout, files kept) so each user can be restored later. */
  endAllSockets(): number {
    this.reconnects.cancelAll();
    const sessions = this.registry.all();
    for (const session of sessions) this.registry.end(session);
    return sessions.length;
  }

  /**
   * The live socket is the truth; without one in this process (e.g. before
   * boot restore reached the user), a stored "connected" is history.
   */
  private currentStatus(userId: string): WhatsAppStatus {
    const live = this.registry.get(userId);
    if (live) return live.status;
    return this.reconnects.pending(userId) ? 'connecting' : 'disconnected';
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
    await this.persist(() =>
      this.repository.setStatus(userId, 'connecting', new Date()),
    );
    this.publishStatus(userId, 'connecting');
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
      await this.persist(() =>
        this.repository.setStatus(userId, 'disconnected', new Date()),
      );
      this.publishStatus(userId, 'disconnected');
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
      onQr: (qr) => serialized('a QR code', () => this.handleQr(session, qr)),
      onPaired: () => {
        session.paired = true;
      },
      onOpen: () =>
        serialized('an open connection', () => this.handleOpen(session)),
      onClose: (close) =>
        serialized('a closed connection', () =>
          this.handleClose(session, close),
        ),
    };
  }

  private async handleQr(session: LiveSession, qr: string): Promise<void> {
    if (!this.registry.isCurrent(session)) return;
    const { userId } = session;
    if (!session.interactive) {
      // Stored credentials need a new scan: stop here rather than show QR codes nobody asked for.
      this.logger.warn(
        `User ${userId} needs a new QR scan; stopping the background connection`,
      );
      this.registry.end(session);
      await this.persist(() =>
        this.repository.setStatus(userId, 'disconnected', new Date()),
      );
      this.publishStatus(userId, 'disconnected', { reason: 'needs_qr' });
      return;
    }
    session.latestQr = qr;
    if (session.status !== 'awaiting_qr') {
      session.status = 'awaiting_qr';
      await this.persist(() =>
        this.repository.setStatus(userId, 'awaiting_qr', new Date()),
      );
      this.publishStatus(userId, 'awaiting_qr');
    }
    this.telemetry.qrIssued();
    this.events.emit(userId, { type: 'qr', qr });
  }

  private async handleOpen(session: LiveSession): Promise<void> {
    if (!this.registry.isCurrent(session)) return;
    const { userId } = session;
    session.latestQr = undefined;
    this.reconnects.reset(userId);
    await this.persist(() =>
      this.repository.markConnected(userId, new Date(), session.afterQrScan),
    );
    // Only once stored: GET /status pairs this live status with the stored count and scan date.
    session.status = 'connected';
    this.logger.log(
      logLine(`✓ Successfully connected for user ${userId}`, { userId }),
    );
    this.telemetry.opened(this.secondsSinceLastClose(userId));
    this.publishStatus(userId, 'connected', { connectionFailureCount: 0 });
  }

  private async handleClose(
    session: LiveSession,
    close: SocketClose,
  ): Promise<void> {
    if (!this.registry.isCurrent(session)) return;
    this.registry.forget(session);
    const { userId } = session;
    const event: CloseEvent = {
      code: close.code,
      endedByUs: false,
      awaitingQr: session.status === 'awaiting_qr',
    };
    const countFailure = this.policy.countsAsFailure(event);
    const recordedCount = await this.persist(() =>
      this.repository.recordClose(userId, {
        countFailure,
        reason: { code: close.code ?? 0, name: disconnectCodeName(close.code) },
        status: 'disconnected',
        at: new Date(),
      }),
    );
    // The count the atomic increment returned decides, so racing closes cross the threshold once.
    const decision = this.policy.decide(event, {
      failureCount: countFailure ? recordedCount - 1 : recordedCount,
    });
    const closeFields = {
      userId,
      code: close.code,
      decision: decision.outcome,
    };
    this.logger.log(
      logLine(
        `Connection closed for user ${userId}: code ${close.code ?? 'none'} (${disconnectCodeName(close.code)}) -> ${decision.outcome}`,
        closeFields,
      ),
    );
    this.lastCloseAt.set(userId, Date.now());
    this.telemetry.closeHandled(close.code, decision.outcome);
    if (decision.countFailure) {
      this.logCountedFailure(recordedCount, closeFields);
    }
    if (decision.deleteSession) {
      await this.deleteAfterThreshold(userId, recordedCount, closeFields);
    }
    this.applyReconnect(session, decision);
  }

  private logCountedFailure(count: number, fields: LogFields): void {
    const max = this.policy.maxConnectionFailures;
    this.logger.warn(
      logLine(
        `Connection failure ${count}/${max} for user ${fields.userId}`,
        fields,
      ),
    );
  }

  private async deleteAfterThreshold(
    userId: string,
    recordedCount: number,
    fields: LogFields,
  ): Promise<void> {
    const won = await this.persist(() =>
      this.repository.resetAfterThreshold(userId, recordedCount),
    );
    if (!won) return;
    this.logger.warn(
      logLine(
        `User ${userId} - ${this.policy.maxConnectionFailures} consecutive failures, deleting session files`,
        fields,
      ),
    );
    await this.files.delete(userId);
    this.telemetry.sessionDeleted('threshold');
  }

  private applyReconnect(
    session: LiveSession,
    decision: DisconnectDecision,
  ): void {
    const { userId } = session;
    if (decision.countFailure && !decision.deleteSession) {
      this.logger.log(
        logLine(
          `Keeping session files for retry (${decision.failureCount}/${this.policy.maxConnectionFailures} failures)`,
          { userId, decision: decision.outcome },
        ),
      );
    }
    if (decision.reconnect === 'now') {
      this.restartNow(session);
      return;
    }
    if (decision.reconnect === 'later') {
      const pending = this.reconnects.schedule(userId, () =>
        this.reconnectInBackground(userId),
      );
      this.publishStatus(userId, 'disconnected', {
        connectionFailureCount: decision.failureCount,
        nextReconnectAt: pending.at,
      });
      return;
    }
    this.publishStatus(userId, 'disconnected', {
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
    this.publishStatus(userId, 'disconnected');
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
    this.publishStatus(userId, 'disconnected', { connectionFailureCount: 0 });
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

  private publishStatus(
    userId: string,
    status: WhatsAppStatus,
    extra: Omit<
      Extract<SessionEvent, { type: 'status' }>,
      'type' | 'status'
    > = {},
  ): void {
    this.events.emit(userId, { type: 'status', status, ...extra });
  }

  private secondsSinceLastClose(userId: string): number | undefined {
    const closedAt = this.lastCloseAt.get(userId);
    this.lastCloseAt.delete(userId);
    return closedAt === undefined ? undefined : (Date.now() - closedAt) / 1000;
  }

  private persist<T>(write: () => Promise<T>): Promise<T> {
    return this.databaseRetry.run(write);
  }
}
