import { Fence } from '../../cluster/ownership/fence';
import { ReceiptStatus } from '../events/session-events';

/** A code to type in WhatsApp > Linked devices > "Link with phone number instead". */
export interface PairingCode {
  /** As WhatsApp shows it and the user types it, e.g. `ABCD-EFGH`. */
  code: string;
  /** When the socket stops accepting it (its link window closes with a 408). */
  expiresAt: Date;
}

/** A close as reported by the socket. */
export interface SocketClose {
  code?: number;
  message?: string;
}

/** What a socket reports; the supervisor decides what each event means. */
export interface SocketHandlers {
  onQr(qr: string): void;
  /** The device was just linked by a QR scan; a 515 restart follows. */
  onPaired(): void;
  onOpen(): void;
  onClose(close: SocketClose): void;
  /** WhatsApp moved the status of a message this user sent (never backwards is the receiver's job). */
  onReceipt(whatsappMessageId: string, status: ReceiptStatus): void;
  /** A contact sent this user a message; `from` is the contact's phone digits. */
  onMessage(from: string): void;
}

/** One live WhatsApp Web connection for one user. */
export interface WhatsAppSocket {
  /** Closes the connection and keeps the device linked. */
  end(): void;
  /** Unlinks the device on WhatsApp's side; rejects if the socket is not open. */
  logout(): Promise<void>;
  /** Sends a text with the id we chose, so a retry of the same message reuses it. */
  sendText(to: string, text: string, messageId: string): Promise<void>;
  /** Whether the phone number (digits) has a WhatsApp account. */
  isOnWhatsApp(phone: string): Promise<boolean>;
  /**
   * Asks WhatsApp for a code that links this (not yet linked) socket to the
   * phone `phone` (international digits) instead of a QR scan. Valid only once
   * the socket has shown a QR; rejects if it is linked or closed.
   */
  requestPairingCode(phone: string): Promise<PairingCode>;
}

/** The port to WhatsApp: production binds Baileys, tests bind fakes. */
export abstract class WhatsAppSocketFactory {
  /** `fence`: the lease epoch the socket's credential writes carry (several instances). */
  abstract create(
    userId: string,
    handlers: SocketHandlers,
    fence?: Fence,
  ): Promise<WhatsAppSocket>;
}
