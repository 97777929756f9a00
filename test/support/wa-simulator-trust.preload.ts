/**
 * The child-process side of wa-simulator-trust.ts, loaded with `node -r` by
 * tests that run the real app in its own process (to kill it with SIGKILL):
 * the simulator's root key arrives in TEST_SIM_ROOT_PUBLIC_KEY (hex), since
 * each process generates its own. Test-only, like wa-simulator-trust.ts.
 */
import { WA_CERT_DETAILS } from '@whiskeysockets/baileys';

const rootKey = process.env.TEST_SIM_ROOT_PUBLIC_KEY;
if (rootKey) WA_CERT_DETAILS.PUBLIC_KEY = Buffer.from(rootKey, 'hex');
