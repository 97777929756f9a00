import {
  isLidUser,
  jidDecode,
  WAMessageStatus,
  type WAMessage,
  type WAMessageKey,
  type WASocket,
} from '@whiskeysockets/baileys';
import { ReceiptStatus } from '../events/session-events';
import { SocketHandlers } from './whatsapp-socket';

type MessageUpdate = { key: WAMessageKey; update: Partial<WAMessage> };

/** Baileys' numeric message status as our receipt; PENDING and unknown values say nothing new. */
export function receiptStatusOf(
  status: number | null | undefined,
): ReceiptStatus | undefined {
  switch (status) {
    case WAMessageStatus.SERVER_ACK:
      return 'server_ack';
    case WAMessageStatus.DELIVERY_ACK:
      return 'delivered';
    case WAMessageStatus.READ:
    case WAMessageStatus.PLAYED:
      return 'read';
    case WAMessageStatus.ERROR:
      return 'error';
    default:
      return undefined;
  }
}

/** The phone digits of a user jid (`33612345678:3@s.whatsapp.net` → `33612345678`). */
export function phoneOf(jid: string | null | undefined): string | undefined {
  const user = jidDecode(jid ?? undefined)?.user;
  return user && /^\d+$/.test(user) ? user : undefined;
}

/**
 * Routes Baileys' message events to the socket handlers. rc14 reports a sent
 * message's status in `messages.update`, and sometimes folded into
 * `messages.upsert` (a receipt within ~100 ms of the send): both are read.
 */
export function routeMessageEvents(
  sock: Pick<WASocket, 'ev' | 'signalRepository'>,
  handlers: SocketHandlers,
  onError: (error: unknown) => void,
): void {
  const report = (key: WAMessageKey, status: number | null | undefined) => {
    const receipt = receiptStatusOf(status);
    if (key.fromMe && key.id && receipt) handlers.onReceipt(key.id, receipt);
  };
  sock.ev.on('messages.update', (updates: MessageUpdate[]) => {
    for (const { key, update } of updates) report(key, update.status);
  });
  sock.ev.on('messages.upsert', ({ messages, type }) => {
    for (const message of messages) {
      if (message.key.fromMe) report(message.key, message.status);
      else if (type === 'notify')
        senderPhone(sock, message.key)
          .then((from) => {
            if (from) handlers.onMessage(from);
          })
          .catch(onError);
    }
  });
}

/** A sender may be addressed by LID: its phone number then comes from the alternate jid or the LID mapping. */
async function senderPhone(
  sock: Pick<WASocket, 'signalRepository'>,
  key: WAMessageKey,
): Promise<string | undefined> {
  const jid = key.remoteJid;
  if (!isLidUser(jid ?? undefined)) return phoneOf(jid);
  const alternate = phoneOf(key.remoteJidAlt);
  if (alternate) return alternate;
  const mapped = await sock.signalRepository.lidMapping.getPNForLID(jid!);
  return phoneOf(mapped);
}
