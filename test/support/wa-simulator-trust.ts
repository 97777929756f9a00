/**
 * The ONE place allowed to touch Baileys' trusted root (WA_CERT_DETAILS.PUBLIC_KEY).
 *
 * Baileys verifies that the edge's Noise certificate chain is signed by WhatsApp's root key, read from the
 * exported, mutable WA_CERT_DETAILS object at handshake time. Pointing it at the simulator's root is what
 * lets an unmodified socket talk to the simulator. Test-only: production code must never import this file.
 */
import { WA_CERT_DETAILS } from '@whiskeysockets/baileys';
import { WaSimulator } from './wa-simulator';

/** Makes Baileys trust every WaSimulator of this process; returns a function restoring WhatsApp's root. */
export const trustWaSimulatorRoot = (): (() => void) => {
  const whatsAppRoot = WA_CERT_DETAILS.PUBLIC_KEY;
  WA_CERT_DETAILS.PUBLIC_KEY = WaSimulator.rootPublicKey;
  return () => {
    WA_CERT_DETAILS.PUBLIC_KEY = whatsAppRoot;
  };
};
