import { WhatsAppStatus } from '../whatsapp-status';
import { WhatsAppSocket } from './whatsapp-socket';

/** How a socket is started. */
export interface SessionStart {
  /** Started by the user (GET /qr): it may show a QR code. Background starts never do. */
  interactive: boolean;
  /** The device was linked by a QR scan just before this start (the 515 restart). */
  afterQrScan: boolean;
  /** The socket runs on linked credentials. */
  linked: boolean;
  /**
   * The stored failure count, when the caller already knows it (a reconnect
   * decided by the previous close); unknown counts are read by the start's write.
   */
  failureCount?: number;
}

/** What other classes may read of a live session. */
export interface LiveSessionView {
  readonly userId: string;
  readonly status: WhatsAppStatus;
  readonly latestQr?: string;
}

/**
 * This process's live connection for one user. Only the SessionSupervisor
 * creates and changes it; everyone else sees a LiveSessionView.
 */
export class LiveSession implements LiveSessionView {
  socket?: WhatsAppSocket;
  status: WhatsAppStatus = 'connecting';
  latestQr?: string;
  /** Set before we end the socket ourselves; its later events are ignored. */
  ended = false;
  /** Baileys reported a new login (QR scanned) on this socket. */
  paired = false;
  interactive: boolean;
  readonly afterQrScan: boolean;
  linked: boolean;
  /** The consecutive failure count stored for the user, as of this socket's start. */
  failureCount = 0;

  constructor(
    readonly userId: string,
    start: SessionStart,
  ) {
    this.interactive = start.interactive;
    this.afterQrScan = start.afterQrScan;
    this.linked = start.linked;
  }
}
