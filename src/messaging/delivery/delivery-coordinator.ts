import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  OnModuleInit,
} from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { messagingConfig } from '../../config/messaging.config';
import { logLine } from '../../logging/log-line';
import {
  ReceiptStatus,
  SessionEvent,
  SessionEvents,
} from '../../relance/events/session-events';
import { SessionResets } from '../../relance/supervisor/session-resets';
import { SessionSender } from '../../relance/supervisor/session-sender';
import { MessageStatusNotifier } from '../message-status.notifier';
import { UNSENT_STATUSES } from '../message-status';
import { RelanceMessageRepository } from '../relance-message.repository';
import { DeliveryWakeUps } from './delivery-wake-ups';
import { DeliveryWorker } from './delivery-worker';

const RECEIPT_STATUS = {
  server_ack: 'sent',
  delivered: 'delivered',
  read: 'read',
} as const;

/** The expiry sweep runs on every this-many outbox polls. */
const EXPIRY_SWEEP_EVERY_POLLS = 5;

/** How many messages one reset or sweep handles per query. */
const BATCH = 200;

/**
 * Messaging's subscriber to the session event stream: a delivery worker per
 * connected user (resume on connected, pause on anything else), receipts
 * applied forward-only, unsent messages failed on a session reset, and
 * follow-ups cancelled when the contact replies. Plus the expiry sweep for
 * users who are not connected.
 */
@Injectable()
export class DeliveryCoordinator
  implements OnModuleInit, BeforeApplicationShutdown
{
  private readonly logger = new Logger(DeliveryCoordinator.name);
  private readonly workers = new Map<string, DeliveryWorker>();
  /** Event handling still running, awaited at shutdown before the database closes. */
  private readonly inFlight = new Set<Promise<void>>();
  private unsubscribe?: () => void;
  private poller?: NodeJS.Timeout;
  private sweeps = 0;

  constructor(
    private readonly events: SessionEvents,
    private readonly repository: RelanceMessageRepository,
    private readonly sender: SessionSender,
    private readonly resets: SessionResets,
    private readonly notifier: MessageStatusNotifier,
    private readonly wakeUps: DeliveryWakeUps,
    @Inject(messagingConfig.KEY)
    private readonly config: ConfigType<typeof messagingConfig>,
  ) {}

  onModuleInit(): void {
    this.unsubscribe = this.events.subscribeAll((userId, event) =>
      this.handle(userId, event),
    );
    // One outbox query per interval for the whole instance, not one per idle worker.
    this.poller = setInterval(() => {
      this.pollOutbox().catch((error: unknown) =>
        this.logger.warn(
          `Outbox poll failed: ${(error as Error).message}; retrying at the next one`,
        ),
      );
    }, this.config.pollIntervalMs);
    this.poller.unref();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.unsubscribe?.();
    clearInterval(this.poller);
    await Promise.all([...this.workers.values()].map((w) => w.stop()));
    this.workers.clear();
    await Promise.all([...this.inFlight]);
  }

  private handle(userId: string, event: SessionEvent): void {
    const work = this.workFor(userId, event)
      ?.catch((error: unknown) =>
        this.logger.error(
          logLine(
            `Could not apply a ${event.type} event to the messages of user ${userId}: ${(error as Error).message}`,
            { userId },
          ),
        ),
      )
      .finally(() => this.inFlight.delete(work!));
    if (work) this.inFlight.add(work);
  }

  private workFor(
    userId: string,
    event: SessionEvent,
  ): Promise<void> | undefined {
    switch (event.type) {
      case 'status':
        if (event.status === 'connected') this.resume(userId);
        else return this.pause(userId);
        return undefined;
      case 'receipt':
        return this.applyReceipt(userId, event.whatsappMessageId, event.status);
      case 'reset':
        // A threshold or forced reset: the next link may be another WhatsApp account.
        if (event.reason === 'needs_qr') return undefined;
        return this.failUnsent(userId);
      case 'messageReceived':
        return this.cancelOnReply(userId, event.from);
      default:
        return undefined;
    }
  }

  private resume(userId: string): void {
    if (this.workers.get(userId)?.active) return;
    const worker = new DeliveryWorker(userId, {
      repository: this.repository,
      sender: this.sender,
      resets: this.resets,
      events: this.events,
      notifier: this.notifier,
      wakeUps: this.wakeUps,
      config: this.config,
    });
    this.workers.set(userId, worker);
    worker.start();
  }

  private async pause(userId: string): Promise<void> {
    const worker = this.workers.get(userId);
    if (!worker) return;
    this.workers.delete(userId);
    await worker.stop();
  }

  private async applyReceipt(
    userId: string,
    whatsappMessageId: string,
    status: ReceiptStatus,
  ): Promise<void> {
    const at = new Date();
    if (status === 'error') {
      const failed = await this.repository.failByWhatsAppId(
        userId,
        whatsappMessageId,
        { code: 'REJECTED', reason: 'rejected' },
      );
      if (failed) this.notifier.changed(failed);
      return;
    }
    const target = RECEIPT_STATUS[status];
    if (target !== 'sent')
      await this.repository.backfillSentAt(userId, whatsappMessageId, at);
    const moved = await this.repository.applyReceipt(
      userId,
      whatsappMessageId,
      target,
      at,
    );
    if (moved) this.notifier.changed(moved);
  }

  private async failUnsent(userId: string): Promise<void> {
    await this.pause(userId);
    for (;;) {
      const unsent = await this.repository.unsentOf(userId, BATCH);
      if (unsent.length === 0) return;
      for (const message of unsent) {
        const failed = await this.repository.fail(
          message._id,
          UNSENT_STATUSES,
          'failed',
          { code: 'SESSION_RESET', reason: 'session_reset' },
        );
        if (failed) this.notifier.changed(failed);
      }
    }
  }

  private async cancelOnReply(userId: string, from: string): Promise<void> {
    const candidates = await this.repository.cancellableTo(userId, from);
    for (const message of candidates) {
      const cancelled = await this.repository.cancel(userId, message._id, {
        code: 'CONTACT_REPLIED',
        reason: 'contact_replied',
      });
      if (cancelled) this.notifier.changed(cancelled);
    }
  }

  /** Wakes the workers whose users have due messages; every fifth poll also expires old ones. */
  private async pollOutbox(): Promise<void> {
    this.sweeps = (this.sweeps + 1) % EXPIRY_SWEEP_EVERY_POLLS;
    if (this.sweeps === 0) await this.sweepExpired();
    const running = [...this.workers.values()]
      .filter((worker) => worker.active)
      .map((worker) => worker.userId);
    if (running.length === 0) return;
    const due = await this.repository.usersWithDueMessages(running, new Date());
    for (const userId of due) this.wakeUps.wake(userId);
  }

  private async sweepExpired(): Promise<void> {
    const expired = await this.repository.expiredBy(new Date(), BATCH);
    for (const message of expired) {
      const done = await this.repository.fail(
        message._id,
        ['scheduled', 'queued'],
        'expired',
        { code: 'EXPIRED', reason: 'expired' },
      );
      if (done) this.notifier.changed(done);
    }
  }
}
