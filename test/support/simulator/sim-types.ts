/** Vocabulary shared by the simulator's parts and its public facade. */

/** A phone number without "+", e.g. "33600000001": the simulator's notion of a WhatsApp account. */
export type SimUser = string;

export type LoginRefusalReason =
  | 'rejected-on-demand'
  | 'unknown-device'
  | 'device-removed'
  | 'noise-key-mismatch';

export interface WaSimulatorOptions {
  /**
   * Pre-keys the server holds for a freshly linked device. Real WhatsApp starts at 0, which makes Baileys
   * upload 812 pre-keys on its first login (about 0.3 s, counted by the simulator). The default pretends
   * that batch is already there because Baileys' upload races a 30 s UPLOAD_TIMEOUT timer it never clears,
   * which keeps Jest alive 30 s after the last upload. Pass 0 to exercise the upload anyway.
   */
  readonly initialPreKeyCount?: number;
  /** How long the server leaves a connection open after a stream error or failure before closing it itself. */
  readonly closeGraceMs?: number;
  /** How long scan() waits for the client's pair-device-sign answer. */
  readonly replyTimeoutMs?: number;
}

export interface ScanOptions {
  /** Phone number of the account doing the scan; a fresh one is assigned when omitted. */
  readonly phone?: SimUser;
  /** Business name, sent as <biz name=…> (Baileys stores it as creds.me.name). */
  readonly businessName?: string;
}

export interface LinkedDevice {
  readonly user: SimUser;
  readonly deviceId: number;
  /** Device jid as Baileys stores it in creds.me.id, e.g. "33600000001:1@s.whatsapp.net". */
  readonly jid: string;
  readonly lid: string;
}

export interface LinkedDeviceState extends LinkedDevice {
  /** Pre-keys uploaded by the device and not consumed (nobody consumes them in the simulator). */
  preKeysOnServer: number;
}

/** "33600000001:2@s.whatsapp.net" or "33600000001@s.whatsapp.net" or "33600000001" -> "33600000001". */
export const simUserOf = (jidOrUser: string): SimUser =>
  jidOrUser.split('@')[0].split(':')[0];
