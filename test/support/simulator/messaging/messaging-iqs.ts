/**
 * The iqs Baileys sends around a message: the usync device / lid / contact lookups (lib/WAUSync,
 * getUSyncDevices and onWhatsApp in lib/Socket), the pre-key bundle fetch (`encrypt` get <key>, read by
 * parseAndInjectE2ESessions) and the privacy-token issue that follows a 1:1 send.
 *
 * Numbers the directory does not know are not on WhatsApp: contact type="out", no device, no lid.
 */
import {
  getAllBinaryNodeChildren,
  getBinaryNodeChild,
  getBinaryNodeChildren,
  type BinaryNode,
} from '@whiskeysockets/baileys';
import { answerWith, EMPTY_ANSWER, type IqAnswer } from '../iq-answer';
import {
  lidJidOf,
  type PhoneAccount,
  type PhoneDirectory,
} from '../phone-directory';
import { bundleNode } from '../signal/prekey-bundle';

/** undefined when the iq is not about messaging. */
export const answerMessagingIq = (
  phones: PhoneDirectory,
  node: BinaryNode,
  child: BinaryNode | undefined,
): IqAnswer | undefined => {
  switch (`${node.attrs.xmlns ?? ''}/${child?.tag ?? ''}`) {
    case 'usync/usync':
      return child ? answerWith(usyncResult(phones, child)) : undefined;
    case 'encrypt/key':
      return answerWith(preKeyBundles(phones, child));
    case 'privacy/tokens':
      // Baileys stores tokens only when the result carries some; none is a valid answer.
      return EMPTY_ANSWER;
    default:
      return undefined;
  }
};

// ----------------------------------------------------------------------------- usync

/** <user jid=…/> (device and lid lookups) or <user><contact>+336…</contact></user> (onWhatsApp). */
const requestedJid = (user: BinaryNode): string | undefined => {
  if (user.attrs.jid) return user.attrs.jid;
  const phone = getBinaryNodeChild(user, 'contact')?.content;
  const text =
    typeof phone === 'string'
      ? phone
      : phone instanceof Uint8Array
        ? Buffer.from(phone).toString('utf8')
        : undefined;
  const digits = text?.replace(/\D/g, '');
  return digits ? `${digits}@s.whatsapp.net` : undefined;
};

/** Device 0 is the phone; companions need a key-index, or Baileys drops them (extractDeviceJids). */
const deviceList = (
  phones: PhoneDirectory,
  account: PhoneAccount | undefined,
): BinaryNode[] =>
  account
    ? [
        { tag: 'device', attrs: { id: '0' } },
        ...phones.companionsOf(account.user).map(({ deviceId }) => ({
          tag: 'device',
          attrs: { id: deviceId.toString(), 'key-index': deviceId.toString() },
        })),
      ]
    : [];

const protocolResult = (
  phones: PhoneDirectory,
  protocol: string,
  account: PhoneAccount | undefined,
): BinaryNode | undefined => {
  switch (protocol) {
    case 'contact':
      return { tag: 'contact', attrs: { type: account ? 'in' : 'out' } };
    case 'devices':
      return {
        tag: 'devices',
        attrs: {},
        content: [
          {
            tag: 'device-list',
            attrs: {},
            content: deviceList(phones, account),
          },
        ],
      };
    case 'lid':
      return account
        ? { tag: 'lid', attrs: { val: lidJidOf(account) } }
        : undefined;
    default:
      return undefined; // status, disappearing mode, business…: Baileys copes with their absence
  }
};

const usyncResult = (phones: PhoneDirectory, usync: BinaryNode): BinaryNode => {
  const protocols = getAllBinaryNodeChildren(
    getBinaryNodeChild(usync, 'query') ?? { tag: 'query', attrs: {} },
  ).map((protocol) => protocol.tag);
  const users = getBinaryNodeChildren(
    getBinaryNodeChild(usync, 'list'),
    'user',
  ).flatMap((user): BinaryNode[] => {
    const jid = requestedJid(user);
    if (!jid) return [];
    const account = phones.resolve(jid)?.account;
    return [
      {
        tag: 'user',
        attrs: { jid },
        content: protocols.flatMap((protocol) => {
          const result = protocolResult(phones, protocol, account);
          return result ? [result] : [];
        }),
      },
    ];
  });
  return {
    tag: 'usync',
    attrs: { ...usync.attrs },
    content: [{ tag: 'list', attrs: {}, content: users }],
  };
};

// ----------------------------------------------------------------------------- pre-key bundles

const preKeyBundles = (
  phones: PhoneDirectory,
  request: BinaryNode | undefined,
): BinaryNode => ({
  tag: 'list',
  attrs: {},
  content: getBinaryNodeChildren(request, 'user').map(({ attrs: { jid } }) => {
    const target = phones.resolve(jid);
    const bundle = target && phones.takeBundle(target);
    return bundle
      ? bundleNode(jid, bundle)
      : {
          tag: 'user',
          attrs: { jid },
          content: [
            { tag: 'error', attrs: { code: '404', text: 'item-not-found' } },
          ],
        };
  }),
});
