/**
 * A local stand-in for WhatsApp's edge server (wss://web.whatsapp.com/ws/chat), for tests: an UNMODIFIED
 * Baileys socket connects to it through `waWebSocketUrl`. Tests must trust the simulator's root
 * certificate first (`trustWaSimulatorRoot` in ../wa-simulator-trust.ts).
 *
 * What it covers
 * - Lifecycle: QR registration, pairing by a simulated phone (scan, or a typed link code: enterCode), the 515
 *   restart, login with stored creds (noise key checked), stream errors on demand (kick), refused logins,
 *   the client's own logout.
 * - 1:1 text messaging, end to end encrypted with the libsignal Baileys ships:
 *   - every number given to addContact (and every phone that scanned) is on WhatsApp: usync answers its
 *     devices, its LID and contact type="in"; any other number is not (type="out", no device), so
 *     `sock.onWhatsApp()` leaves it out;
 *   - pre-key bundles with valid signatures; a companion's own keys come from its registration payload and
 *     its pre-key uploads;
 *   - each phone (device 0) decrypts what is sent to it (pkmsg, then msg): `received(phone)`;
 *   - the edge acks each <message>, the sender's own phone sends the "sender" receipt (SERVER_ACK) and the
 *     recipient phone a delivery receipt (DELIVERY_ACK); `markRead` sends READ; `withholdAcks` holds any of
 *     them back;
 *   - a contact's phone can message a linked device (`sendFromContact`), kept for offline devices and
 *     delivered (marked offline, so Baileys upserts it as 'append') at their next login;
 *   - copies for companion devices of other simulated accounts are forwarded to them.
 * - An ordered event log of all of it (ids and numbers, never message texts): `events()`, `waitFor()`.
 *
 * What it does not cover: groups, status and newsletters, media upload/download, app-state sync and
 * history sync, presence, retry receipts (recorded, never answered), identity changes, message editing
 * or revoking, what a phone does with the copies of its own messages, and the phone's own outgoing
 * messages to its linked devices.
 *
 * Addressing: contacts are reached by phone-number jid (`<digits>@s.whatsapp.net`). Baileys still needs
 * each one's LID to store its Signal session, which usync's lid protocol gives it (`SimContact.lid`).
 * With `addContact(phone, { addressing: 'lid' })` the contact's messages and receipts come from its LID.
 *
 * Gotchas: on a device's first connections after linking, Baileys holds messages.* events up to 20 s
 * waiting for a history sync the simulator never sends (live stanzas flush the hold, offline-delivered
 * ones do not; `shouldSyncHistoryMessage: () => false` avoids it). Baileys re-keys a contact (new pkmsg)
 * after each fresh device lookup, and libsignal then prints "Closing session" through console.info.
 *
 * Parts: framing.ts + noise.ts (transport), edge-connection.ts (one socket), edge-server.ts (protocol),
 * pairing.ts + phone-directory.ts (accounts and devices), link-code-pairing.ts + link-code-crypto.ts (linking
 * by code), session-iqs.ts and messaging/ (iqs and messages),
 * signal/ (keys and sessions), sim-events.ts (the log).
 */
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';
import { simulatorRootKeyPair } from './certificates';
import { EdgeServer } from './edge-server';
import { liveSocketHistory, type LiveSocketSample } from './live-sockets';
import { lidJidOf, phoneJidOf } from './phone-directory';
import { DEFAULT_WAIT_TIMEOUT_MS, EventLog, type SimEvent } from './sim-events';
import {
  ALL_ACK_KINDS,
  simUserOf,
  type AckKind,
  type ContactOptions,
  type LinkedDevice,
  type LinkedDeviceState,
  type ReceivedMessage,
  type ScanOptions,
  type SendFromContactOptions,
  type SimContact,
  type SimUser,
  type WaSimulatorOptions,
} from './sim-types';

/** INITIAL_PREKEY_COUNT in Baileys' Defaults: what its first upload would have sent. */
const DEFAULT_INITIAL_PREKEY_COUNT = 812;
const DEFAULT_CLOSE_GRACE_MS = 250;
const DEFAULT_REPLY_TIMEOUT_MS = 5_000;
const DEFAULT_QUIET_MS = 100;

/** A server listening on a TCP port reports an AddressInfo (a string for pipes, null before listening). */
const listeningAddress = (server: WebSocketServer): AddressInfo => {
  const address = server.address();
  if (address === null || typeof address === 'string') {
    throw new Error(`expected a TCP address, got ${String(address)}`);
  }
  return address;
};

export class WaSimulator {
  /** Public key of the root that signs every simulator's certificate chain; see wa-simulator-trust.ts. */
  static get rootPublicKey(): Buffer<ArrayBuffer> {
    return Buffer.from(simulatorRootKeyPair().public);
  }

  /** Maps a Baileys jid (creds.me.id, e.g. "33600000001:1@s.whatsapp.net") to the simulator's user. */
  static userOf(jid: string): SimUser {
    return simUserOf(jid);
  }

  private readonly log = new EventLog();
  private readonly edge: EdgeServer;

  private constructor(
    private readonly server: WebSocketServer,
    /** ws:// URL to give Baileys as `waWebSocketUrl`. */
    readonly url: string,
    options: WaSimulatorOptions,
  ) {
    this.edge = new EdgeServer(this.log, {
      initialPreKeyCount:
        options.initialPreKeyCount ?? DEFAULT_INITIAL_PREKEY_COUNT,
      closeGraceMs: options.closeGraceMs ?? DEFAULT_CLOSE_GRACE_MS,
      replyTimeoutMs: options.replyTimeoutMs ?? DEFAULT_REPLY_TIMEOUT_MS,
    });
    server.on('connection', (ws) => this.edge.accept(ws));
  }

  /** Starts listening on 127.0.0.1 on a random free port. */
  static async start(options: WaSimulatorOptions = {}): Promise<WaSimulator> {
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise<void>((resolve, reject) => {
      server.once('listening', resolve);
      server.once('error', reject);
    });
    const { port } = listeningAddress(server);
    return new WaSimulator(server, `ws://127.0.0.1:${port}/ws/chat`, options);
  }

  // ------------------------------------------------------------------ the phone

  /**
   * Acts as the phone scanning `qr`: sends pair-success with a signed device identity to the connection
   * that showed this QR, waits for the client's pair-device-sign, then asks it to restart (515).
   * Resolves with the linked device; its `user` is the key for kick/rejectLogins/online.
   */
  scan(qr: string, options: ScanOptions = {}): Promise<LinkedDevice> {
    return this.edge.pair(qr, options);
  }

  /**
   * Acts as the phone `phone` whose user typed `code` in WhatsApp > Linked devices > "Link with phone number
   * instead": answers the companion that asked for a code for this number (waiting up to replyTimeoutMs for
   * its request), completes the key exchange, then links it as after a scan (pair-success, 515). The code is
   * read as a user types it: "ABCD-EFGH" or "abcdefgh".
   * A wrong code rejects, as the phone says it could not link; the companion is told nothing, so it keeps
   * waiting until its QR refs run out (408) unless the right code follows.
   */
  enterCode(
    phone: string,
    code: string,
    options: Omit<ScanOptions, 'phone'> = {},
  ): Promise<LinkedDevice> {
    return this.edge.enterCode(simUserOf(phone), code, options);
  }

  // ------------------------------------------------------------------ server-side controls

  /** Sends a stream error with `code` to every live logged-in connection of `user`; returns how many. */
  kick(user: SimUser, code: number): Promise<number> {
    return this.edge.kick(simUserOf(user), code);
  }

  /** Every later login of `user` is answered with <failure reason=code/> until acceptLogins(user). */
  rejectLogins(user: SimUser, code = 401): void {
    this.edge.phones.refuseLogins(simUserOf(user), code);
  }

  acceptLogins(user: SimUser): void {
    this.edge.phones.acceptLogins(simUserOf(user));
  }

  // ------------------------------------------------------------------ messaging

  /**
   * Puts `phone` (digits, "+digits" or a jid) on WhatsApp: a phone with its own Signal keys, no linked
   * device. Calling it again for the same number returns the same contact (options update it).
   */
  addContact(phone: string, options: ContactOptions = {}): SimContact {
    const account = this.edge.phones.accountFor(simUserOf(phone));
    if (options.addressing) account.addressing = options.addressing;
    if (options.pushName !== undefined) account.pushName = options.pushName;
    return {
      phone: account.user,
      jid: phoneJidOf(account.user),
      lid: lidJidOf(account),
    };
  }

  /** Messages `phone`'s phone decrypted, in arrival order; a re-sent id appears again with duplicate: true. */
  received(phone: string): ReceivedMessage[] {
    return this.edge.messaging.received(simUserOf(phone));
  }

  /**
   * The contact `phone` (see addContact) sends `text` to every linked device of `toUser`, encrypted to the
   * keys each device published (pkmsg for a new session, msg once the device has written to the contact).
   * Offline devices get it at their next login. Resolves with the message id once it is sent or kept;
   * rejects when `phone` is not on WhatsApp or `toUser` has no linked device.
   */
  sendFromContact(
    phone: string,
    toUser: SimUser,
    text: string,
    options: SendFromContactOptions = {},
  ): Promise<string> {
    return this.edge.messaging.sendFromContact(
      simUserOf(phone),
      simUserOf(toUser),
      text,
      options,
    );
  }

  /**
   * The contact `phone` reads messages it received: a read receipt (READ in Baileys) goes to the devices
   * of each message's sender. Rejects for an id the phone never received.
   */
  markRead(phone: string, messageIds: readonly string[]): Promise<void> {
    return this.edge.messaging.markRead(simUserOf(phone), messageIds);
  }

  /**
   * Holds back the acks and receipts due to `user`'s devices (all kinds by default) until
   * releaseAcks(user): messages stay PENDING in Baileys while 'sender-receipt' is held, below DELIVERY_ACK
   * while 'delivery-receipt' is. Held ones are logged as 'ack-withheld'.
   */
  withholdAcks(user: SimUser, kinds: readonly AckKind[] = ALL_ACK_KINDS): void {
    this.edge.messaging.withholdAcks(simUserOf(user), kinds);
  }

  /** Stops withholding for `user` and sends what was held, oldest first (kept for devices now offline). */
  releaseAcks(user: SimUser): Promise<void> {
    return this.edge.messaging.releaseAcks(simUserOf(user));
  }

  // ------------------------------------------------------------------ observation

  /** A copy of the ordered event log. */
  events(): SimEvent[] {
    return this.log.all();
  }

  /** Every change of an account's count of live logged-in sockets, in log order (see live-sockets.ts). */
  liveSocketHistory(): LiveSocketSample[] {
    return liveSocketHistory(this.log.all());
  }

  /** Live logged-in sockets of each account now (accounts with none are left out). */
  liveSockets(): Map<SimUser, number> {
    const now = new Map<SimUser, number>();
    for (const sample of this.liveSocketHistory())
      if (sample.live > 0) now.set(sample.user, sample.live);
      else now.delete(sample.user);
    return now;
  }

  /** The most live logged-in sockets any single account had at one instant, from log position `sinceSeq` on. */
  peakLiveSockets(sinceSeq = 0): number {
    return Math.max(
      0,
      ...this.liveSocketHistory()
        .filter((sample) => sample.seq > sinceSeq)
        .map((sample) => sample.live),
    );
  }

  /** Users having at least one live, logged-in connection. */
  online(): SimUser[] {
    return this.edge.online();
  }

  /** Devices currently linked (paired and not removed), with what the server holds for them. */
  linkedDevices(user?: SimUser): LinkedDeviceState[] {
    return this.edge.phones.linkedDevices(
      user === undefined ? undefined : simUserOf(user),
    );
  }

  /**
   * Resolves with the first event (already logged or future) matching `predicate`; rejects after timeoutMs
   * with the log attached, which is usually the fastest way to see why a story stalled.
   */
  waitFor<E extends SimEvent>(
    predicate: (event: SimEvent) => event is E,
    timeoutMs?: number,
  ): Promise<E>;
  waitFor(
    predicate: (event: SimEvent) => boolean,
    timeoutMs?: number,
  ): Promise<SimEvent>;
  waitFor(
    predicate: (event: SimEvent) => boolean,
    timeoutMs = DEFAULT_WAIT_TIMEOUT_MS,
  ): Promise<SimEvent> {
    return this.log.waitFor(predicate, timeoutMs);
  }

  /**
   * Resolves once no live connection has sent anything for `quietMs`, counted from the call at the
   * earliest: frames the client already wrote (it runs in this process) get an event-loop turn to arrive.
   *
   * Baileys fires queries right after 'open' (props, blocklist, privacy) and, if its connection ends while
   * they are in flight, leaves their 60 s timers running (end() drops the listeners that would cancel them),
   * which keeps Jest alive. Wait for quiet before kicking, logging out or ending a freshly opened socket.
   */
  async waitForQuiet(
    quietMs = DEFAULT_QUIET_MS,
    timeoutMs = DEFAULT_WAIT_TIMEOUT_MS,
  ): Promise<void> {
    const calledAt = Date.now();
    const deadline = calledAt + timeoutMs;
    for (;;) {
      const lastActivity = Math.max(calledAt, this.edge.lastClientActivity());
      const remaining = lastActivity + quietMs - Date.now();
      if (remaining <= 0) return;
      if (Date.now() + remaining > deadline) {
        throw new Error(
          `connections still chatty after ${timeoutMs} ms; log:\n${this.log.describe()}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, remaining));
    }
  }

  /** Closes every socket, then the server. */
  async close(): Promise<void> {
    this.edge.terminateAll();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
