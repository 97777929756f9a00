/** What each simulated phone decrypted, in arrival order, duplicates included. Texts stay here, never in the log. */
import type { ReceivedMessage, SimUser } from '../sim-types';

export class PhoneInboxes {
  private readonly inboxes = new Map<SimUser, ReceivedMessage[]>();

  add(phone: SimUser, message: ReceivedMessage): void {
    this.inboxes.set(phone, [...this.list(phone), message]);
  }

  list(phone: SimUser): ReceivedMessage[] {
    return [...(this.inboxes.get(phone) ?? [])];
  }

  has(phone: SimUser, id: string): boolean {
    return this.list(phone).some((message) => message.id === id);
  }

  /** The first arrival of `id` at `phone`, which names its sender. */
  find(phone: SimUser, id: string): ReceivedMessage | undefined {
    return this.list(phone).find((message) => message.id === id);
  }
}
