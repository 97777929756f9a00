/**
 * The edge's Noise certificates: one root per process (so trusting it once covers every simulator, see
 * wa-simulator-trust.ts), one chain per simulator.
 */
import {
  Curve,
  proto,
  WA_CERT_DETAILS,
  type KeyPair,
} from '@whiskeysockets/baileys';

let processRootKeyPair: KeyPair | undefined;

/** Lazily created so importing this module has no side effect besides defining things. */
export const simulatorRootKeyPair = (): KeyPair => {
  processRootKeyPair ??= Curve.generateKeyPair();
  return processRootKeyPair;
};

const INTERMEDIATE_SERIAL = 1;
const LEAF_SERIAL = 2;
const ONE_YEAR_S = 365 * 24 * 3600;

const encodeCertificateDetails = (
  serial: number,
  issuerSerial: number,
  key: Uint8Array,
): Uint8Array => {
  const notBefore = Math.floor(Date.now() / 1000) - 60;
  return proto.CertChain.NoiseCertificate.Details.encode({
    serial,
    issuerSerial,
    key,
    notBefore,
    notAfter: notBefore + ONE_YEAR_S,
  }).finish();
};

/**
 * Baileys checks: intermediate signed by the root (WA_CERT_DETAILS.PUBLIC_KEY) with issuerSerial equal to
 * WA_CERT_DETAILS.SERIAL, and leaf signed by the intermediate's key. The leaf certifies our static key.
 */
export const issueCertificateChain = (
  serverStaticPublic: Uint8Array,
): Uint8Array => {
  const intermediateKeys = Curve.generateKeyPair();
  const intermediateDetails = encodeCertificateDetails(
    INTERMEDIATE_SERIAL,
    WA_CERT_DETAILS.SERIAL,
    intermediateKeys.public,
  );
  const leafDetails = encodeCertificateDetails(
    LEAF_SERIAL,
    INTERMEDIATE_SERIAL,
    serverStaticPublic,
  );
  return proto.CertChain.encode({
    intermediate: {
      details: intermediateDetails,
      signature: Curve.sign(
        simulatorRootKeyPair().private,
        intermediateDetails,
      ),
    },
    leaf: {
      details: leafDetails,
      signature: Curve.sign(intermediateKeys.private, leafDetails),
    },
  }).finish();
};
