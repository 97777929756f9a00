import { Fence } from '../../cluster/ownership/fence';
import { LinkMethod } from '../link-method';
import { WhatsAppStatus } from '../whatsapp-status';
import { PairingCode, WhatsAppSocket } from './whatsapp-socket';

/** How a socket is started. */
export interface SessionStart {
  /** Started by the user (GET /qr, POST /pairing-code): it may link a device. Background starts never do. */
  interactive: boolean;
  /** The device was linked just before this start (the 515 restart), by a QR scan or a typed code. */
  linkedBy?: LinkMethod;
  /** The socket runs on linked credentials. */
  linked: boolean;
  /**
   * The stored failure count, when the caller already knows it (a reconnect
   * decided by the previous close); unknown counts are read by the start's write.
   */
  failureCount?: number;
  /** Link by code: the socket's first QR asks WhatsApp for a pairing code for this number instead. */
  pairingPhone?: string;
}

/** A pairing code shown to the user, and the phone number it links to. */
export interface PendingPairing extends PairingCode {
  readonly phone: string;
}

/** What other classes may read of a live session. */
export interface LiveSessionView {
  readonly userId: string;
  readonly status: WhatsAppStatus;
  readonly latestQr?: string;
  readonly pairing?: PendingPairing;
}

/**
 * This process's live connection for one user. Only the SessionSupervisor
 * creates and changes it; everyone else sees a LiveSessionView.
 */
export class LiveSession implements LiveSessionView {
  socket?: WhatsAppSocket;
  status: WhatsAppStatus = 'connecting';
  /** The socket's latest QR, kept while a pairing code is shown too (GET /qr switches back to it). */
  latestQr?: string;
  /** The code the user is asked to type, while the status is `awaiting_pairing`. */
  pairing?: PendingPairing;
  /** A code was asked for before the socket showed any QR: its first QR asks for one. */
  pairingPhone?: string;
  /** Set before we end the socket ourselves; its later events are ignored. */
  ended = false;
  /** Baileys reported a new login (QR scanned or code typed) on this socket. */
  paired = false;
  interactive: boolean;
  readonly linkedBy?: LinkMethod;
  linked: boolean;
  /** The lease epoch this socket's writes carry (several instances); absent on a single instance. */
  fence?: Fence;
  /** The consecutive failure count stored for the user, as of this socket's start. */
  failureCount = 0;

  constructor(
    readonly userId: string,
    start: SessionStart,
  ) {
    this.interactive = start.interactive;
    this.linkedBy = start.linkedBy;
    this.linked = start.linked;
    this.pairingPhone = start.pairingPhone;
  }

  /** How a new login on this socket happened: what the user was last shown. */
  get linkMethodInUse(): LinkMethod {
    return this.status === 'awaiting_pairing' ? 'code' : 'qr';
  }
}
