import { Logger } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { setTimeout as sleep } from 'node:timers/promises';
import { messagingConfig } from '../../config/messaging.config';
import { logLine } from '../../logging/log-line';
import {
  SessionEvent,
  SessionEvents,
} from '../../relance/events/session-events';
import { SessionResets } from '../../relance/supervisor/session-resets';
import { SessionSender } from '../../relance/supervisor/session-sender';
import { MessageStatusNotifier } from '../message-status.notifier';
import {
  RelanceMessageRepository,
  StoredMessage,
} from '../relance-message.repository';
import { DeliveryWakeUps } from './delivery-wake-ups';
import { describeSendError, isConnectionTrouble } from './send-errors';

export interface DeliveryWorkerDeps {
  repository: RelanceMessageRepository;
  sender: SessionSender;
  resets: SessionResets;
  events: SessionEvents;
  notifier: MessageStatusNotifier;
  wakeUps: DeliveryWakeUps;
  config: ConfigType<typeof messagingConfig>;
}

/** An idle worker re-reads the outbox on its own only this many poll intervals apart. */
const IDLE_BACKSTOP_POLLS = 30;

/**
 * WhatsApp's acknowledgement, once the coordinator has stored it: until then
 * the message is still `sending`, which nextDue would hand back for a resend.
 */
const acknowledgedAndStored = (messageId: string) => (event: SessionEvent) =>
  event.type === 'messageStatus' &&
  event.messageId === messageId &&
  event.status !== 'sending';

/** Accepted before the session's last reset: never to be sent from whatever account is linked now. */
const acceptedBefore = (message: StoredMessage, reset: Date | undefined) =>
  reset !== undefined && message.createdAt.getTime() <= reset.getTime();

/**
 * Sends one connected user's due messages, one at a time in creation order,
 * each waiting for WhatsApp's acknowledgement to be stored (or the ack
 * timeout) before the next, spaced by the send interval. It runs only while
 * the session is connected; the coordinator starts and stops it.
 */
export class DeliveryWorker {
  private readonly logger = new Logger(DeliveryWorker.name);
  private readonly stopping = new AbortController();
  /** Contacts already checked to have WhatsApp during this connection. */
  private readonly reachable = new Set<string>();
  private running?: Promise<void>;
  private lastResetRead?: Promise<Date | undefined>;
  private finished = false;

  constructor(
    readonly userId: string,
    private readonly deps: DeliveryWorkerDeps,
  ) {}

  start(): void {
    this.running ??= this.loop()
      .catch((error: unknown) =>
        this.logger.error(
          logLine(
            `Delivery for user ${this.userId} stopped: ${describeSendError(error)}`,
            { userId: this.userId },
          ),
        ),
      )
      .finally(() => {
        this.finished = true;
      });
  }

  /** Started and not yet ended (a worker ends when the session is no longer connected). */
  get active(): boolean {
    return this.running !== undefined && !this.finished;
  }

  /** Stops after the current step; a message mid-send is retried with its id by the next worker. */
  async stop(): Promise<void> {
    this.stopping.abort();
    await this.running;
  }

  private get stopped(): boolean {
    return this.stopping.signal.aborted;
  }

  private async loop(): Promise<void> {
    const { repository, sender, wakeUps, config } = this.deps;
    while (!this.stopped && sender.isConnected(this.userId)) {
      const now = new Date();
      const due = await repository.nextDue(this.userId, now);
      if (!due) {
        // Idle until woken: by an accepted message in this process, or by the
        // coordinator's one poll for all workers (due scheduled messages,
        // messages another instance accepted). The timeout is a backstop.
        await wakeUps.waitFor(
          this.userId,
          config.pollIntervalMs * IDLE_BACKSTOP_POLLS,
          this.stopping.signal,
        );
        continue;
      }
      if (due.expiresAt <= now) {
        await this.finish(due, 'expired', 'EXPIRED', 'expired');
        continue;
      }
      if (acceptedBefore(due, await this.lastReset())) {
        // The reset's own failing of the queue did not finish (a crash): this
        // message was meant for the account that was reset, not this one.
        await this.finish(due, 'failed', 'SESSION_RESET', 'session_reset');
        continue;
      }
      const attempted = await this.deliver(due);
      if (attempted) await this.pace();
    }
  }

  /**
   * Read once per worker, when a message is first due (a connection with an
   * empty outbox costs no read): a reset ends the connection, and this worker
   * with it.
   */
  private lastReset(): Promise<Date | undefined> {
    this.lastResetRead ??= this.deps.resets.lastResetAt(this.userId);
    return this.lastResetRead;
  }

  /** One attempt; false when nothing was sent (so no pacing is owed). */
  private async deliver(due: StoredMessage): Promise<boolean> {
    const { repository, sender, events, config } = this.deps;
    if (!(await this.hasWhatsApp(due.to))) {
      await this.finish(due, 'failed', 'NOT_ON_WHATSAPP', 'not_on_whatsapp');
      return false;
    }
    const sending = await repository.markSending(due);
    if (!sending || this.stopped) return false;
    this.deps.notifier.changed(sending);
    // Subscribe before sending: a receipt can arrive before sendMessage resolves.
    const ack = events.waitFor(
      this.userId,
      acknowledgedAndStored(sending._id),
      config.ackTimeoutMs,
    );
    try {
      await sender.sendText(
        this.userId,
        sending.to,
        sending.text,
        sending.whatsappMessageId,
      );
    } catch (error) {
      ack.cancel();
      await this.afterFailedSend(sending, error);
      return true;
    }
    // A stop (pause, shutdown) must not wait out the ack timeout: the message
    // goes back to the queue and is retried with its id by the next worker.
    const stopWaiting = () => ack.cancel();
    this.stopping.signal.addEventListener('abort', stopWaiting, { once: true });
    if (this.stopped) ack.cancel();
    const acknowledged = await ack.promise;
    this.stopping.signal.removeEventListener('abort', stopWaiting);
    if (!acknowledged) await this.afterAckTimeout(sending);
    return true;
  }

  private async hasWhatsApp(phone: string): Promise<boolean> {
    if (this.reachable.has(phone)) return true;
    const exists = await this.deps.sender.isOnWhatsApp(this.userId, phone);
    if (exists) this.reachable.add(phone);
    return exists;
  }

  private async afterFailedSend(
    message: StoredMessage,
    error: unknown,
  ): Promise<void> {
    const fields = { userId: this.userId, messageId: message._id };
    if (
      !isConnectionTrouble(error) &&
      message.attempts >= this.deps.config.maxSendAttempts
    ) {
      this.logger.warn(
        logLine(
          `Message ${message._id} of user ${this.userId} rejected after ${message.attempts} attempts: ${describeSendError(error)}`,
          fields,
        ),
      );
      await this.finish(message, 'failed', 'REJECTED', 'rejected');
      return;
    }
    this.logger.warn(
      logLine(
        `Sending message ${message._id} of user ${this.userId} failed (${describeSendError(error)}); it stays queued`,
        fields,
      ),
    );
    await this.requeue(message);
  }

  private async afterAckTimeout(message: StoredMessage): Promise<void> {
    this.logger.warn(
      logLine(
        `No acknowledgement for message ${message._id} of user ${this.userId}; retrying with the same id`,
        { userId: this.userId, messageId: message._id },
      ),
    );
    await this.requeue(message);
  }

  private async requeue(message: StoredMessage): Promise<void> {
    const queued = await this.deps.repository.requeue(message._id);
    if (queued) this.deps.notifier.changed(queued);
  }

  private async finish(
    message: StoredMessage,
    status: 'failed' | 'expired',
    code: string,
    reason: 'expired' | 'not_on_whatsapp' | 'rejected' | 'session_reset',
  ): Promise<void> {
    const done = await this.deps.repository.fail(
      message._id,
      ['scheduled', 'queued', 'sending'],
      status,
      { code, reason },
    );
    if (done) this.deps.notifier.changed(done);
  }

  /** At least the send interval between two sends, plus up to half of it again at random. */
  private async pace(): Promise<void> {
    const interval = this.deps.config.sendIntervalMs;
    const delay = interval + Math.random() * (interval / 2);
    try {
      await sleep(delay, undefined, { signal: this.stopping.signal });
    } catch (error) {
      // Aborted by stop(): the loop ends at its next check.
      if ((error as Error).name !== 'AbortError') throw error;
    }
  }
}
