import { Injectable, Logger } from '@nestjs/common';
import { LogFields, logLine } from '../../logging/log-line';
import { ReconnectScheduler } from '../reconnect/reconnect-scheduler';
import { RelanceConfigRepository } from '../relance-config.repository';
import { disconnectCodeName } from '../retry/disconnect-codes';
import { CloseEvent, DisconnectDecision } from '../retry/disconnect-decision';
import { RetryPolicy } from '../retry/retry-policy';
import { DatabaseRetry } from './database-retry';
import { LifecycleTelemetry } from './lifecycle-telemetry';
import { SessionEvents } from './session-events';
import { SessionFiles } from './session-files';
import { LiveSession, SessionRegistry } from './session-registry';
import { SocketClose } from './whatsapp-socket';

/**
 * What one socket event means: records it (one atomic write), asks the
 * RetryPolicy about closes and applies the decision's storage side (count,
 * threshold deletion). Starting the next socket is the caller's job. Callers
 * run it under the user's lock; events of a stale socket are ignored.
 */
@Injectable()
export class ConnectionEventHandler {
  private readonly logger = new Logger(ConnectionEventHandler.name);
  /** When each user's last unplanned close happened, for the close-to-reopen time. */
  private readonly lastCloseAt = new Map<string, number>();

  constructor(
    private readonly policy: RetryPolicy,
    private readonly repository: RelanceConfigRepository,
    private readonly files: SessionFiles,
    private readonly registry: SessionRegistry,
    private readonly events: SessionEvents,
    private readonly reconnects: ReconnectScheduler,
    private readonly databaseRetry: DatabaseRetry,
    private readonly telemetry: LifecycleTelemetry,
  ) {}

  async handleQr(session: LiveSession, qr: string): Promise<void> {
    if (!this.registry.isCurrent(session)) return;
    const { userId } = session;
    if (!session.interactive) {
      // Stored credentials need a new scan: stop here rather than show QR codes nobody asked for.
      this.logger.warn(
        `User ${userId} needs a new QR scan; stopping the background connection`,
      );
      this.registry.end(session);
      await this.databaseRetry.run(() =>
        this.repository.setStatus(userId, 'disconnected', new Date()),
      );
      this.events.publishStatus(userId, 'disconnected', { reason: 'needs_qr' });
      return;
    }
    session.latestQr = qr;
    if (session.status !== 'awaiting_qr') {
      session.status = 'awaiting_qr';
      await this.databaseRetry.run(() =>
        this.repository.setStatus(userId, 'awaiting_qr', new Date()),
      );
      this.events.publishStatus(userId, 'awaiting_qr');
    }
    this.telemetry.qrIssued();
    this.events.emit(userId, { type: 'qr', qr });
  }

  async handleOpen(session: LiveSession): Promise<void> {
    if (!this.registry.isCurrent(session)) return;
    const { userId } = session;
    session.latestQr = undefined;
    this.reconnects.reset(userId);
    await this.databaseRetry.run(() =>
      this.repository.markConnected(userId, new Date(), session.afterQrScan),
    );
    // Only once stored: GET /status pairs this live status with the stored count and scan date.
    session.status = 'connected';
    this.logger.log(
      logLine(`✓ Successfully connected for user ${userId}`, { userId }),
    );
    this.telemetry.opened(this.secondsSinceLastClose(userId));
    this.events.publishStatus(userId, 'connected', {
      connectionFailureCount: 0,
    });
  }

  /** Records an unplanned close and returns the policy's decision; undefined for a stale socket. */
  async handleClose(
    session: LiveSession,
    close: SocketClose,
  ): Promise<DisconnectDecision | undefined> {
    if (!this.registry.isCurrent(session)) return undefined;
    this.registry.forget(session);
    const { userId } = session;
    const event: CloseEvent = {
      code: close.code,
      endedByUs: false,
      awaitingQr: session.status === 'awaiting_qr',
    };
    const countFailure = this.policy.countsAsFailure(event);
    const recordedCount = await this.databaseRetry.run(() =>
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
    const fields = { userId, code: close.code, decision: decision.outcome };
    this.logger.log(
      logLine(
        `Connection closed for user ${userId}: code ${close.code ?? 'none'} (${disconnectCodeName(close.code)}) -> ${decision.outcome}`,
        fields,
      ),
    );
    this.lastCloseAt.set(userId, Date.now());
    this.telemetry.closeHandled(close.code, decision.outcome);
    if (decision.countFailure)
      this.logCountedFailure(recordedCount, decision, fields);
    if (decision.deleteSession)
      await this.deleteAfterThreshold(userId, recordedCount, fields);
    return decision;
  }

  private logCountedFailure(
    count: number,
    decision: DisconnectDecision,
    fields: LogFields,
  ): void {
    const max = this.policy.maxConnectionFailures;
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
  }

  private async deleteAfterThreshold(
    userId: string,
    recordedCount: number,
    fields: LogFields,
  ): Promise<void> {
    const won = await this.databaseRetry.run(() =>
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

  private secondsSinceLastClose(userId: string): number | undefined {
    const closedAt = this.lastCloseAt.get(userId);
    this.lastCloseAt.delete(userId);
    return closedAt === undefined ? undefined : (Date.now() - closedAt) / 1000;
  }
}
