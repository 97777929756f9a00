/**
 * The edge's protocol side: accepts WebSocket connections, registers and pairs new companions, logs
 * devices in, answers their iqs and hands their messages and receipts to messaging/. The WaSimulator facade
 * drives it.
 */
import { randomBytes } from 'node:crypto';
import type { WebSocket } from 'ws';
import { Curve, proto, type BinaryNode } from '@whiskeysockets/baileys';
import { issueCertificateChain } from './certificates';
import { EdgeConnection } from './edge-connection';
import { DeviceMailbox } from './messaging/device-mailbox';
import { Messaging } from './messaging/messaging';
import { answerMessagingIq } from './messaging/messaging-iqs';
import { LinkCodes } from './link-code-pairing';
import {
  buildSignedDeviceIdentity,
  isValidDeviceSignature,
  parseQr,
  type CompanionIdentity,
  type ParsedQr,
} from './pairing';
import {
  PhoneDirectory,
  type DeviceRecord,
  type PhoneAccount,
} from './phone-directory';
import { reportFailure } from './report-failure';
import { answerSessionIq } from './session-iqs';
import { CompanionKeys } from './signal/companion-keys';
import type { EventLog } from './sim-events';
import {
  simUserOf,
  type LinkedDevice,
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

const QR_REFS_PER_REGISTRATION = 6;

export class EdgeServer {
  readonly phones = new PhoneDirectory();
  readonly messaging: Messaging;
  private readonly linkCodes: LinkCodes;
  private readonly connections = new Map<number, EdgeConnection>();
  private readonly mailbox = new DeviceMailbox({
    liveConnection: (jid) =>
      [...this.connections.values()].find(
        (c) => c.isOpen && c.device?.jid === jid,
      ),
  });
  private readonly staticKeys = Curve.generateKeyPair();
  private readonly certChain = issueCertificateChain(this.staticKeys.public);
  private nextConnectionId = 1;

  constructor(
    private readonly log: EventLog,
    private readonly options: Required<WaSimulatorOptions>,
  ) {
    this.messaging = new Messaging(this.phones, log, this.mailbox);
    this.linkCodes = new LinkCodes(log, options.replyTimeoutMs);
  }

  accept(ws: WebSocket): void {
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

  // ------------------------------------------------------------------ the phone links a device

  /** See WaSimulator.scan. */
  async pair(qr: string, options: ScanOptions): Promise<LinkedDevice> {
    const parsed = parseQr(qr);
    const conn = this.registrationConnectionFor(parsed);
    return this.linkCompanion(conn, parsed, this.accountFor(options), options);
  }

  /** See WaSimulator.enterCode. */
  async enterCode(
    phone: SimUser,
    code: string,
    options: ScanOptions,
  ): Promise<LinkedDevice> {
    const account = this.phones.accountFor(phone);
    const companion = await this.linkCodes.enterCode(account, code);
    return this.linkCompanion(companion.conn, companion, account, options);
  }

  private accountFor(options: ScanOptions): PhoneAccount {
    return this.phones.accountFor(
      options.phone === undefined
        ? this.phones.assignPhone()
        : simUserOf(options.phone),
    );
  }

  /**
   * The phone links the registering companion on `conn`: pair-success with a signed device identity, the
   * companion's pair-device-sign, then a request to restart (515). The same for a QR scan and a code.
   */
  private async linkCompanion(
    conn: EdgeConnection,
    companion: CompanionIdentity,
    account: PhoneAccount,
    options: ScanOptions,
  ): Promise<LinkedDevice> {
    const signal = conn.registrationKeys;
    const noiseKey = conn.clientNoiseKey;
    if (!signal || !noiseKey)
      throw new Error(`conn ${conn.id} registered without keys`);
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
        buildSignedDeviceIdentity(
          account.accountKeys,
          device.deviceId,
          companion,
        ),
        options.businessName,
      ),
      this.options.replyTimeoutMs,
    );
    if (!isValidDeviceSignature(reply, account.accountKeys.public, companion)) {
      throw new Error(
        `client answered pair-success without a valid device signature on conn ${conn.id}`,
      );
    }
    this.phones.link(device, noiseKey, this.options.initialPreKeyCount, signal);
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

  /** See WaSimulator.kick. */
  async kick(user: SimUser, code: number): Promise<number> {
    const targets = this.liveSessionsOf(user);
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

  online(): SimUser[] {
    const users = new Set<SimUser>();
    for (const conn of this.connections.values()) {
      if (conn.isOpen && conn.device) users.add(conn.device.user);
    }
    return [...users];
  }

  /** Date.now() of the latest bytes any live connection received from its client. */
  lastClientActivity(): number {
    return Math.max(
      0,
      ...[...this.connections.values()].map((c) => c.lastClientFrameAt),
    );
  }

  terminateAll(): void {
    for (const conn of this.connections.values()) conn.terminate();
  }

  // ------------------------------------------------------------------ connection lifecycle

  private async onClientPayload(
    conn: EdgeConnection,
    payload: proto.ClientPayload,
  ): Promise<void> {
    if (payload.devicePairingData) {
      conn.registrationKeys = CompanionKeys.fromPairingData(
        payload.devicePairingData,
      );
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
      .catch(() => undefined); // nobody scanning is a normal story: the client times out on its own
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
    await this.deliverOfflineQueue(conn, device);
  }

  /** What waited while the device was offline, then the "offline queue drained" marker. */
  private async deliverOfflineQueue(
    conn: EdgeConnection,
    device: DeviceRecord,
  ): Promise<void> {
    const waiting = this.mailbox.drain(device.jid);
    for (const node of waiting) await conn.sendNode(node);
    if (waiting.length > 0) {
      this.log.record({
        type: 'offline-delivered',
        conn: conn.id,
        user: device.user,
        jid: device.jid,
        count: waiting.length,
      });
    }
    await conn.sendNode(offlineDrained(waiting.length));
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
    switch (node.tag) {
      case 'iq':
        return this.answerIq(conn, node);
      case 'message':
        return this.messaging.onClientMessage(conn, node);
      case 'receipt':
        return this.messaging.onClientReceipt(conn, node);
      default:
        return; // presence, ib telemetry, acks: nothing to answer
    }
  }

  private async answerIq(
    conn: EdgeConnection,
    node: BinaryNode,
  ): Promise<void> {
    const child = firstChild(node);
    const answer =
      this.linkCodes.answer(conn, node, child) ??
      answerMessagingIq(this.phones, node, child) ??
      answerSessionIq(
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
