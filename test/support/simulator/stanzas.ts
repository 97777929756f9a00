/** Stanzas the edge sends, and small helpers to read the client's. */
import { S_WHATSAPP_NET, type BinaryNode } from '@whiskeysockets/baileys';
import type { LinkedDevice } from './sim-types';

export const nowSeconds = (): string =>
  Math.floor(Date.now() / 1000).toString();

export const iqResult = (
  request: BinaryNode,
  content?: BinaryNode[],
): BinaryNode => ({
  tag: 'iq',
  attrs: { from: S_WHATSAPP_NET, type: 'result', id: request.attrs.id },
  ...(content ? { content } : {}),
});

/** 440 is expressed as a conflict (Baileys maps a code-less <conflict/> to 440); 401 as device removal. */
export const streamErrorFor = (code: number): BinaryNode => {
  if (code === 440) {
    return {
      tag: 'stream:error',
      attrs: {},
      content: [{ tag: 'conflict', attrs: { type: 'replaced' } }],
    };
  }
  if (code === 401) {
    return {
      tag: 'stream:error',
      attrs: { code: '401' },
      content: [{ tag: 'conflict', attrs: { type: 'device_removed' } }],
    };
  }
  return { tag: 'stream:error', attrs: { code: code.toString() } };
};

/** Baileys reads `t` (server clock offset) and `lid`; the others are what the real edge also sends. */
export const successStanza = (device: LinkedDevice): BinaryNode => ({
  tag: 'success',
  attrs: {
    t: nowSeconds(),
    props: '1',
    abprops: '1',
    location: 'sim',
    creation: nowSeconds(),
    lid: device.lid.replace(/:\d+@/, '@'),
  },
});

/** Tells the client the offline queue is drained, as the real edge does after delivering it. */
export const offlineDrained = (count = 0): BinaryNode => ({
  tag: 'ib',
  attrs: {},
  content: [{ tag: 'offline', attrs: { count: count.toString() } }],
});

export const pairDeviceStanza = (
  id: string,
  refs: readonly string[],
): BinaryNode => ({
  tag: 'iq',
  attrs: { from: S_WHATSAPP_NET, type: 'set', id, xmlns: 'md' },
  content: [
    {
      tag: 'pair-device',
      attrs: {},
      content: refs.map((ref) => ({
        tag: 'ref',
        attrs: {},
        content: Buffer.from(ref),
      })),
    },
  ],
});

export const pairSuccessStanza = (
  id: string,
  device: LinkedDevice,
  deviceIdentity: Uint8Array,
  businessName: string | undefined,
): BinaryNode => {
  const children: BinaryNode[] = [
    { tag: 'device-identity', attrs: {}, content: deviceIdentity },
    { tag: 'platform', attrs: { name: 'smbi' } },
    { tag: 'device', attrs: { jid: device.jid, lid: device.lid } },
  ];
  if (businessName)
    children.push({ tag: 'biz', attrs: { name: businessName } });
  return {
    tag: 'iq',
    attrs: {
      from: S_WHATSAPP_NET,
      type: 'set',
      id,
      xmlns: 'md',
      t: nowSeconds(),
    },
    content: [{ tag: 'pair-success', attrs: {}, content: children }],
  };
};

export const firstChild = (node: BinaryNode): BinaryNode | undefined =>
  Array.isArray(node.content) ? node.content[0] : undefined;
