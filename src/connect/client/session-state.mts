import type {
  PairingCode,
  QrCode,
  StatusChange,
  StatusSnapshot,
  StopReason,
  WhatsAppStatus,
} from './api.mjs';

/** What the page knows about the user's session, folded from the snapshot and the events after it. */
export interface SessionState {
  readonly status: WhatsAppStatus;
  /** Consecutive counted failures (n of "Retrying... (n/N)"). */
  readonly failureCount: number;
  /** N: at this many consecutive failures the server deletes the session. */
  readonly maxFailures: number;
  /** Set while a reconnect is scheduled. */
  readonly nextReconnectAt?: Date;
  /** Why the session stopped, when the server said. */
  readonly reason?: StopReason;
  /** The latest QR code, as a PNG data URL, while awaiting a scan. */
  readonly qrImage?: string;
  /** The latest pairing code and when it stops working, while awaiting it on the phone. */
  readonly pairing?: { readonly code: string; readonly expiresAt: Date };
  /** When WhatsApp was last linked by a scan. */
  readonly linkedAt?: Date;
  /** The server holds credentials: reconnecting needs no scan. */
  readonly sessionStored: boolean;
}

const DELETES_SESSION: ReadonlySet<StopReason | undefined> =
  new Set<StopReason>(['threshold', 'force']);

const dateOrUndefined = (value: string | null | undefined): Date | undefined =>
  value ? new Date(value) : undefined;

/**
 * A snapshot replaces what the page knew, except what a snapshot cannot
 * carry: the QR or pairing code being shown and why the session stopped, kept while the
 * status they belong to lasts (e.g. across a reopened stream).
 */
export function fromSnapshot(
  snapshot: StatusSnapshot,
  previous?: SessionState,
): SessionState {
  const same = previous?.status === snapshot.status;
  return {
    status: snapshot.status,
    failureCount: snapshot.connectionFailureCount,
    maxFailures: snapshot.maxConnectionFailures,
    nextReconnectAt: dateOrUndefined(snapshot.nextReconnectAt),
    reason: same ? previous.reason : undefined,
    qrImage:
      same && snapshot.status === 'awaiting_qr' ? previous.qrImage : undefined,
    pairing:
      same && snapshot.status === 'awaiting_pairing'
        ? previous.pairing
        : undefined,
    linkedAt: dateOrUndefined(snapshot.lastQrScanDate),
    sessionStored: snapshot.sessionStored,
  };
}

/** Takes only the details from a snapshot (the stream stays the source of the status itself). */
export function withDetails(
  state: SessionState,
  snapshot: StatusSnapshot,
): SessionState {
  return {
    ...state,
    maxFailures: snapshot.maxConnectionFailures,
    linkedAt: dateOrUndefined(snapshot.lastQrScanDate),
    sessionStored: snapshot.sessionStored,
  };
}

/** A `status` event: the count is kept unless the event carries a new one. */
export function withStatusChange(
  state: SessionState,
  change: StatusChange,
): SessionState {
  return {
    ...state,
    status: change.status,
    failureCount: change.connectionFailureCount ?? state.failureCount,
    nextReconnectAt: dateOrUndefined(change.nextReconnectAt),
    reason: change.reason,
    qrImage: change.status === 'awaiting_qr' ? state.qrImage : undefined,
    pairing: change.status === 'awaiting_pairing' ? state.pairing : undefined,
    // These two reasons mean the server deleted the credentials: no need to wait for GET /status to know.
    sessionStored: DELETES_SESSION.has(change.reason)
      ? false
      : state.sessionStored,
  };
}

/** A new QR code (from the stream or GET /qr): the session is awaiting a scan. */
export function withQr(state: SessionState, qr: QrCode): SessionState {
  return {
    ...state,
    status: 'awaiting_qr',
    nextReconnectAt: undefined,
    reason: undefined,
    qrImage: qr.qrImage,
    pairing: undefined,
  };
}

/** A new pairing code (from the stream or POST /pairing-code): the session awaits it on the phone. */
export function withPairing(
  state: SessionState,
  pairing: PairingCode,
): SessionState {
  return {
    ...state,
    status: 'awaiting_pairing',
    nextReconnectAt: undefined,
    reason: undefined,
    qrImage: undefined,
    pairing: {
      code: pairing.pairingCode,
      expiresAt: new Date(pairing.expiresAt),
    },
  };
}

/** GET /qr found the session connected. */
export function asConnected(state: SessionState): SessionState {
  return withStatusChange(state, { status: 'connected' });
}
