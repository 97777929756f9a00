/**
 * When a user's session was last reset: its credentials deleted at the
 * failure threshold or by a force disconnect. The next link may be another
 * WhatsApp account, so nothing accepted before that instant may be sent
 * from it. Stored before the credentials go, so it outlives a crash that
 * comes before the messaging side has failed the queue.
 */
export abstract class SessionResets {
  abstract lastResetAt(userId: string): Promise<Date | undefined>;
}
