/** A close as reported by the socket. */
export interface SocketClose {
  code?: number;
  message?: string;
}

/** What a socket reports; the lifecycle service decides what each event means. */
export interface SocketHandlers {
  onQr(qr: string): void;
  /** The device was just linked by a QR scan; a 515 restart follows. */
  onPaired(): void;
  onOpen(): void;
  onClose(close: SocketClose): void;
}

/** One live WhatsApp Web connection for one user. */
export interface WhatsAppSocket {
  /** Closes the connection and keeps the device linked. */
  end(): void;
  /** Unlinks the device on WhatsApp's side; rejects if the socket is not open. */
  logout(): Promise<void>;
}

/** The port to WhatsApp: production binds Baileys, tests bind fakes. */
export abstract class WhatsAppSocketFactory {
  abstract create(
    userId: string,
    handlers: SocketHandlers,
  ): Promise<WhatsAppSocket>;
}
