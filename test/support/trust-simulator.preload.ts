/** Preloaded into an app process started with `trustSimulator` (app-process.ts): see trustRootFromEnvironment. */
import { trustRootFromEnvironment } from './wa-simulator-trust';

trustRootFromEnvironment();
