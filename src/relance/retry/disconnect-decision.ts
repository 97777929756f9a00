import { WhatsAppStatus } from '../whatsapp-status';

/** One closed connection, as the policy sees it. */
export interface CloseEvent {
  /** Baileys' `lastDisconnect.error.output.statusCode`; undefined when the socket was ended without an error. */
  code?: number;
  /** We ended this socket ourselves (disconnect, shutdown, replaced socket). */
  endedByUs: boolean;
  /** The socket was showing a QR code and nobody had scanned it yet. */
  awaitingQr: boolean;
}

export interface SessionState {
  /** Consecutive counted failures recorded before this close. */
  failureCount: number;
}

export type ReconnectTiming = 'now' | 'later' | 'never';

export type DecisionOutcome =
  | 'ignored'
  | 'restart_required'
  | 'qr_expired'
  | 'connection_replaced'
  | 'counted_failure'
  | 'threshold_reached'
  | 'transient';

/** What to do about a close. Plain data: the lifecycle service acts on it. */
export interface DisconnectDecision {
  outcome: DecisionOutcome;
  countFailure: boolean;
  /** The consecutive count once this decision is applied. */
  failureCount: number;
  deleteSession: boolean;
  reconnect: ReconnectTiming;
  status: WhatsAppStatus;
  requiresQr: boolean;
}
