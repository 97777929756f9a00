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
  /** Pre-keys the server counts for the device: the initial count plus uploads, minus those senders consumed. */
  preKeysOnServer: number;
}

/** "33600000001:2@s.whatsapp.net", "33600000001@s.whatsapp.net", "+33600000001" or "33600000001" -> "33600000001". */
export const simUserOf = (jidOrUser: string): SimUser =>
  jidOrUser.split('@')[0].split(':')[0].replace(/^\+/, '');

// ----------------------------------------------------------------------------- messaging

/**
 * Which jid a contact's messages and receipts come from. 'pn': `<digits>@s.whatsapp.net` with `sender_lid`
 * alongside; 'lid': `<lid>@lid` with `sender_pn` alongside, as WhatsApp increasingly does (Baileys then
 * reports `key.remoteJid` as the LID and `key.remoteJidAlt` as the phone-number jid).
 */
export type ContactAddressing = 'pn' | 'lid';

export interface ContactOptions {
  /** Default 'pn'. */
  readonly addressing?: ContactAddressing;
  /** Sent as `notify` on the contact's messages; Baileys reports it as `pushName`. */
  readonly pushName?: string;
}

/** A WhatsApp account the simulator knows, as a linked device sees it. */
export interface SimContact {
  readonly phone: SimUser;
  /** "<digits>@s.whatsapp.net" */
  readonly jid: string;
  /** "<lid digits>@lid", what the usync lid protocol maps the phone number to. */
  readonly lid: string;
}

export type SignalMessageKind = 'pkmsg' | 'msg';

/** One message a simulated phone decrypted. Never logged: tests read it through `sim.received()`. */
export interface ReceivedMessage {
  readonly id: string;
  /** The decrypted text; undefined when the message carried something else (media, reaction…). */
  readonly text: string | undefined;
  /** Phone number of the sending account. */
  readonly from: SimUser;
  /** The sending device, e.g. "33600000001:1@s.whatsapp.net". */
  readonly fromDevice: string;
  /** Date.now() when the phone decrypted it. */
  readonly at: number;
  /** pkmsg while the sender's session is still pending (until the phone answers), msg afterwards. */
  readonly encryption: SignalMessageKind;
  /** True when a message with this id had already arrived (a re-send). */
  readonly duplicate: boolean;
}

/** What the edge sends back for a message: see WaSimulator.withholdAcks. */
export type AckKind =
  'server-ack' | 'sender-receipt' | 'delivery-receipt' | 'read-receipt';

export const ALL_ACK_KINDS: readonly AckKind[] = [
  'server-ack',
  'sender-receipt',
  'delivery-receipt',
  'read-receipt',
];

export interface SendFromContactOptions {
  /** Message id to use (a re-send reuses it); a fresh one otherwise. */
  readonly id?: string;
}
