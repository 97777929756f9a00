/** Raised when a send is attempted while the user's session is not connected. */
export class SessionNotConnectedError extends Error {
  constructor(userId: string) {
    super(`The WhatsApp session of user ${userId} is not connected`);
    this.name = 'SessionNotConnectedError';
  }
}

/**
 * What the messaging side may do with a user's session: ask whether it is
 * connected and send through it. It never sees or changes session state.
 */
export abstract class SessionSender {
  abstract isConnected(userId: string): boolean;
  /** Rejects with SessionNotConnectedError when the session is not connected. */
  abstract sendText(
    userId: string,
    to: string,
    text: string,
    messageId: string,
  ): Promise<void>;
  abstract isOnWhatsApp(userId: string, phone: string): Promise<boolean>;
}
