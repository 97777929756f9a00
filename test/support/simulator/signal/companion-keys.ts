/**
 * The public keys a companion device (a Baileys socket) published: its registration id, identity and signed
 * pre-key from the registration ClientPayload (devicePairingData), then the one-time pre-keys and signed
 * pre-key rotations it uploads (`iq xmlns="encrypt" type="set"`, lib/Utils/signal.js getNextPreKeysNode).
 * Senders consume one-time pre-keys the way the real server hands them out: each at most once.
 */
import {
  getBinaryNodeChild,
  getBinaryNodeChildBuffer,
  getBinaryNodeChildren,
  getBinaryNodeChildUInt,
  type BinaryNode,
  type proto,
} from '@whiskeysockets/baileys';
import {
  signalKey,
  type PreKeyBundle,
  type PreKeyPublic,
  type SignedPreKeyPublic,
} from './prekey-bundle';

const readBigEndian = (bytes: Uint8Array): number =>
  bytes.reduce((value, byte) => value * 256 + byte, 0);

const required = (
  value: Uint8Array | null | undefined,
  what: string,
): Uint8Array => {
  if (!value?.length) throw new Error(`companion keys: missing ${what}`);
  return value;
};

const signedPreKeyFrom = (skey: BinaryNode | undefined): SignedPreKeyPublic => {
  const keyId = skey && getBinaryNodeChildUInt(skey, 'id', 3);
  const value = getBinaryNodeChildBuffer(skey, 'value');
  const signature = getBinaryNodeChildBuffer(skey, 'signature');
  if (keyId === undefined || !value || !signature)
    throw new Error('companion keys: malformed <skey>');
  return {
    keyId,
    publicKey: signalKey(value),
    signature: Buffer.from(signature),
  };
};

export class CompanionKeys {
  private readonly oneTimePreKeys = new Map<number, PreKeyPublic>();

  private constructor(
    readonly registrationId: number,
    readonly identityKey: Buffer,
    private signedPreKey: SignedPreKeyPublic,
  ) {}

  /** What the companion announced when it registered (before the QR was even shown). */
  static fromPairingData(
    data: proto.ClientPayload.IDevicePairingRegistrationData,
  ): CompanionKeys {
    return new CompanionKeys(
      readBigEndian(required(data.eRegid, 'eRegid')),
      signalKey(required(data.eIdent, 'eIdent')),
      {
        keyId: readBigEndian(required(data.eSkeyId, 'eSkeyId')),
        publicKey: signalKey(required(data.eSkeyVal, 'eSkeyVal')),
        signature: Buffer.from(required(data.eSkeySig, 'eSkeySig')),
      },
    );
  }

  /** An upload carries <list><key><id/><value/></key>…</list> and the current <skey>; returns the keys added. */
  acceptUpload(upload: BinaryNode): number {
    const keys = getBinaryNodeChildren(
      getBinaryNodeChild(upload, 'list'),
      'key',
    );
    for (const key of keys) {
      const keyId = getBinaryNodeChildUInt(key, 'id', 3);
      const value = getBinaryNodeChildBuffer(key, 'value');
      if (keyId === undefined || !value)
        throw new Error('companion keys: malformed <key>');
      this.oneTimePreKeys.set(keyId, { keyId, publicKey: signalKey(value) });
    }
    const skey = getBinaryNodeChild(upload, 'skey');
    if (skey) this.signedPreKey = signedPreKeyFrom(skey);
    return keys.length;
  }

  /** `<rotate><skey/></rotate>`: a new signed pre-key. */
  acceptRotation(rotate: BinaryNode | undefined): void {
    this.signedPreKey = signedPreKeyFrom(getBinaryNodeChild(rotate, 'skey'));
  }

  /** A bundle for one new session; it carries a one-time pre-key while any is left, which it consumes. */
  takeBundle(): PreKeyBundle {
    const [preKey] = this.oneTimePreKeys.values();
    if (preKey) this.oneTimePreKeys.delete(preKey.keyId);
    return {
      registrationId: this.registrationId,
      identityKey: this.identityKey,
      signedPreKey: this.signedPreKey,
      ...(preKey ? { preKey } : {}),
    };
  }
}
