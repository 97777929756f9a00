/**
 * A Signal pre-key bundle: what the server hands out so a sender can start a session with a device without
 * it being online. Answered to Baileys as <user jid=…> in `iq xmlns="encrypt" type="get"`, and used by the
 * simulated phones to reach companion devices (parsed the way parseAndInjectE2ESessions in
 * lib/Utils/signal.js reads it).
 */
import {
  encodeBigEndian,
  generateSignalPubKey,
  KEY_BUNDLE_TYPE,
  type BinaryNode,
} from '@whiskeysockets/baileys';

export interface SignedPreKeyPublic {
  readonly keyId: number;
  /** 33 bytes, 0x05-prefixed. */
  readonly publicKey: Buffer;
  /** The identity key's signature over the prefixed public key. */
  readonly signature: Buffer;
}

export interface PreKeyPublic {
  readonly keyId: number;
  /** 33 bytes, 0x05-prefixed. */
  readonly publicKey: Buffer;
}

/** libsignal's E2ESession shape; every key is 33 bytes (libsignal warns about bare 32-byte keys). */
export interface PreKeyBundle {
  readonly registrationId: number;
  readonly identityKey: Buffer;
  readonly signedPreKey: SignedPreKeyPublic;
  /** Absent once the device's one-time pre-keys are used up: X3DH then runs on the signed pre-key alone. */
  readonly preKey?: PreKeyPublic;
}

/** 33-byte Signal form of a key the wire carries as 32 bytes. */
export const signalKey = (key: Uint8Array): Buffer =>
  Buffer.from(generateSignalPubKey(key));

/** The wire carries bare 32-byte keys, as the real server does. */
const wireKey = (key: Buffer): Buffer =>
  key.length === 33 ? key.subarray(1) : key;

const child = (tag: string, content: Uint8Array): BinaryNode => ({
  tag,
  attrs: {},
  content,
});

export const bundleNode = (jid: string, bundle: PreKeyBundle): BinaryNode => {
  const { signedPreKey, preKey } = bundle;
  const content: BinaryNode[] = [
    child('registration', encodeBigEndian(bundle.registrationId)),
    child('type', KEY_BUNDLE_TYPE),
    child('identity', wireKey(bundle.identityKey)),
    {
      tag: 'skey',
      attrs: {},
      content: [
        child('id', encodeBigEndian(signedPreKey.keyId, 3)),
        child('value', wireKey(signedPreKey.publicKey)),
        child('signature', signedPreKey.signature),
      ],
    },
  ];
  if (preKey) {
    content.push({
      tag: 'key',
      attrs: {},
      content: [
        child('id', encodeBigEndian(preKey.keyId, 3)),
        child('value', wireKey(preKey.publicKey)),
      ],
    });
  }
  return { tag: 'user', attrs: { jid }, content };
};
