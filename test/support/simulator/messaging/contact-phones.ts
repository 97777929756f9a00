/**
 * What simulated phones do on the test's request: send a text to a user's linked devices (encrypted to
 * the keys each device published) and read messages they received (read receipts to the senders).
 */
import { randomBytes } from 'node:crypto';
import type {
  DeviceRecord,
  PhoneAccount,
  PhoneDirectory,
} from '../phone-directory';
import type { PreKeyBundle } from '../signal/prekey-bundle';
import type { EventLog } from '../sim-events';
import type { SendFromContactOptions, SimUser } from '../sim-types';
import { addressedJid, alternateJid } from './addressing';
import type { DeviceMailbox } from './device-mailbox';
import { encodeText } from './message-content';
import { incomingMessage, receipt } from './message-stanzas';
import type { PhoneInboxes } from './phone-inboxes';
import type { Receipts } from './receipts';

const newMessageId = (): string =>
  `3EB0${randomBytes(10).toString('hex').toUpperCase()}`;

export class ContactPhones {
  constructor(
    private readonly phones: PhoneDirectory,
    private readonly log: EventLog,
    private readonly mailbox: DeviceMailbox,
    private readonly receipts: Receipts,
    private readonly inboxes: PhoneInboxes,
  ) {}

  async send(
    phone: SimUser,
    toUser: SimUser,
    text: string,
    { id = newMessageId() }: SendFromContactOptions,
  ): Promise<string> {
    const contact = this.requireAccount(phone);
    const companions = this.phones.companionsOf(toUser);
    if (companions.length === 0)
      throw new Error(`${toUser} has no linked device to send to`);
    const plaintext = encodeText(text);
    for (const companion of companions) {
      const encrypted = await contact.phone.encrypt(
        { user: companion.user, device: companion.deviceId },
        plaintext,
        () => this.bundleOf(companion),
      );
      const conn = await this.mailbox.deliver(
        companion.jid,
        incomingMessage({
          id,
          from: addressedJid(contact),
          senderAlt: alternateJid(contact),
          pushName: contact.pushName,
          encrypted,
        }),
      );
      this.log.record({
        type: 'contact-message',
        conn,
        user: companion.user,
        jid: companion.jid,
        from: contact.user,
        id,
        encryption: encrypted.type,
        queued: conn === 0,
      });
    }
    return id;
  }

  async markRead(phone: SimUser, ids: readonly string[]): Promise<void> {
    const contact = this.requireAccount(phone);
    const idsBySender = new Map<SimUser, string[]>();
    for (const id of ids) {
      const message = this.inboxes.find(phone, id);
      if (!message) throw new Error(`${phone} never received message ${id}`);
      idsBySender.set(message.from, [
        ...(idsBySender.get(message.from) ?? []),
        id,
      ]);
    }
    for (const [sender, senderIds] of idsBySender) {
      await this.receipts.send({
        conn: 0,
        kind: 'read-receipt',
        user: sender,
        from: contact.user,
        ids: senderIds,
        send: () =>
          this.receipts.toDevicesOf(
            sender,
            receipt({
              ids: senderIds,
              from: addressedJid(contact),
              type: 'read',
            }),
          ),
      });
    }
  }

  private bundleOf(companion: DeviceRecord): PreKeyBundle {
    const bundle = this.phones.takeBundle({
      account: this.requireAccount(companion.user),
      device: companion.deviceId,
    });
    if (!bundle) throw new Error(`no keys for ${companion.jid}`);
    return bundle;
  }

  private requireAccount(phone: SimUser): PhoneAccount {
    const account = this.phones.find(phone);
    if (!account)
      throw new Error(
        `${phone} is not on WhatsApp in this simulator: call sim.addContact(${JSON.stringify(phone)}) first`,
      );
    return account;
  }
}
