/** The iqs Baileys sends around login, answered with the children it parses. */
import type { BinaryNode } from '@whiskeysockets/baileys';
import type { DeviceRecord } from './phone-directory';
import { countUploadedPreKeys } from './stanzas';

/** `known` is false for iqs the simulator has no model of; they still get an empty result. */
export interface IqAnswer {
  readonly known: boolean;
  readonly content?: BinaryNode[];
}

export const EMPTY_ANSWER: IqAnswer = { known: true };
export const UNKNOWN_IQ_ANSWER: IqAnswer = { known: false };
export const answerWith = (...content: BinaryNode[]): IqAnswer => ({
  known: true,
  content,
});

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
      if (device) device.preKeysOnServer += countUploadedPreKeys(node);
      return EMPTY_ANSWER;
    case 'encrypt/digest':
      return answerWith({ tag: 'digest', attrs: {} });
    case 'encrypt/rotate':
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
      return answerWith({ tag: 'privacy', attrs: {} });
    case 'md/remove-companion-device':
      context.onLogout(child);
      return EMPTY_ANSWER;
    default:
      return UNKNOWN_IQ_ANSWER;
  }
};
