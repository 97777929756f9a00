/**
 * The Signal side of a simulated phone (device 0 of an account): its own identity, signed pre-key and
 * one-time pre-keys, and the sessions it holds with other devices. Built on the libsignal that Baileys
 * ships, so what it decrypts is exactly what an unmodified Baileys encrypted, and what it encrypts is
 * what Baileys will decrypt.
 */
import { randomInt } from 'node:crypto';
import {
  ProtocolAddress,
  SessionBuilder,
  SessionCipher,
  type SessionRecord,
  type SignalStorage,
} from 'libsignal';
import { Curve } from '@whiskeysockets/baileys';
import { signalKey, type PreKeyBundle } from './prekey-bundle';

/** A device another party talks to, e.g. { user: '33600000001', device: 1 } for a linked Baileys socket. */
export interface SignalPeer {
  readonly user: string;
  readonly device: number;
}

export type SignalMessageType = 'pkmsg' | 'msg';

export interface SignalCiphertext {
  readonly type: SignalMessageType;
  readonly ciphertext: Buffer;
}

interface SignalKeyPair {
  readonly pubKey: Buffer;
  readonly privKey: Buffer;
}

/** libsignal wants 33-byte public keys and Buffers everywhere. */
const newKeyPair = (): SignalKeyPair => {
  const pair = Curve.generateKeyPair();
  return { pubKey: signalKey(pair.public), privKey: Buffer.from(pair.private) };
};

const SIGNED_PRE_KEY_ID = 1;
/** libsignal's PreKeyWhisperMessage type; 1 is a plain WhisperMessage. */
const PRE_KEY_WHISPER_TYPE = 3;

type LibsignalBundle = Parameters<SessionBuilder['initOutgoing']>[0];

/**
 * libsignal's runtime accepts a bundle without a one-time pre-key (initOutgoing checks `device.preKey &&`,
 * Baileys relies on it too), but its .d.ts marks the field required.
 */
const asLibsignalBundle = (bundle: PreKeyBundle): LibsignalBundle =>
  bundle as LibsignalBundle;

const addressOf = (peer: SignalPeer): ProtocolAddress =>
  new ProtocolAddress(peer.user, peer.device);

export class PhoneSignal {
  readonly registrationId = randomInt(1, 0x3fff);
  private readonly identity = newKeyPair();
  private readonly signedPreKey = newKeyPair();
  private readonly signedPreKeySignature = Buffer.from(
    Curve.sign(this.identity.privKey, this.signedPreKey.pubKey),
  );
  private readonly oneTimePreKeys = new Map<number, SignalKeyPair>();
  private nextPreKeyId = 1;
  private readonly sessions = new Map<string, SessionRecord>();
  private readonly storage: SignalStorage = {
    loadSession: (id) => Promise.resolve(this.sessions.get(id)),
    storeSession: (id, record) => {
      this.sessions.set(id, record);
      return Promise.resolve();
    },
    // Trust on first use, like WhatsApp Web: identity changes are not what this simulator tests.
    isTrustedIdentity: () => true,
    loadPreKey: (id) => Promise.resolve(this.oneTimePreKeys.get(Number(id))),
    removePreKey: (id) => {
      this.oneTimePreKeys.delete(id);
    },
    loadSignedPreKey: () => this.signedPreKey,
    getOurRegistrationId: () => this.registrationId,
    getOurIdentity: () => this.identity,
  };

  /** The identity public key (33 bytes). */
  get identityKey(): Buffer {
    return this.identity.pubKey;
  }

  /** A bundle with a fresh one-time pre-key, as the server hands out for each session a sender starts. */
  takeBundle(): PreKeyBundle {
    const keyId = this.nextPreKeyId++;
    const preKey = newKeyPair();
    this.oneTimePreKeys.set(keyId, preKey);
    return {
      registrationId: this.registrationId,
      identityKey: this.identity.pubKey,
      signedPreKey: {
        keyId: SIGNED_PRE_KEY_ID,
        publicKey: this.signedPreKey.pubKey,
        signature: this.signedPreKeySignature,
      },
      preKey: { keyId, publicKey: preKey.pubKey },
    };
  }

  /**
   * Encrypts for `peer`, first starting a session from `bundle()` when there is none: the result is then a
   * pkmsg, as it stays until the peer answers.
   */
  async encrypt(
    peer: SignalPeer,
    plaintext: Uint8Array,
    bundle: () => PreKeyBundle,
  ): Promise<SignalCiphertext> {
    const address = addressOf(peer);
    if (!this.sessions.get(address.toString())?.haveOpenSession()) {
      await new SessionBuilder(this.storage, address).initOutgoing(
        asLibsignalBundle(bundle()),
      );
    }
    const { type, body } = await new SessionCipher(
      this.storage,
      address,
    ).encrypt(Buffer.from(plaintext));
    return {
      type: type === PRE_KEY_WHISPER_TYPE ? 'pkmsg' : 'msg',
      ciphertext: Buffer.from(body, 'binary'),
    };
  }

  async decrypt(
    peer: SignalPeer,
    type: SignalMessageType,
    ciphertext: Uint8Array,
  ): Promise<Buffer> {
    const cipher = new SessionCipher(this.storage, addressOf(peer));
    const data = Buffer.from(ciphertext);
    return type === 'pkmsg'
      ? cipher.decryptPreKeyWhisperMessage(data)
      : cipher.decryptWhisperMessage(data);
  }
}
