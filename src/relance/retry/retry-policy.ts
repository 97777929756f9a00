import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { whatsappConfig } from '../../config/whatsapp.config';
import {
  CONNECTION_REPLACED,
  RESTART_REQUIRED,
  TIMED_OUT,
} from './disconnect-codes';
import {
  CloseEvent,
  DisconnectDecision,
  SessionState,
} from './disconnect-decision';

type PolicySettings = Pick<
  ConfigType<typeof whatsappConfig>,
  'maxConnectionFailures' | 'countedDisconnectCodes'
>;

/**
 * The one place that decides what a Baileys close means, and the only place
 * that compares a failure count with the threshold. Pure: no I/O, no clock.
 */
@Injectable()
export class RetryPolicy {
  private readonly countedCodes: ReadonlySet<number>;

  constructor(
    @Inject(whatsappConfig.KEY) private readonly settings: PolicySettings,
  ) {
    this.countedCodes = new Set(settings.countedDisconnectCodes);
  }

  get maxConnectionFailures(): number {
    return this.settings.maxConnectionFailures;
  }

  /**
   * The whole decision about one close, from the count held before it. Asked
   * once per close; the caller applies every field.
   */
  decide(close: CloseEvent, state: SessionState): DisconnectDecision {
    const unchanged = {
      countFailure: false,
      failureCount: state.failureCount,
      deleteSession: false,
    };
    if (close.code === RESTART_REQUIRED) {
      return {
        ...unchanged,
        outcome: 'restart_required',
        reconnect: 'now',
        status: 'connecting',
        requiresQr: false,
      };
    }
    if (this.isLinkExpiry(close)) {
      // Nobody scanned the QR or typed the code in time: the user asks again.
      return {
        ...unchanged,
        outcome:
          close.awaitingPairing === true ? 'pairing_expired' : 'qr_expired',
        reconnect: 'never',
        status: 'disconnected',
        requiresQr: true,
      };
    }
    if (!close.linked) {
      // Nothing was ever linked on this socket: no session to keep or retry.
      return {
        ...unchanged,
        outcome: 'not_linked',
        reconnect: 'never',
        status: 'disconnected',
        requiresQr: true,
      };
    }
    if (this.isCounted(close.code)) {
      return this.decideCountedFailure(state.failureCount + 1);
    }
    if (close.code === CONNECTION_REPLACED) {
      return {
        ...unchanged,
        outcome: 'connection_replaced',
        reconnect: 'never',
        status: 'disconnected',
        requiresQr: false,
      };
    }
    return {
      ...unchanged,
      outcome: 'transient',
      reconnect: 'later',
      status: 'connecting',
      requiresQr: false,
    };
  }

  /** A stored count at or above the threshold (e.g. after it was lowered) means the files must go before a new QR. */
  mustResetBeforeQr(storedFailureCount: number): boolean {
    return storedFailureCount >= this.maxConnectionFailures;
  }

  /** The lowest count at which one more counted failure deletes the session. */
  get atRiskFailureCount(): number {
    return Math.max(0, this.maxConnectionFailures - 1);
  }

  private decideCountedFailure(failureCount: number): DisconnectDecision {
    if (failureCount >= this.maxConnectionFailures) {
      return {
        outcome: 'threshold_reached',
        countFailure: true,
        failureCount: 0,
        deleteSession: true,
        reconnect: 'never',
        status: 'disconnected',
        requiresQr: true,
      };
    }
    return {
      outcome: 'counted_failure',
      countFailure: true,
      failureCount,
      deleteSession: false,
      reconnect: 'later',
      status: 'connecting',
      requiresQr: false,
    };
  }

  private isCounted(code: number | undefined): boolean {
    return code !== undefined && this.countedCodes.has(code);
  }

  /** Baileys closes a socket with 408 once its QR refs run out; a pairing code lives on those refs. */
  private isLinkExpiry(close: CloseEvent): boolean {
    return (
      (close.awaitingQr || close.awaitingPairing === true) &&
      close.code === TIMED_OUT
    );
  }
}
