/**
 * The simulator's messaging, wired together: the relay for what linked devices send, the phones for what
 * tests make contacts do, the receipts both produce, and what each phone decrypted. Every step runs in
 * one queue (see StepQueue).
 */
import type { BinaryNode } from '@whiskeysockets/baileys';
import type { EdgeConnection } from '../edge-connection';
import type { PhoneDirectory } from '../phone-directory';
import type { EventLog } from '../sim-events';
import type {
  AckKind,
  ReceivedMessage,
  SendFromContactOptions,
  SimUser,
} from '../sim-types';
import { ContactPhones } from './contact-phones';
import type { DeviceMailbox } from './device-mailbox';
import { MessageRelay } from './message-relay';
import { PhoneInboxes } from './phone-inboxes';
import { Receipts } from './receipts';
import { StepQueue } from './step-queue';

export class Messaging {
  private readonly steps = new StepQueue();
  private readonly inboxes = new PhoneInboxes();
  private readonly receipts: Receipts;
  private readonly relay: MessageRelay;
  private readonly contacts: ContactPhones;

  constructor(phones: PhoneDirectory, log: EventLog, mailbox: DeviceMailbox) {
    this.receipts = new Receipts(phones, log, mailbox);
    this.relay = new MessageRelay(
      phones,
      log,
      mailbox,
      this.receipts,
      this.inboxes,
    );
    this.contacts = new ContactPhones(
      phones,
      log,
      mailbox,
      this.receipts,
      this.inboxes,
    );
  }

  onClientMessage(conn: EdgeConnection, message: BinaryNode): Promise<void> {
    return this.steps.run(() => this.relay.relay(conn, message));
  }

  onClientReceipt(conn: EdgeConnection, node: BinaryNode): void {
    this.relay.recordClientReceipt(conn, node);
  }

  received(phone: SimUser): ReceivedMessage[] {
    return this.inboxes.list(phone);
  }

  sendFromContact(
    phone: SimUser,
    toUser: SimUser,
    text: string,
    options: SendFromContactOptions,
  ): Promise<string> {
    return this.steps.run(() =>
      this.contacts.send(phone, toUser, text, options),
    );
  }

  markRead(phone: SimUser, ids: readonly string[]): Promise<void> {
    return this.steps.run(() => this.contacts.markRead(phone, ids));
  }

  withholdAcks(user: SimUser, kinds: readonly AckKind[]): void {
    this.receipts.withhold(user, kinds);
  }

  releaseAcks(user: SimUser): Promise<void> {
    return this.steps.run(() => this.receipts.release(user));
  }
}
