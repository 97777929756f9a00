/**
 * The primary phone's half of the link-code key exchange, the mirror of what Baileys does as the companion:
 * requestPairingCode / generatePairingKey in lib/Socket/socket.js (stage companion_hello) and the
 * `link_code_companion_reg` notification handler in lib/Socket/messages-recv.js (stage companion_finish).
 *
 * - Each side wraps its ephemeral public key with the code: salt(32) | iv(16) | AES-256-CTR(pub), keyed by
 *   PBKDF2-SHA256(code, salt, 2^17 rounds). CTR has no tag, so a wrong code does not fail here: it yields a
 *   different 32-byte "key", and both sides carry on with different shared secrets.
 * - The companion seals [its identity key | the primary's identity key | 32 random bytes] with AES-256-GCM
 *   under HKDF(ephemeral shared secret, salt, "link_code_pairing_key_bundle_encryption_key"):
 *   salt(32) | iv(12) | ciphertext+tag. This is where a wrong code shows: the primary cannot open it.
 * - Both derive the ADV secret (the key of the pair-success HMAC) as
 *   HKDF(ephemeral shared | identity shared | random, "adv_secret").
 */
import { randomBytes } from 'node:crypto';
import {
  aesDecryptCTR,
  aesDecryptGCM,
  aesEncryptCTR,
  Curve,
  derivePairingCodeKey,
  hkdf,
  type KeyPair,
} from '@whiskeysockets/baileys';

const SALT_BYTES = 32;
const CTR_IV_BYTES = 16;
const GCM_IV_BYTES = 12;
const KEY_BYTES = 32;
const BUNDLE_KEY_INFO = 'link_code_pairing_key_bundle_encryption_key';
const ADV_SECRET_INFO = 'adv_secret';

/** What a user types: WhatsApp shows the code as "ABCD-EFGH"; the key is derived from the 8 characters. */
export const normalizeTypedCode = (typed: string): string =>
  typed.replace(/[\s-]/g, '').toUpperCase();

/** Reads a public key the other side wrapped with the code; a wrong code gives a wrong key, not an error. */
export const unwrapEphemeralKey = async (
  wrapped: Uint8Array,
  code: string,
): Promise<Buffer> => {
  const buffer = Buffer.from(wrapped);
  if (buffer.length !== SALT_BYTES + CTR_IV_BYTES + KEY_BYTES) {
    throw new Error(`wrapped ephemeral key of ${buffer.length} bytes`);
  }
  const salt = buffer.subarray(0, SALT_BYTES);
  const iv = buffer.subarray(SALT_BYTES, SALT_BYTES + CTR_IV_BYTES);
  const key = await derivePairingCodeKey(code, salt);
  return aesDecryptCTR(buffer.subarray(SALT_BYTES + CTR_IV_BYTES), key, iv);
};

export const wrapEphemeralKey = async (
  publicKey: Uint8Array,
  code: string,
): Promise<Buffer> => {
  const salt = randomBytes(SALT_BYTES);
  const iv = randomBytes(CTR_IV_BYTES);
  const key = await derivePairingCodeKey(code, salt);
  return Buffer.concat([salt, iv, aesEncryptCTR(publicKey, key, iv)]);
};

/** The companion's sealed key bundle, once opened. */
export interface KeyBundle {
  readonly companionIdentityKey: Buffer;
  readonly primaryIdentityKey: Buffer;
  readonly random: Buffer;
}

/** Opens the companion's key bundle; undefined when it cannot be opened, i.e. the codes differed. */
export const openKeyBundle = (
  sealed: Uint8Array,
  ephemeralShared: Uint8Array,
): KeyBundle | undefined => {
  const buffer = Buffer.from(sealed);
  const salt = buffer.subarray(0, SALT_BYTES);
  const iv = buffer.subarray(SALT_BYTES, SALT_BYTES + GCM_IV_BYTES);
  const key = Buffer.from(
    hkdf(ephemeralShared, KEY_BYTES, { salt, info: BUNDLE_KEY_INFO }),
  );
  let plain: Buffer;
  try {
    plain = aesDecryptGCM(
      buffer.subarray(SALT_BYTES + GCM_IV_BYTES),
      key,
      iv,
      Buffer.alloc(0),
    );
  } catch {
    // GCM authentication failed: the only way a wrong code shows on the primary's side.
    return undefined;
  }
  return {
    companionIdentityKey: plain.subarray(0, KEY_BYTES),
    primaryIdentityKey: plain.subarray(KEY_BYTES, 2 * KEY_BYTES),
    random: plain.subarray(2 * KEY_BYTES, 3 * KEY_BYTES),
  };
};

/** The ADV secret both sides derive; it keys the HMAC of the pair-success device identity. */
export const linkCodeAdvSecret = (
  ephemeralShared: Uint8Array,
  primaryIdentity: KeyPair,
  bundle: KeyBundle,
): Buffer =>
  Buffer.from(
    hkdf(
      Buffer.concat([
        ephemeralShared,
        Curve.sharedKey(primaryIdentity.private, bundle.companionIdentityKey),
        bundle.random,
      ]),
      KEY_BYTES,
      { info: ADV_SECRET_INFO },
    ),
  );
