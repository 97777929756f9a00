/**
 * Entry point kept so specs import the simulator from one stable path; the simulator itself lives in
 * ./simulator (see simulator/wa-simulator.ts for what it covers).
 */
export { WaSimulator } from './simulator/wa-simulator';
export { ALL_ACK_KINDS, simUserOf } from './simulator/sim-types';
export type {
  AckKind,
  ContactAddressing,
  ContactOptions,
  LinkedDevice,
  LinkedDeviceState,
  LoginRefusalReason,
  ReceivedMessage,
  ScanOptions,
  SendFromContactOptions,
  SignalMessageKind,
  SimContact,
  SimUser,
  WaSimulatorOptions,
} from './simulator/sim-types';
export type {
  SimEvent,
  SimEventOf,
  SimEventType,
} from './simulator/sim-events';
