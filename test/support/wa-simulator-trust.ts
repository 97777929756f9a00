/**
 * The ONE place allowed to touch Baileys' trusted root (WA_CERT_DETAILS.PUBLIC_KEY).
 *
 * Baileys verifies that the edge's Noise certificate chain is signed by WhatsApp's root key, read from the
 * exported, mutable WA_CERT_DETAILS object at handshake time. Pointing it at the simulator's root is what
 * lets an unmodified socket talk to the simulator. Test-only: production code must never import this file.
 */
import { WA_CERT_DETAILS } from '@whiskeysockets/baileys';
import { WaSimulator } from './wa-simulator';

/** The environment variable that hands this process's simulator root to an app process (see trustRootFromEnvironment). */
export const SIMULATOR_ROOT_ENV = 'WA_SIMULATOR_ROOT_KEY';

/** The environment an app process needs to trust this process's simulators (startAppProcess's `trustSimulator`). */
export const simulatorRootEnvironment = (): Record<string, string> => ({
  [SIMULATOR_ROOT_ENV]: WaSimulator.rootPublicKey.toString('base64'),
});

/**
 * In an app process started by a test (preloaded, see app-process.ts): trusts the test process's simulator
 * root, handed over in the environment, since each process has its own.
 */
export const trustRootFromEnvironment = (): void => {
  const key = process.env[SIMULATOR_ROOT_ENV];
  if (key) WA_CERT_DETAILS.PUBLIC_KEY = Buffer.from(key, 'base64');
};

/** Makes Baileys trust every WaSimulator of this process; returns a function restoring WhatsApp's root. */
export const trustWaSimulatorRoot = (): (() => void) => {
  const whatsAppRoot = WA_CERT_DETAILS.PUBLIC_KEY;
  WA_CERT_DETAILS.PUBLIC_KEY = WaSimulator.rootPublicKey;
  return () => {
    WA_CERT_DETAILS.PUBLIC_KEY = whatsAppRoot;
  };
};
