/**
 * A local stand-in for WhatsApp's edge server (wss://web.whatsapp.com/ws/chat).
 *
 * It speaks just enough of the edge protocol for an UNMODIFIED Baileys socket to walk through its whole
 * lifecycle: QR registration, pairing by a "phone", the 515 restart, login with stored creds, server-side
 * stream errors, refused logins and the client's own logout. Everything it does is recorded in an ordered
 * event log so tests can assert on what the server saw, not only on what the client reported.
 *
 * Baileys only talks to a server whose Noise certificate chain is signed by WhatsApp's root key, so tests
 * must trust the simulator's root first (see `trustWaSimulatorRoot` in wa-simulator-trust.ts).
 *
 * Parts: framing.ts + noise.ts (transport), edge-connection.ts (one socket), pairing.ts + phone-directory.ts
 * (the phone, its accounts and devices), session-iqs.ts (iqs around login), sim-events.ts (the log).
 */
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { Curve, proto, type BinaryNode } from '@whiskeysockets/baileys';
import { issueCertificateChain, simulatorRootKeyPair } from './certificates';
import { EdgeConnection } from './edge-connection';
import {
  buildSignedDeviceIdentity,
  isValidDeviceSignature,
  parseQr,
  type ParsedQr,
} from './pairing';
import { PhoneDirectory, type DeviceRecord } from './phone-directory';
import { reportFailure } from './report-failure';
import { answerSessionIq } from './session-iqs';
import { DEFAULT_WAIT_TIMEOUT_MS, EventLog, type SimEvent } from './sim-events';
import {
  simUserOf,
  type LinkedDevice,
  type LinkedDeviceState,
  type ScanOptions,
  type SimUser,
  type WaSimulatorOptions,
} from './sim-types';
import {
  firstChild,
  iqResult,
  offlineDrained,
  pairDeviceStanza,
  pairSuccessStanza,
  streamErrorFor,
  successStanza,
} from './stanzas';

interface LiveSession {
  readonly conn: EdgeConnection;
  readonly device: DeviceRecord;
}

/** INITIAL_PREKEY_COUNT in Baileys' Defaults: what its first upload would have sent. */
const DEFAULT_INITIAL_PREKEY_COUNT = 812;
const DEFAULT_CLOSE_GRACE_MS = 250;
const DEFAULT_REPLY_TIMEOUT_MS = 5_000;
const DEFAULT_QUIET_MS = 100;
const QR_REFS_PER_REGISTRATION = 6;

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
  private readonly connections = new Map<number, EdgeConnection>();
  private readonly phones = new PhoneDirectory();
  private readonly staticKeys = Curve.generateKeyPair();
  private readonly certChain = issueCertificateChain(this.staticKeys.public);
  private readonly options: Required<WaSimulatorOptions>;
  private nextConnectionId = 1;

  private constructor(
    private readonly server: WebSocketServer,
    /** ws:// URL to give Baileys as `waWebSocketUrl`. */
    readonly url: string,
    options: WaSimulatorOptions,
  ) {
    this.options = {
      initialPreKeyCount:
        options.initialPreKeyCount ?? DEFAULT_INITIAL_PREKEY_COUNT,
      closeGraceMs: options.closeGraceMs ?? DEFAULT_CLOSE_GRACE_MS,
      replyTimeoutMs: options.replyTimeoutMs ?? DEFAULT_REPLY_TIMEOUT_MS,
    };
    server.on('connection', (ws) => this.accept(ws));
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
  async scan(qr: string, options: ScanOptions = {}): Promise<LinkedDevice> {
    const parsed = parseQr(qr);
    const conn = this.registrationConnectionFor(parsed);
    const account = this.phones.accountFor(
      options.phone === undefined
        ? this.phones.assignPhone()
        : simUserOf(options.phone),
    );
    const device = this.phones.newDevice(account);
    this.log.record({
      type: 'pair-success',
      conn: conn.id,
      user: device.user,
      jid: device.jid,
      lid: device.lid,
    });
    const reply = await conn.request(
      pairSuccessStanza(
        conn.newStanzaId(),
        device,
        buildSignedDeviceIdentity(account.accountKeys, device.deviceId, parsed),
        options.businessName,
      ),
      this.options.replyTimeoutMs,
    );
    if (!isValidDeviceSignature(reply, account.accountKeys.public, parsed)) {
      throw new Error(
        `client answered pair-success without a valid device signature on conn ${conn.id}`,
      );
    }
    this.phones.link(device, parsed.noiseKey, this.options.initialPreKeyCount);
    this.log.record({
      type: 'paired',
      conn: conn.id,
      user: device.user,
      jid: device.jid,
    });
    await conn.sendNode(streamErrorFor(515));
    this.log.record({
      type: 'restart-requested',
      conn: conn.id,
      user: device.user,
      code: 515,
    });
    conn.closeAfter(this.options.closeGraceMs);
    return device;
  }

  // ------------------------------------------------------------------ server-side controls

  /** Sends a stream error with `code` to every live logged-in connection of `user`; returns how many. */
  async kick(user: SimUser, code: number): Promise<number> {
    const targets = this.liveSessionsOf(simUserOf(user));
    for (const { conn, device } of targets) {
      if (code === 401) this.phones.remove(device.jid); // 401 is "device removed": it may not log in again
      await conn.sendNode(streamErrorFor(code));
      this.log.record({
        type: 'kick',
        conn: conn.id,
        user: device.user,
        jid: device.jid,
        code,
      });
      conn.closeAfter(this.options.closeGraceMs);
    }
    return targets.length;
  }

  /** Every later login of `user` is answered with <failure reason=code/> until acceptLogins(user). */
  rejectLogins(user: SimUser, code = 401): void {
    this.phones.refuseLogins(simUserOf(user), code);
  }

  acceptLogins(user: SimUser): void {
    this.phones.acceptLogins(simUserOf(user));
  }

  // ------------------------------------------------------------------ observation

  /** A copy of the ordered event log. */
  events(): SimEvent[] {
    return this.log.all();
  }

  /** Users having at least one live, logged-in connection. */
  online(): SimUser[] {
    const users = new Set<SimUser>();
    for (const conn of this.connections.values()) {
      if (conn.isOpen && conn.device) users.add(conn.device.user);
    }
    return [...users];
  }

  /** Devices currently linked (paired and not removed), with what the server holds for them. */
  linkedDevices(user?: SimUser): LinkedDeviceState[] {
    return this.phones.linkedDevices(
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
      const lastActivity = Math.max(
        calledAt,
        ...[...this.connections.values()].map((c) => c.lastClientFrameAt),
      );
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
    for (const conn of this.connections.values()) conn.terminate();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  // ------------------------------------------------------------------ connection lifecycle

  private accept(ws: WebSocket): void {
    const conn = new EdgeConnection(
      this.nextConnectionId++,
      ws,
      this.staticKeys,
      this.certChain,
      {
        onClientPayload: (c, payload) => {
          this.onClientPayload(c, payload).catch(
            reportFailure(`conn ${c.id} client payload`),
          );
        },
        onNode: (c, node) => {
          this.onNode(c, node).catch(
            reportFailure(`conn ${c.id} <${node.tag}>`),
          );
        },
        onClose: (c, wsCode) => this.onClose(c, wsCode),
      },
    );
    this.connections.set(conn.id, conn);
    this.log.record({ type: 'connected', conn: conn.id });
  }

  private async onClientPayload(
    conn: EdgeConnection,
    payload: proto.ClientPayload,
  ): Promise<void> {
    if (payload.devicePairingData) {
      await this.startRegistration(conn);
      return;
    }
    await this.login(conn, String(payload.username ?? ''), payload.device ?? 0);
  }

  /** A new companion: hand it refs to show as QR codes (one every qrTimeout on the client side). */
  private async startRegistration(conn: EdgeConnection): Promise<void> {
    this.log.record({ type: 'registration', conn: conn.id });
    conn.qrRefs = Array.from(
      { length: QR_REFS_PER_REGISTRATION },
      () => `2@${randomBytes(24).toString('base64')}`,
    );
    this.log.record({ type: 'qr-refs-sent', conn: conn.id, refs: conn.qrRefs });
    await conn
      .request(
        pairDeviceStanza(conn.newStanzaId(), conn.qrRefs),
        this.options.replyTimeoutMs,
      )
      .catch(() => undefined);
  }

  private async login(
    conn: EdgeConnection,
    user: SimUser,
    deviceId: number,
  ): Promise<void> {
    const jid = `${user}:${deviceId}@s.whatsapp.net`;
    const verdict = this.phones.judgeLogin(user, jid, conn.clientNoiseKey);
    if ('refusal' in verdict) {
      const { code, reason } = verdict.refusal;
      this.log.record({
        type: 'login-refused',
        conn: conn.id,
        user,
        jid,
        code,
        reason,
      });
      await conn.sendNode({
        tag: 'failure',
        attrs: { reason: code.toString(), location: 'sim' },
      });
      conn.closeAfter(this.options.closeGraceMs);
      return;
    }
    const { device } = verdict;
    conn.device = device;
    this.log.record({ type: 'login-accepted', conn: conn.id, user, jid });
    await conn.sendNode(successStanza(device));
    await conn.sendNode(offlineDrained());
  }

  private onClose(conn: EdgeConnection, wsCode: number): void {
    this.connections.delete(conn.id);
    this.log.record({
      type: 'closed',
      conn: conn.id,
      ...(conn.device ? { user: conn.device.user, jid: conn.device.jid } : {}),
      wsCode,
      by: conn.closedByServer ? 'server' : 'client',
    });
  }

  // ------------------------------------------------------------------ stanzas from the client

  private async onNode(conn: EdgeConnection, node: BinaryNode): Promise<void> {
    if (node.tag !== 'iq') return; // presence, ib telemetry, acks: nothing to answer
    const child = firstChild(node);
    const answer = answerSessionIq(
      {
        device: conn.device,
        onLogout: (request) => this.logout(conn, request),
      },
      node,
      child,
    );
    this.log.record({
      type: answer.known ? 'iq' : 'unknown-iq',
      conn: conn.id,
      ...(conn.device ? { user: conn.device.user } : {}),
      xmlns: node.attrs.xmlns ?? '',
      iqType: node.attrs.type ?? '',
      ...(child ? { child: child.tag } : {}),
    });
    // Every iq gets a result: Baileys waits up to 60 s (defaultQueryTimeoutMs) for any it does not get.
    await conn.sendNode(iqResult(node, answer.content));
  }

  /** The client's own logout: the device is unlinked, so its stored creds are refused from now on. */
  private logout(conn: EdgeConnection, request: BinaryNode | undefined): void {
    const jid = request?.attrs.jid ?? conn.device?.jid;
    if (!jid) return;
    this.phones.remove(jid);
    this.log.record({
      type: 'logout',
      conn: conn.id,
      user: simUserOf(jid),
      jid,
      reason: request?.attrs.reason ?? '',
    });
  }

  // ------------------------------------------------------------------ helpers

  private registrationConnectionFor(qr: ParsedQr): EdgeConnection {
    const conn = [...this.connections.values()].find(
      (c) => c.isOpen && c.qrRefs.includes(qr.ref),
    );
    if (!conn)
      throw new Error(
        `no live registration connection showed QR ref ${qr.ref}`,
      );
    if (!conn.clientNoiseKey?.equals(qr.noiseKey)) {
      throw new Error(
        `QR noise key does not match the one connection ${conn.id} handshook with`,
      );
    }
    return conn;
  }

  private liveSessionsOf(user: SimUser): LiveSession[] {
    return [...this.connections.values()].flatMap((conn) =>
      conn.isOpen && conn.device?.user === user
        ? [{ conn, device: conn.device }]
        : [],
    );
  }
}
