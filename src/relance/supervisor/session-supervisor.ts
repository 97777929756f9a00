import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { Fence, StaleFenceError } from '../../cluster/ownership/fence';
import {
  OwnershipGrant,
  SessionOwnership,
} from '../../cluster/ownership/session-ownership';
import { whatsappConfig } from '../../config/whatsapp.config';
import { LogFields, logLine } from '../../logging/log-line';
import { outsideRequest } from '../../logging/request-context';
import { SessionCredentialStore } from '../credentials/session-credential-store';
import {
  SessionEvents,
  StatusEvent,
  StatusReason,
} from '../events/session-events';
import { ReconnectScheduler } from '../reconnect/reconnect-scheduler';
import { RelanceConfigRepository } from '../relance-config.repository';
import { disconnectCodeName } from '../retry/disconnect-codes';
import {
  DecisionOutcome,
  DisconnectDecision,
} from '../retry/disconnect-decision';
import { RetryPolicy } from '../retry/retry-policy';
import { WhatsAppStatus } from '../whatsapp-status';
import { LiveSession, LiveSessionView, SessionStart } from './live-session';
import { SessionNotConnectedError, SessionSender } from './session-sender';
import { UserLocks } from '../../common/user-locks';
import {
  PairingCode,
  SocketClose,
  SocketHandlers,
  WhatsAppSocketFactory,
} from './whatsapp-socket';

export type BackgroundStartOutcome =
  'started' | 'already_live' | 'no_credentials' | 'owned_elsewhere';

/** A user command reached an instance that could not take the session over in time. */
export class SessionOwnedElsewhereError extends Error {
  constructor(userId: string) {
    super(`The session of user ${userId} is run by another instance`);
    this.name = 'SessionOwnedElsewhereError';
  }
}

/** What a user's GET /qr finds before any wait. */
export type InteractiveStart =
  | { status: 'connected' }
  | { status: 'awaiting_qr'; qr: string }
  | { status: 'pending' };

/** What a user's POST /pairing-code finds before any wait. */
export type PairingStart =
  | { status: 'connected' }
  | { status: 'awaiting_pairing'; pairing: PairingCode }
  | { status: 'pending' };

const REASON_FOR_STOP: Partial<Record<DecisionOutcome, StatusReason>> = {
  threshold_reached: 'threshold',
  qr_expired: 'qr_expired',
  pairing_expired: 'pairing_expired',
  connection_replaced: 'connection_replaced',
  not_linked: 'not_linked',
};

/**
 * The socket side of every user's session: starts sockets, receives each
 * socket event under the user's lock, asks the RetryPolicy once per close and
 * applies the whole decision (the stored state, the credentials, the
 * reconnect, the live status, the events). It is the only writer of live
 * session state. Methods called by user commands expect the caller to hold
 * the user's lock (UserLocks); socket events take it themselves.
 */
@Injectable()
export class SessionSupervisor implements SessionSender, OnModuleInit {
  private readonly logger = new Logger(SessionSupervisor.name);
  private readonly sessions = new Map<string, LiveSession>();
  /** Set by stopAll (graceful shutdown): no socket starts and no reconnect is scheduled after it. */
  private stopping = false;
  /** The last status announced per user, for `previousStatus`. */
  private readonly announced = new Map<string, WhatsAppStatus>();

  constructor(
    private readonly factory: WhatsAppSocketFactory,
    private readonly policy: RetryPolicy,
    private readonly repository: RelanceConfigRepository,
    private readonly credentials: SessionCredentialStore,
    private readonly locks: UserLocks,
    private readonly events: SessionEvents,
    private readonly reconnects: ReconnectScheduler,
    private readonly ownership: SessionOwnership,
    @Inject(whatsappConfig.KEY)
    private readonly config: ConfigType<typeof whatsappConfig>,
  ) {}

  onModuleInit(): void {
    this.ownership.onLost((userId) => this.dropLost(userId));
  }

  /**
   * Another instance owns the user's session now: end our socket at once,
   * as ours (no count, no status write, credentials kept), synchronously and
   * without the user's lock, so nothing else of ours happens for it first.
   */
  dropLost(userId: string): void {
    this.reconnects.cancel(userId);
    const live = this.sessions.get(userId);
    if (!live) return;
    this.logger.warn(
      logLine(
        `User ${userId}'s session is owned by another instance now; closing our socket`,
        { userId },
      ),
    );
    this.end(live);
  }

  /** Under the user's lock: ends our socket as ours and gives the session to whichever instance claims it. */
  async handBack(userId: string): Promise<void> {
    this.reconnects.cancel(userId);
    const live = this.sessions.get(userId);
    if (live) this.end(live);
    await this.ownership.release(userId);
  }

  live(userId: string): LiveSessionView | undefined {
    return this.sessions.get(userId);
  }

  liveSessions(): LiveSessionView[] {
    return [...this.sessions.values()];
  }

  isConnected(userId: string): boolean {
    return this.sessions.get(userId)?.status === 'connected';
  }

  sendText(
    userId: string,
    to: string,
    text: string,
    messageId: string,
  ): Promise<void> {
    return this.connectedSocket(userId).sendText(to, text, messageId);
  }

  isOnWhatsApp(userId: string, phone: string): Promise<boolean> {
    return this.connectedSocket(userId).isOnWhatsApp(phone);
  }

  private connectedSocket(userId: string) {
    // A lease that ran out by our clock (a paused process) sends nothing: the socket goes first.
    if (!this.ownership.mayRun(userId)) this.dropLost(userId);
    const session = this.sessions.get(userId);
    if (session?.status !== 'connected' || !session.socket)
      throw new SessionNotConnectedError(userId);
    return session.socket;
  }

  /** GET /qr under the user's lock: reuse what is live, or start a socket that may show a QR. */
  async startInteractive(userId: string): Promise<InteractiveStart> {
    this.reconnects.cancel(userId);
    const live = this.sessions.get(userId);
    if (live?.status === 'connected') return { status: 'connected' };
    if (live?.latestQr) {
      // Back from a pairing code to the QR, if need be: the user asked for one.
      if (live.status !== 'awaiting_qr') await this.showQr(live, live.latestQr);
      return { status: 'awaiting_qr', qr: live.latestQr };
    }
    if (live) {
      // A background start in progress: let it show a QR now that the user asks for one.
      live.interactive = true;
      live.pairingPhone = undefined;
      return { status: 'pending' };
    }
    await this.startLinkAttempt(userId);
    return { status: 'pending' };
  }

  /**
   * POST /pairing-code under the user's lock: the code already shown for
   * this number, a code from the live socket's QR session, or a new socket
   * whose first QR asks for a code instead.
   */
  async startPairing(userId: string, phone: string): Promise<PairingStart> {
    this.reconnects.cancel(userId);
    const live = this.sessions.get(userId);
    if (live?.status === 'connected') return { status: 'connected' };
    if (live?.pairing?.phone === phone)
      return { status: 'awaiting_pairing', pairing: live.pairing };
    if (live?.latestQr) {
      await this.requestCode(live, phone);
      return live.pairing
        ? { status: 'awaiting_pairing', pairing: live.pairing }
        : { status: 'pending' };
    }
    if (live) {
      // Connecting (a stored session, or a QR not shown yet): a QR, if one comes, asks for a code.
      live.interactive = true;
      live.pairingPhone = phone;
      return { status: 'pending' };
    }
    await this.startLinkAttempt(userId, phone);
    return { status: 'pending' };
  }

  /** Connects from stored credentials without ever showing a QR (boot restore, tests). */
  startInBackground(userId: string): Promise<BackgroundStartOutcome> {
    return this.locks.run(userId, () => this.startStored(userId));
  }

  /** Under the user's lock: cancels any reconnect and ends the live socket as ours (no count, no retry). */
  stop(userId: string): LiveSessionView | undefined {
    this.reconnects.cancel(userId);
    const live = this.sessions.get(userId);
    if (live) this.end(live);
    return live;
  }

  /** Under the user's lock: unlinks the device when the socket is open (bounded, best effort), then stops. */
  async logoutAndStop(userId: string): Promise<void> {
    this.reconnects.cancel(userId);
    const live = this.sessions.get(userId);
    if (!live) return;
    live.ended = true;
    if (live.status === 'connected') await this.logoutWithinBound(live);
    this.end(live);
  }

  /** Ends every socket as ours (no logout, credentials kept) so each user can be restored later. */
  stopAll(): number {
    this.stopping = true;
    this.reconnects.cancelAll();
    const sessions = [...this.sessions.values()];
    for (const session of sessions) this.end(session);
    return sessions.length;
  }

  /** Publishes a status change with the previous status; the one place status events come from. */
  announce(
    userId: string,
    status: WhatsAppStatus,
    details: Omit<StatusEvent, 'type' | 'status' | 'previousStatus'> = {},
  ): void {
    const previousStatus = this.announced.get(userId);
    if (status === 'disconnected' && !this.sessions.has(userId))
      this.announced.delete(userId);
    else this.announced.set(userId, status);
    this.events.emit(userId, {
      type: 'status',
      status,
      ...(previousStatus ? { previousStatus } : {}),
      ...details,
    });
  }

  private async startStored(userId: string): Promise<BackgroundStartOutcome> {
    if (this.sessions.has(userId)) return 'already_live';
    if (!(await this.credentials.hasCredentials(userId)))
      return 'no_credentials';
    const grant = await this.ownership.acquire(userId);
    if (!grant) return 'owned_elsewhere';
    await this.startSocket(userId, { interactive: false, linked: true }, grant);
    return 'started';
  }

  /** Ownership for a user command's socket: the caller took the session over beforehand. */
  private async commandGrant(userId: string): Promise<OwnershipGrant> {
    const grant = await this.ownership.acquire(userId);
    if (!grant) throw new SessionOwnedElsewhereError(userId);
    return grant;
  }

  /** A user-started socket: it connects stored credentials, or shows a QR (or asks for a code for `pairingPhone`). */
  private async startLinkAttempt(
    userId: string,
    pairingPhone?: string,
  ): Promise<void> {
    const grant = await this.commandGrant(userId);
    const stored = await this.repository.markConnecting(
      userId,
      new Date(),
      grant.fence,
    );
    let failureCount = stored.connectionFailureCount;
    if (this.policy.mustResetBeforeQr(failureCount)) {
      await this.resetBeforeQr(userId, failureCount, grant.fence);
      failureCount = 0;
    }
    await this.startSocket(
      userId,
      {
        interactive: true,
        linked: await this.credentials.hasCredentials(userId),
        failureCount,
        ...(pairingPhone === undefined ? {} : { pairingPhone }),
      },
      grant,
    );
  }

  private async resetBeforeQr(
    userId: string,
    count: number,
    fence: Fence | undefined,
  ): Promise<void> {
    this.logger.warn(
      logLine(
        `User ${userId} - ${count} consecutive failures, deleting session files`,
        { userId },
      ),
    );
    await this.repository.resetSession(userId, new Date(), false);
    await this.credentials.delete(userId, fence);
    await this.repository.setStatus(userId, 'connecting', new Date());
  }

  private async startSocket(
    userId: string,
    start: SessionStart,
    grant: OwnershipGrant,
  ): Promise<void> {
    const previous = this.sessions.get(userId);
    if (previous) this.end(previous);
    const session = new LiveSession(userId, start);
    session.fence = grant.fence;
    this.sessions.set(userId, session);
    // A reconnect's close already stored `connecting` and the count: no write here.
    session.failureCount =
      start.failureCount ??
      (await this.repository.markConnecting(userId, new Date(), grant.fence))
        .connectionFailureCount;
    this.announce(userId, 'connecting');
    try {
      // Outside the request that may be starting it: the socket's events
      // (closes, reconnects) happen later and belong to no request.
      session.socket = await outsideRequest(() =>
        this.factory.create(userId, this.handlersFor(session), grant.fence),
      );
    } catch (error) {
      this.forget(session);
      this.logger.error(
        logLine(
          `Could not start a WhatsApp socket for user ${userId}: ${(error as Error).message}`,
          { userId },
        ),
      );
      await this.repository.setStatus(userId, 'disconnected', new Date());
      this.announce(userId, 'disconnected');
      throw error;
    }
    // The socket may have been superseded while it was being created.
    if (session.ended) session.socket.end();
  }

  private handlersFor(session: LiveSession): SocketHandlers {
    const { userId } = session;
    const serialized = (what: string, handle: () => Promise<void>) => {
      this.locks
        .run(userId, handle)
        .catch((error: unknown) => this.onHandlerError(userId, what, error));
    };
    return {
      onQr: (qr) => serialized('a QR code', () => this.onQr(session, qr)),
      onPaired: () => {
        session.paired = true;
        session.linked = true;
      },
      onOpen: () =>
        serialized('an open connection', () => this.onOpen(session)),
      onClose: (close) =>
        serialized('a closed connection', () => this.onClose(session, close)),
      // Facts about messages stay true whichever socket reported them: no lock, no staleness check.
      onReceipt: (whatsappMessageId, status) =>
        this.events.emit(userId, {
          type: 'receipt',
          whatsappMessageId,
          status,
        }),
      onMessage: (from) =>
        this.events.emit(userId, { type: 'messageReceived', from }),
    };
  }

  /** A refused write means another instance owns the session now: ours ends, quietly. */
  private onHandlerError(userId: string, what: string, error: unknown): void {
    if (error instanceof StaleFenceError) {
      this.logger.warn(logLine(error.message, { userId }));
      this.dropLost(userId);
      return;
    }
    this.logger.error(
      logLine(
        `Could not handle ${what} for user ${userId}: ${(error as Error).message}`,
        { userId },
      ),
    );
  }

  private isCurrent(session: LiveSession): boolean {
    return this.sessions.get(session.userId) === session && !session.ended;
  }

  private forget(session: LiveSession): void {
    if (this.sessions.get(session.userId) === session)
      this.sessions.delete(session.userId);
  }

  private end(session: LiveSession): void {
    session.ended = true;
    this.forget(session);
    session.socket?.end();
  }

  private async onQr(session: LiveSession, qr: string): Promise<void> {
    if (!this.isCurrent(session)) return;
    const { userId } = session;
    if (!session.interactive) {
      // Stored credentials need a new scan: stop here rather than show QR codes nobody asked for.
      this.logger.warn(
        logLine(
          `User ${userId} needs a new QR scan; stopping the background connection`,
          { userId },
        ),
      );
      this.end(session);
      await this.repository.setStatus(userId, 'disconnected', new Date());
      this.announce(userId, 'disconnected', { reason: 'needs_qr' });
      this.events.emit(userId, { type: 'reset', reason: 'needs_qr' });
      return;
    }
    session.latestQr = qr;
    if (session.pairingPhone !== undefined) {
      await this.requestCode(session, session.pairingPhone);
      return;
    }
    // While a code is shown, refreshed QRs wait for a GET /qr; the code stays valid meanwhile.
    if (session.status === 'awaiting_pairing') return;
    await this.showQr(session, qr);
  }

  private async showQr(session: LiveSession, qr: string): Promise<void> {
    const { userId } = session;
    session.pairing = undefined;
    session.pairingPhone = undefined;
    if (session.status !== 'awaiting_qr') {
      await this.repository.setStatus(userId, 'awaiting_qr', new Date());
      session.status = 'awaiting_qr';
      this.announce(userId, 'awaiting_qr');
    }
    this.events.emit(userId, { type: 'qr', qr });
  }

  /**
   * Asks the socket (which has shown a QR) for a pairing code for `phone`. A
   * socket that cannot give one ends this link attempt; the user asks again
   * and a new socket starts.
   */
  private async requestCode(
    session: LiveSession,
    phone: string,
  ): Promise<void> {
    const { userId } = session;
    session.pairingPhone = undefined;
    let pairing: PairingCode;
    try {
      if (!session.socket) throw new Error('the socket is not started yet');
      pairing = await session.socket.requestPairingCode(phone);
    } catch (error) {
      if (!this.isCurrent(session)) return;
      // Neither the phone number nor the code is logged.
      this.logger.warn(
        logLine(
          `Could not get a pairing code for user ${userId} (${(error as Error).message}); ending this link attempt`,
          { userId },
        ),
      );
      this.end(session);
      await this.repository.setStatus(userId, 'disconnected', new Date());
      this.announce(userId, 'disconnected', { reason: 'not_linked' });
      return;
    }
    if (!this.isCurrent(session)) return;
    session.pairing = { phone, ...pairing };
    if (session.status !== 'awaiting_pairing') {
      await this.repository.setStatus(userId, 'awaiting_pairing', new Date());
      session.status = 'awaiting_pairing';
      this.announce(userId, 'awaiting_pairing');
    }
    this.events.emit(userId, { type: 'pairing', ...pairing });
  }

  private async onOpen(session: LiveSession): Promise<void> {
    if (!this.isCurrent(session)) return;
    const { userId } = session;
    session.latestQr = undefined;
    session.pairing = undefined;
    // The next failure starts the backoff again at attempt 1.
    this.reconnects.cancel(userId);
    await this.repository.markConnected(
      userId,
      new Date(),
      session.linkedBy,
      session.fence,
    );
    // Only once stored: GET /status pairs this live status with the stored count and scan date.
    session.status = 'connected';
    session.linked = true;
    session.failureCount = 0;
    this.logger.log(
      logLine(`✓ Successfully connected for user ${userId}`, { userId }),
    );
    this.announce(userId, 'connected', { connectionFailureCount: 0 });
  }

  private async onClose(
    session: LiveSession,
    close: SocketClose,
  ): Promise<void> {
    if (!this.isCurrent(session)) return;
    this.forget(session);
    const { userId } = session;
    const decision = this.policy.decide(
      {
        code: close.code,
        awaitingQr: session.status === 'awaiting_qr',
        awaitingPairing: session.status === 'awaiting_pairing',
        linked: session.linked,
      },
      { failureCount: session.failureCount },
    );
    const reason = {
      code: close.code ?? 0,
      name: disconnectCodeName(close.code),
    };
    await this.repository.applyClose(
      userId,
      { decision, reason, at: new Date() },
      session.fence,
    );
    const fields = { userId, code: close.code, decision: decision.outcome };
    this.logger.log(
      logLine(
        `Connection closed for user ${userId}: code ${close.code ?? 'none'} (${reason.name}) -> ${decision.outcome}`,
        fields,
      ),
    );
    this.events.emit(userId, {
      type: 'closed',
      code: close.code,
      outcome: decision.outcome,
    });
    if (decision.countFailure)
      this.reportCountedFailure(session, decision, close, fields);
    if (decision.deleteSession)
      await this.deleteAfterThreshold(userId, fields, session.fence);
    this.continueAfterClose(session, decision);
  }

  private reportCountedFailure(
    session: LiveSession,
    decision: DisconnectDecision,
    close: SocketClose,
    fields: LogFields,
  ): void {
    const max = this.policy.maxConnectionFailures;
    const count = session.failureCount + 1;
    this.logger.warn(
      logLine(
        `Connection failure ${count}/${max} for user ${fields.userId}`,
        fields,
      ),
    );
    if (!decision.deleteSession) {
      this.logger.log(
        logLine(
          `Keeping session files for retry (${decision.failureCount}/${max} failures)`,
          fields,
        ),
      );
    }
    this.events.emit(session.userId, {
      type: 'failure',
      count,
      max,
      code: close.code,
      reason: disconnectCodeName(close.code),
    });
  }

  /** The count reset is already stored (applyClose): only now may the credentials go. */
  private async deleteAfterThreshold(
    userId: string,
    fields: LogFields,
    fence: Fence | undefined,
  ): Promise<void> {
    this.logger.warn(
      logLine(
        `User ${userId} - ${this.policy.maxConnectionFailures} consecutive failures, deleting session files`,
        fields,
      ),
    );
    await this.credentials.delete(userId, fence);
    this.events.emit(userId, { type: 'reset', reason: 'threshold' });
  }

  private continueAfterClose(
    session: LiveSession,
    decision: DisconnectDecision,
  ): void {
    const { userId } = session;
    const connectionFailureCount = decision.failureCount;
    if (decision.reconnect === 'now') {
      // 515 after a scan or a typed code: a new socket at once, carrying on as the same (possibly interactive) session.
      const linkedBy = session.paired
        ? session.linkMethodInUse
        : session.linkedBy;
      this.restartNow(userId, {
        interactive: session.interactive,
        linked: true,
        failureCount: connectionFailureCount,
        ...(linkedBy ? { linkedBy } : {}),
      });
      return;
    }
    if (decision.reconnect === 'later') {
      const pending = this.scheduleReconnect(userId, connectionFailureCount);
      this.announce(userId, 'disconnected', {
        connectionFailureCount,
        ...(pending ? { nextReconnectAt: pending.at } : {}),
      });
      return;
    }
    const reason = REASON_FOR_STOP[decision.outcome];
    this.announce(userId, 'disconnected', {
      connectionFailureCount,
      ...(reason ? { reason } : {}),
    });
  }

  private restartNow(userId: string, start: SessionStart): void {
    this.locks
      .run(userId, async () => {
        if (this.sessions.has(userId)) return;
        const grant = await this.ownership.acquire(userId);
        if (grant) await this.startSocket(userId, start, grant);
        else
          this.logger.warn(
            logLine(
              `User ${userId}'s session moved to another instance before its restart`,
              { userId },
            ),
          );
      })
      .catch((error: unknown) =>
        this.logger.error(
          logLine(
            `Restart failed for user ${userId}: ${(error as Error).message}`,
            { userId },
          ),
        ),
      );
  }

  private scheduleReconnect(userId: string, failureCount: number) {
    if (this.stopping) return undefined;
    const pending = this.reconnects.schedule(userId, () =>
      this.reconnect(userId, failureCount, pending.attempt),
    );
    return pending;
  }

  private reconnect(
    userId: string,
    failureCount: number,
    attempt: number,
  ): void {
    this.events.emit(userId, { type: 'reconnecting', attempt });
    this.locks
      .run(userId, async () => {
        if (this.stopping || this.sessions.has(userId)) return;
        if (!(await this.credentials.hasCredentials(userId))) {
          // Deleted meanwhile (another instance's reset, an operator): nothing to reconnect with.
          this.logger.warn(
            logLine(
              `User ${userId}'s stored session is gone; not reconnecting`,
              { userId },
            ),
          );
          await this.repository.setStatus(userId, 'disconnected', new Date());
          this.announce(userId, 'disconnected', { reason: 'needs_qr' });
          return;
        }
        // Lost meanwhile (a paused process, a takeover): the new owner reconnects it.
        const grant = await this.ownership.acquire(userId);
        if (!grant) return;
        await this.startSocket(
          userId,
          { interactive: false, linked: true, failureCount },
          grant,
        );
      })
      .catch((error: unknown) => {
        this.logger.error(
          logLine(
            `Reconnect failed for user ${userId}: ${(error as Error).message}`,
            { userId },
          ),
        );
        this.scheduleReconnect(userId, failureCount);
      });
  }

  /** Unlinks the device on WhatsApp's side when we can; a slow or failed logout never blocks the reset. */
  private async logoutWithinBound(session: LiveSession): Promise<void> {
    if (!session.socket) return;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), this.config.logoutTimeoutMs);
    });
    const fields = { userId: session.userId };
    try {
      const result = await Promise.race([
        session.socket.logout().then(() => 'done' as const),
        timeout,
      ]);
      if (result === 'timeout')
        this.logger.warn(
          logLine(
            `Logout for user ${session.userId} timed out; resetting anyway`,
            fields,
          ),
        );
    } catch (error) {
      this.logger.warn(
        logLine(
          `Logout for user ${session.userId} failed (${(error as Error).message}); resetting anyway`,
          fields,
        ),
      );
    } finally {
      clearTimeout(timer);
    }
  }
}
