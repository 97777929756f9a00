/** The iqs Baileys sends around login (pre-keys, passive, props, logout), answered with what it parses. */
import { getBinaryNodeChild, type BinaryNode } from '@whiskeysockets/baileys';
import {
  answerWith,
  EMPTY_ANSWER,
  UNKNOWN_IQ_ANSWER,
  type IqAnswer,
} from './iq-answer';
import type { DeviceRecord } from './phone-directory';

/** A fresh account's privacy settings; readreceipts "all" makes Baileys' readMessages send type "read". */
const DEFAULT_PRIVACY: Readonly<Record<string, string>> = {
  last: 'all',
  online: 'all',
  profile: 'all',
  status: 'contacts',
  groupadd: 'all',
  readreceipts: 'all',
  calladd: 'all',
};

export interface SessionIqContext {
  /** The device the connection is logged in as, if any. */
  readonly device: DeviceRecord | undefined;
  /** The client asked to unlink a device (its own logout). */
  onLogout(request: BinaryNode | undefined): void;
}

export const answerSessionIq = (
  context: SessionIqContext,
  node: BinaryNode,
  child: BinaryNode | undefined,
): IqAnswer => {
  const { device } = context;
  switch (`${node.attrs.xmlns ?? ''}/${child?.tag ?? ''}`) {
    case 'encrypt/count':
      return answerWith({
        tag: 'count',
        attrs: { value: (device?.preKeysOnServer ?? 0).toString() },
      });
    case 'encrypt/registration':
      // The pre-key upload: <registration/><type/><identity/><list><key/>…</list><skey/>.
      if (device) device.preKeysOnServer += device.signal.acceptUpload(node);
      return EMPTY_ANSWER;
    case 'encrypt/rotate':
      device?.signal.acceptRotation(child);
      return EMPTY_ANSWER;
    case 'encrypt/digest':
      return answerWith({ tag: 'digest', attrs: {} });
    case 'passive/active':
    case 'passive/passive':
    case 'w:p/ping':
    case 'w:stats/add':
      return EMPTY_ANSWER;
    case 'abt/props':
      return answerWith({
        tag: 'props',
        attrs: { protocol: '1', hash: 'wa-simulator' },
      });
    case 'blocklist/':
      return answerWith({ tag: 'list', attrs: {} });
    case 'privacy/privacy':
      return answerWith({
        tag: 'privacy',
        attrs: {},
        content: Object.entries(DEFAULT_PRIVACY).map(([name, value]) => ({
          tag: 'category',
          attrs: { name, value },
        })),
      });
    case 'md/remove-companion-device':
      context.onLogout(getBinaryNodeChild(node, 'remove-companion-device'));
      return EMPTY_ANSWER;
    default:
      return UNKNOWN_IQ_ANSWER;
  }
};
