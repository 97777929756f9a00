/**
 * Stanzas the edge sends around messages, shaped the way lib/Socket/messages-recv.js reads them:
 * - the server's <ack class="message">: Baileys only reads it when it carries an error;
 * - receipts: type "sender" from the sender's own phone gives SERVER_ACK, no type gives DELIVERY_ACK,
 *   type "read" gives READ (getStatusFromReceiptType); extra ids ride in <list><item id/></list>;
 * - an incoming <message> with one <enc>, from the sender's phone-number jid or LID with the other
 *   one alongside (extractAddressingContext in lib/Utils/decode-wa-message.js).
 */
import type { BinaryNode } from '@whiskeysockets/baileys';
import type { SignalCiphertext } from '../signal/phone-signal';
import { nowSeconds } from '../stanzas';

export const serverAck = (message: BinaryNode): BinaryNode => ({
  tag: 'ack',
  attrs: {
    id: message.attrs.id,
    class: 'message',
    from: message.attrs.to,
    t: nowSeconds(),
  },
});

export interface ReceiptSpec {
  readonly ids: readonly string[];
  /** Whose receipt it is: the contact's jid, or the sender's own phone for type "sender". */
  readonly from: string;
  /** For "sender": the chat the message went to. */
  readonly recipient?: string;
  /** undefined: delivered. */
  readonly type?: 'sender' | 'read';
}

export const receipt = ({
  ids: [first, ...more],
  from,
  recipient,
  type,
}: ReceiptSpec): BinaryNode => ({
  tag: 'receipt',
  attrs: {
    id: first,
    from,
    t: nowSeconds(),
    ...(recipient ? { recipient } : {}),
    ...(type ? { type } : {}),
  },
  ...(more.length
    ? {
        content: [
          {
            tag: 'list',
            attrs: {},
            content: more.map((id) => ({ tag: 'item', attrs: { id } })),
          },
        ],
      }
    : {}),
});

export interface IncomingMessageSpec {
  readonly id: string;
  /** The sender's jid as the stanza names it (phone-number jid or LID). */
  readonly from: string;
  /** The sender's other jid: `sender_lid` next to a phone-number `from`, `sender_pn` next to a LID. */
  readonly senderAlt: string;
  readonly pushName: string | undefined;
  readonly encrypted: SignalCiphertext;
}

export const incomingMessage = ({
  id,
  from,
  senderAlt,
  pushName,
  encrypted,
}: IncomingMessageSpec): BinaryNode => ({
  tag: 'message',
  attrs: {
    id,
    from,
    type: 'text',
    t: nowSeconds(),
    [from.endsWith('@lid') ? 'sender_pn' : 'sender_lid']: senderAlt,
    ...(pushName ? { notify: pushName } : {}),
  },
  content: [
    {
      tag: 'enc',
      attrs: { v: '2', type: encrypted.type },
      content: encrypted.ciphertext,
    },
  ],
});

/**
 * What the edge forwards to a companion device for one <to> of a client's message. A copy for the sender's
 * own other devices names the chat in `recipient`, which is how Baileys tells it is fromMe.
 */
export const forwardedMessage = (
  original: BinaryNode,
  senderDeviceJid: string,
  enc: BinaryNode,
  recipient: string | undefined,
): BinaryNode => ({
  tag: 'message',
  attrs: {
    id: original.attrs.id,
    from: senderDeviceJid,
    type: original.attrs.type ?? 'text',
    t: nowSeconds(),
    ...(recipient ? { recipient } : {}),
  },
  content: [enc],
});

/** The real edge marks what it kept for an offline device; Baileys then upserts it as 'append'. */
export const markedOffline = (node: BinaryNode): BinaryNode => ({
  ...node,
  attrs: { ...node.attrs, offline: '1' },
});
