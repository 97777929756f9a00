/**
 * What the simulated phone does when it links a companion (by QR, or by code: see link-code-pairing.ts): read
 * the QR, sign the companion's device identity with its ADV account key, and check the companion's
 * counter-signature
 * (mirrors configureSuccessfulPairing in lib/Utils/validate-connection.js).
 */
import { randomInt } from 'node:crypto';
import {
  Curve,
  getBinaryNodeChild,
  hmacSign,
  proto,
  WA_ADV_ACCOUNT_SIG_PREFIX,
  WA_ADV_DEVICE_SIG_PREFIX,
  type BinaryNode,
  type KeyPair,
} from '@whiskeysockets/baileys';

/** What the phone must know of a companion to sign its device identity: from its QR, or a link-code exchange. */
export interface CompanionIdentity {
  readonly identityKey: Buffer;
  /** Keys the HMAC around the signed identity (the QR's adv secret, or the one the code exchange derived). */
  readonly advSecret: Buffer;
}

export interface ParsedQr extends CompanionIdentity {
  readonly ref: string;
  readonly noiseKey: Buffer;
  readonly platformId: string;
}

const QR_PREFIX = 'https://wa.me/settings/linked_devices#';

/** Layout built by buildPairingQRData in lib/Utils/companion-reg-client-utils.js. */
export const parseQr = (qr: string): ParsedQr => {
  if (!qr.startsWith(QR_PREFIX))
    throw new Error(`not a WhatsApp linking QR: ${qr}`);
  const parts = qr.slice(QR_PREFIX.length).split(',');
  const [ref, noiseKeyB64, identityKeyB64, advSecretB64, platformId] = parts;
  if (
    parts.length !== 5 ||
    !ref ||
    !noiseKeyB64 ||
    !identityKeyB64 ||
    !advSecretB64 ||
    !platformId
  ) {
    throw new Error(`malformed linking QR: ${qr}`);
  }
  return {
    ref,
    noiseKey: Buffer.from(noiseKeyB64, 'base64'),
    identityKey: Buffer.from(identityKeyB64, 'base64'),
    advSecret: Buffer.from(advSecretB64, 'base64'),
    platformId,
  };
};

/**
 * What the phone sends in <device-identity>: the device details signed by the account key over
 * [6,0] + details + companion identity key, wrapped with an HMAC keyed by the companion's adv secret.
 */
export const buildSignedDeviceIdentity = (
  accountKeys: KeyPair,
  deviceId: number,
  companion: CompanionIdentity,
): Uint8Array => {
  const deviceDetails = proto.ADVDeviceIdentity.encode({
    rawId: randomInt(1, 2 ** 31),
    timestamp: Math.floor(Date.now() / 1000),
    keyIndex: deviceId,
    accountType: proto.ADVEncryptionType.E2EE,
    deviceType: proto.ADVEncryptionType.E2EE,
  }).finish();
  const accountSignature = Curve.sign(
    accountKeys.private,
    Buffer.concat([
      WA_ADV_ACCOUNT_SIG_PREFIX,
      deviceDetails,
      companion.identityKey,
    ]),
  );
  const signedIdentity = proto.ADVSignedDeviceIdentity.encode({
    details: deviceDetails,
    accountSignatureKey: accountKeys.public,
    accountSignature,
  }).finish();
  return proto.ADVSignedDeviceIdentityHMAC.encode({
    details: signedIdentity,
    hmac: hmacSign(signedIdentity, companion.advSecret),
  }).finish();
};

/** The companion proves it holds the identity key by signing [6,1] + details + identityKey + accountKey. */
export const isValidDeviceSignature = (
  reply: BinaryNode,
  accountPublicKey: Uint8Array,
  companion: CompanionIdentity,
): boolean => {
  const identityNode = getBinaryNodeChild(
    getBinaryNodeChild(reply, 'pair-device-sign'),
    'device-identity',
  );
  if (!(identityNode?.content instanceof Uint8Array)) return false;
  const signed = proto.ADVSignedDeviceIdentity.decode(identityNode.content);
  if (!signed.details || !signed.deviceSignature) return false;
  const message = Buffer.concat([
    WA_ADV_DEVICE_SIG_PREFIX,
    signed.details,
    companion.identityKey,
    accountPublicKey,
  ]);
  return Curve.verify(companion.identityKey, message, signed.deviceSignature);
};
