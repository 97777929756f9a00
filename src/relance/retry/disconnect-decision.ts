import { WhatsAppStatus } from '../whatsapp-status';

/** One closed connection, as the policy sees it. */
export interface CloseEvent {
  /** Baileys' `lastDisconnect.error.output.statusCode`; undefined when the socket was ended without an error. */
  code?: number;
  /** The socket was showing a QR code and nobody had scanned it yet. */
  awaitingQr: boolean;
  /** The socket had issued a pairing code and nobody had typed it yet (absent: no code). */
  awaitingPairing?: boolean;
  /**
   * The socket ran on linked credentials (stored ones, or a scan on this
   * socket). A link attempt that never got a scan has nothing to reconnect.
   */
  linked: boolean;
}

export interface SessionState {
  /** Consecutive counted failures recorded before this close. */
  failureCount: number;
}

export type ReconnectTiming = 'now' | 'later' | 'never';

export type DecisionOutcome =
  | 'restart_required'
  | 'qr_expired'
  | 'pairing_expired'
  | 'connection_replaced'
  | 'not_linked'
  | 'counted_failure'
  | 'threshold_reached'
  | 'transient';

/** What to do about a close. Plain data: the supervisor applies all of it. */
export interface DisconnectDecision {
  outcome: DecisionOutcome;
  countFailure: boolean;
  /** The consecutive count once this decision is applied. */
  failureCount: number;
  deleteSession: boolean;
  reconnect: ReconnectTiming;
  /** The status to store: `connecting` while a reconnect follows, else `disconnected`. */
  status: WhatsAppStatus;
  /** The user must link again (scan a QR or type a pairing code) before this session can run. */
  requiresQr: boolean;
}
