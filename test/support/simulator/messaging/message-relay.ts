/**
 * The edge's message switch. For a <message> from a linked device it acks, hands every <to> to its device
 * (a simulated phone decrypts it; a companion device gets it forwarded or kept until its next login), then
 * sends the receipts Baileys turns into statuses: the sender's own phone's "sender" receipt (SERVER_ACK)
 * and the recipient phone's delivery receipt (DELIVERY_ACK). Phones send messages and read receipts on
 * the test's request. All of it runs one step at a time so Signal sessions advance in a fixed order.
 */
import { randomBytes } from 'node:crypto';
import {
  getBinaryNodeChild,
  getBinaryNodeChildren,
  type BinaryNode,
} from '@whiskeysockets/baileys';
import type { EdgeConnection } from '../edge-connection';
import {
  lidJidOf,
  phoneJidOf,
  type DeviceRecord,
  type PhoneAccount,
  type PhoneDirectory,
} from '../phone-directory';
import { reportFailure } from '../report-failure';
import type { PreKeyBundle } from '../signal/prekey-bundle';
import type { EventLog } from '../sim-events';
import {
  simUserOf,
  type AckKind,
  type ReceivedMessage,
  type SendFromContactOptions,
  type SimUser,
} from '../sim-types';
import { AckGate, type Send } from './ack-gate';
import type { DeviceMailbox } from './device-mailbox';
import { decodeContent, encodeText } from './message-content';
import {
  forwardedMessage,
  incomingMessage,
  receipt,
  serverAck,
} from './message-stanzas';
import { PhoneInboxes } from './phone-inboxes';

interface Addressed {
  readonly jid: string;
  readonly enc: BinaryNode;
}

interface AckSpec {
  readonly conn: number;
  readonly kind: AckKind;
  /** Whose device(s) get it. */
  readonly user: SimUser;
  readonly from?: SimUser;
  readonly ids: readonly string[];
  readonly send: Send;
}

/** The jid a phone's own stanzas carry, per its addressing, and the other one alongside. */
const addressedJid = (account: PhoneAccount): string =>
  account.addressing === 'lid' ? lidJidOf(account) : phoneJidOf(account.user);
const alternateJid = (account: PhoneAccount): string =>
  account.addressing === 'lid' ? phoneJidOf(account.user) : lidJidOf(account);

const newMessageId = (): string =>
  `3EB0${randomBytes(10).toString('hex').toUpperCase()}`;

/** One <enc> per device in <participants>, or a single <enc> for the stanza's `to` (retries, peer messages). */
const addressedCopies = (message: BinaryNode): Addressed[] => {
  const participants = getBinaryNodeChild(message, 'participants');
  if (participants) {
    return getBinaryNodeChildren(participants, 'to').flatMap((to) => {
      const enc = getBinaryNodeChild(to, 'enc');
      return enc && to.attrs.jid ? [{ jid: to.attrs.jid, enc }] : [];
    });
  }
  const enc = getBinaryNodeChild(message, 'enc');
  return enc && message.attrs.to ? [{ jid: message.attrs.to, enc }] : [];
};

const receiptIds = (node: BinaryNode): string[] => [
  node.attrs.id,
  ...getBinaryNodeChildren(getBinaryNodeChild(node, 'list'), 'item').map(
    (item) => item.attrs.id,
  ),
];

export class MessageRelay {
  private readonly gate = new AckGate();
  private readonly inboxes = new PhoneInboxes();
  private steps: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly phones: PhoneDirectory,
    private readonly log: EventLog,
    private readonly mailbox: DeviceMailbox,
  ) {}

  // ------------------------------------------------------------------ from linked devices

  onClientMessage(conn: EdgeConnection, message: BinaryNode): Promise<void> {
    return this.oneAtATime(() => this.relay(conn, message));
  }

  /** Receipts a linked device sends for messages it received: recorded, nothing to route in the simulator. */
  onClientReceipt(conn: EdgeConnection, node: BinaryNode): void {
    if (!conn.device) return;
    this.log.record({
      type: 'client-receipt',
      conn: conn.id,
      user: conn.device.user,
      jid: conn.device.jid,
      to: node.attrs.to ?? '',
      ids: receiptIds(node),
      receiptType: node.attrs.type ?? 'delivery',
    });
  }

  // ------------------------------------------------------------------ on the test's request

  received(phone: SimUser): ReceivedMessage[] {
    return this.inboxes.list(phone);
  }

  sendFromContact(
    phone: SimUser,
    toUser: SimUser,
    text: string,
    options: SendFromContactOptions,
  ): Promise<string> {
    return this.oneAtATime(async () => {
      const contact = this.requireAccount(phone);
      const companions = this.phones.companionsOf(toUser);
      if (companions.length === 0)
        throw new Error(`${toUser} has no linked device to send to`);
      const id = options.id ?? newMessageId();
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
    });
  }

  markRead(phone: SimUser, ids: readonly string[]): Promise<void> {
    return this.oneAtATime(async () => {
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
        await this.ack({
          conn: 0,
          kind: 'read-receipt',
          user: sender,
          from: contact.user,
          ids: senderIds,
          send: () =>
            this.toDevicesOf(
              sender,
              receipt({
                ids: senderIds,
                from: addressedJid(contact),
                type: 'read',
              }),
            ),
        });
      }
    });
  }

  withholdAcks(user: SimUser, kinds: readonly AckKind[]): void {
    this.gate.withhold(user, kinds);
  }

  releaseAcks(user: SimUser): Promise<void> {
    return this.oneAtATime(async () => {
      for (const send of this.gate.release(user)) await send();
    });
  }

  // ------------------------------------------------------------------ the switch

  private async relay(
    conn: EdgeConnection,
    message: BinaryNode,
  ): Promise<void> {
    const sender = conn.device;
    if (!sender) return;
    const { id, to } = message.attrs;
    const destination = this.phones.resolve(to)?.account;
    const copies = addressedCopies(message);
    this.log.record({
      type: 'message-sent',
      conn: conn.id,
      user: sender.user,
      jid: sender.jid,
      to: destination?.user ?? simUserOf(to ?? ''),
      id,
      devices: copies.length,
      onWhatsApp: destination !== undefined,
    });
    await this.ack({
      conn: conn.id,
      kind: 'server-ack',
      user: sender.user,
      ids: [id],
      send: () => conn.sendNode(serverAck(message)),
    });

    const decryptedBy = new Set<PhoneAccount>();
    for (const copy of copies) {
      const reader = await this.handOver(conn, sender, message, copy);
      if (reader) decryptedBy.add(reader);
    }
    // Peer messages (app-state key requests…) are between the user's own devices: no receipts.
    if (message.attrs.category === 'peer') return;

    await this.ack({
      conn: conn.id,
      kind: 'sender-receipt',
      user: sender.user,
      from: sender.user,
      ids: [id],
      send: () =>
        this.toDevicesOf(
          sender.user,
          receipt({
            ids: [id],
            from: phoneJidOf(sender.user),
            recipient: to,
            type: 'sender',
          }),
        ),
    });
    for (const reader of decryptedBy) {
      await this.ack({
        conn: conn.id,
        kind: 'delivery-receipt',
        user: sender.user,
        from: reader.user,
        ids: [id],
        send: () =>
          this.toDevicesOf(
            sender.user,
            receipt({ ids: [id], from: addressedJid(reader) }),
          ),
      });
    }
  }

  /** Gives one encrypted copy to its device; resolves with the phone account when a phone decrypted it. */
  private async handOver(
    conn: EdgeConnection,
    sender: DeviceRecord,
    message: BinaryNode,
    { jid, enc }: Addressed,
  ): Promise<PhoneAccount | undefined> {
    const target = this.phones.resolve(jid);
    if (!target) return undefined;
    const ownDevice = target.account.user === sender.user;
    if (target.device !== 0) {
      const companion = this.phones.companion(
        target.account.user,
        target.device,
      );
      if (companion) {
        await this.mailbox.deliver(
          companion.jid,
          forwardedMessage(
            message,
            sender.jid,
            enc,
            ownDevice ? message.attrs.to : undefined,
          ),
        );
      }
      return undefined;
    }
    // The sender's own phone keeps its device-sent copy; the simulator does not model what it does with it.
    if (ownDevice) return undefined;
    return (await this.decryptAtPhone(
      conn,
      target.account,
      sender,
      message.attrs.id,
      enc,
    ))
      ? target.account
      : undefined;
  }

  private async decryptAtPhone(
    conn: EdgeConnection,
    phone: PhoneAccount,
    sender: DeviceRecord,
    id: string,
    enc: BinaryNode,
  ): Promise<boolean> {
    const type = enc.attrs.type;
    const failed = (reason: string): false => {
      this.log.record({
        type: 'message-undecryptable',
        conn: conn.id,
        user: phone.user,
        from: sender.user,
        id,
        reason,
      });
      reportFailure(`phone ${phone.user} decrypting ${id}`)(new Error(reason));
      return false;
    };
    if (
      !(enc.content instanceof Uint8Array) ||
      (type !== 'pkmsg' && type !== 'msg')
    )
      return failed(`unsupported <enc type="${type}">`);
    try {
      const plaintext = await phone.phone.decrypt(
        { user: sender.user, device: sender.deviceId },
        type,
        enc.content,
      );
      const duplicate = this.inboxes.has(phone.user, id);
      this.inboxes.add(phone.user, {
        id,
        text: decodeContent(plaintext).text,
        from: sender.user,
        fromDevice: sender.jid,
        at: Date.now(),
        encryption: type,
        duplicate,
      });
      this.log.record({
        type: 'message-decrypted',
        conn: conn.id,
        user: phone.user,
        from: sender.user,
        id,
        encryption: type,
        duplicate,
      });
      return true;
    } catch (error) {
      return failed(error instanceof Error ? error.message : String(error));
    }
  }

  // ------------------------------------------------------------------ helpers

  private async ack(spec: AckSpec): Promise<void> {
    const { send, ...fields } = spec;
    const sent = await this.gate.pass(spec.user, spec.kind, async () => {
      await send();
      this.log.record({ type: 'ack', ...fields });
    });
    if (!sent) this.log.record({ type: 'ack-withheld', ...fields });
  }

  /** Receipts go to every linked device of the user, like the real edge; offline ones get them at login. */
  private async toDevicesOf(user: SimUser, node: BinaryNode): Promise<void> {
    for (const device of this.phones.companionsOf(user)) {
      await this.mailbox.deliver(device.jid, node);
    }
  }

  private bundleOf(companion: DeviceRecord): PreKeyBundle {
    const account = this.requireAccount(companion.user);
    const bundle = this.phones.takeBundle({
      account,
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

  private oneAtATime<T>(step: () => Promise<T>): Promise<T> {
    const result = this.steps.then(step);
    // `result` carries a failure to this step's caller; the chain only needs to know the step is over.
    this.steps = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }
}
