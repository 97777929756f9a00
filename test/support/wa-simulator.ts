/**
 * Entry point kept so specs import the simulator from one stable path; the simulator itself lives in
 * ./simulator (see simulator/wa-simulator.ts for what it covers).
 */
export { WaSimulator } from './simulator/wa-simulator';
export { simUserOf } from './simulator/sim-types';
export type {
  LinkedDevice,
  LinkedDeviceState,
  LoginRefusalReason,
  ScanOptions,
  SimUser,
  WaSimulatorOptions,
} from './simulator/sim-types';
export type {
  SimEvent,
  SimEventOf,
  SimEventType,
} from './simulator/sim-events';
