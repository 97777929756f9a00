/**
 * The edge's message switch, for a <message> from a linked device: it acks it, hands every <to> to its
 * device (a simulated phone decrypts it; a companion device gets it forwarded, or at its next login), then
 * sends the receipts Baileys turns into statuses: the sender's own phone's "sender" receipt (SERVER_ACK)
 * and each recipient phone's delivery receipt (DELIVERY_ACK).
 */
import {
  getBinaryNodeChild,
  getBinaryNodeChildren,
  type BinaryNode,
} from '@whiskeysockets/baileys';
import type { EdgeConnection } from '../edge-connection';
import {
  phoneJidOf,
  type DeviceRecord,
  type PhoneAccount,
  type PhoneDirectory,
} from '../phone-directory';
import { reportFailure } from '../report-failure';
import type { EventLog } from '../sim-events';
import { simUserOf } from '../sim-types';
import { addressedJid } from './addressing';
import type { DeviceMailbox } from './device-mailbox';
import { decodeContent } from './message-content';
import { forwardedMessage, receipt, serverAck } from './message-stanzas';
import type { PhoneInboxes } from './phone-inboxes';
import type { Receipts } from './receipts';

interface Addressed {
  readonly jid: string;
  readonly enc: BinaryNode;
}

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
  constructor(
    private readonly phones: PhoneDirectory,
    private readonly log: EventLog,
    private readonly mailbox: DeviceMailbox,
    private readonly receipts: Receipts,
    private readonly inboxes: PhoneInboxes,
  ) {}

  async relay(conn: EdgeConnection, message: BinaryNode): Promise<void> {
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
    await this.receipts.send({
      conn: conn.id,
      kind: 'server-ack',
      user: sender.user,
      ids: [id],
      send: () => conn.sendNode(serverAck(message)),
    });

    const readers = new Set<PhoneAccount>();
    for (const copy of copies) {
      const reader = await this.handOver(conn, sender, message, copy);
      if (reader) readers.add(reader);
    }
    // Peer messages (app-state key requests…) are between the user's own devices: no receipts.
    if (message.attrs.category === 'peer') return;

    await this.receipts.send({
      conn: conn.id,
      kind: 'sender-receipt',
      user: sender.user,
      from: sender.user,
      ids: [id],
      send: () =>
        this.receipts.toDevicesOf(
          sender.user,
          receipt({
            ids: [id],
            from: phoneJidOf(sender.user),
            recipient: to,
            type: 'sender',
          }),
        ),
    });
    for (const reader of readers) {
      await this.receipts.send({
        conn: conn.id,
        kind: 'delivery-receipt',
        user: sender.user,
        from: reader.user,
        ids: [id],
        send: () =>
          this.receipts.toDevicesOf(
            sender.user,
            receipt({ ids: [id], from: addressedJid(reader) }),
          ),
      });
    }
  }

  /** Receipts a linked device sends for messages it received: recorded, nothing to route in the simulator. */
  recordClientReceipt(conn: EdgeConnection, node: BinaryNode): void {
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

  /** Gives one encrypted copy to its device; resolves with the phone's account when a phone decrypted it. */
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
        const recipient = ownDevice ? message.attrs.to : undefined;
        await this.mailbox.deliver(
          companion.jid,
          forwardedMessage(message, sender.jid, enc, recipient),
        );
      }
      return undefined;
    }
    // The sender's own phone keeps its device-sent copy; the simulator does not model what it does with it.
    if (ownDevice) return undefined;
    const decrypted = await this.decryptAtPhone(
      conn,
      target.account,
      sender,
      message.attrs.id,
      enc,
    );
    return decrypted ? target.account : undefined;
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
}
