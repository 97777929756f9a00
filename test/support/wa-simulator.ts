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
 * Wire format, mirrored from Baileys' own client (lib/Utils/noise-handler.js, lib/Socket/socket.js):
 * - the client opens with a 4-byte intro ("WA", 6, DICT_VERSION), optionally preceded by edge routing info;
 * - every frame is a 3-byte big-endian length followed by the payload;
 * - Noise XX handshake: ClientHello -> ServerHello{ephemeral, static, CertChain} -> ClientFinish{static,
 *   ClientPayload}; then AES-GCM transport frames carrying encoded binary nodes.
 */
import { randomBytes, randomInt } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import {
  aesDecryptGCM,
  aesEncryptGCM,
  Curve,
  decodeBinaryNode,
  encodeBinaryNode,
  getBinaryNodeChild,
  getBinaryNodeChildren,
  hkdf,
  hmacSign,
  NOISE_MODE,
  NOISE_WA_HEADER,
  proto,
  S_WHATSAPP_NET,
  sha256,
  WA_ADV_ACCOUNT_SIG_PREFIX,
  WA_ADV_DEVICE_SIG_PREFIX,
  WA_CERT_DETAILS,
  type BinaryNode,
  type KeyPair,
} from '@whiskeysockets/baileys';

// -----------------------------------------------------------------------------
// Public types
// -----------------------------------------------------------------------------

/** A phone number without "+", e.g. "33600000001": the simulator's notion of a WhatsApp account. */
export type SimUser = string;

interface SimEventBase {
  /** Position in the log, strictly increasing; use it to wait for events after a given point. */
  readonly seq: number;
  /** Date.now() when it happened. */
  readonly at: number;
  /** Id of the WebSocket connection the event belongs to. */
  readonly conn: number;
}

interface IqFields {
  readonly user?: SimUser;
  readonly xmlns: string;
  readonly iqType: string;
  /** Tag of the first child, e.g. "count" for the pre-key count query. */
  readonly child?: string;
}

/** Everything the simulated edge saw or did, in order. */
export type SimEvent =
  | (SimEventBase & { readonly type: 'connected' })
  | (SimEventBase & { readonly type: 'registration' })
  | (SimEventBase & {
      readonly type: 'qr-refs-sent';
      readonly refs: readonly string[];
    })
  | (SimEventBase & {
      readonly type: 'pair-success';
      readonly user: SimUser;
      readonly jid: string;
      readonly lid: string;
    })
  | (SimEventBase & {
      readonly type: 'paired';
      readonly user: SimUser;
      readonly jid: string;
    })
  | (SimEventBase & {
      readonly type: 'restart-requested';
      readonly user: SimUser;
      readonly code: 515;
    })
  | (SimEventBase & {
      readonly type: 'login-accepted';
      readonly user: SimUser;
      readonly jid: string;
    })
  | (SimEventBase & {
      readonly type: 'login-refused';
      readonly user: SimUser;
      readonly jid: string;
      readonly code: number;
      readonly reason: LoginRefusalReason;
    })
  | (SimEventBase & {
      readonly type: 'kick';
      readonly user: SimUser;
      readonly jid: string;
      readonly code: number;
    })
  | (SimEventBase & {
      readonly type: 'logout';
      readonly user: SimUser;
      readonly jid: string;
      readonly reason: string;
    })
  /** An iq the simulator knows and answered with the content Baileys parses. */
  | (SimEventBase & IqFields & { readonly type: 'iq' })
  /** An iq the simulator does not know: still answered with an empty result, so nothing waits 60 s. */
  | (SimEventBase & IqFields & { readonly type: 'unknown-iq' })
  | (SimEventBase & {
      readonly type: 'closed';
      readonly user?: SimUser;
      readonly jid?: string;
      readonly wsCode: number;
      readonly by: 'client' | 'server';
    });

export type SimEventType = SimEvent['type'];
export type SimEventOf<T extends SimEventType> = Extract<SimEvent, { type: T }>;

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

// -----------------------------------------------------------------------------
// Certificates: one root per process (so trusting it once covers every simulator), one chain per simulator
// -----------------------------------------------------------------------------

let processRootKeyPair: KeyPair | undefined;

/** Lazily created so importing this module has no side effect besides defining things. */
const simulatorRootKeyPair = (): KeyPair => {
  processRootKeyPair ??= Curve.generateKeyPair();
  return processRootKeyPair;
};

const INTERMEDIATE_SERIAL = 1;
const LEAF_SERIAL = 2;
const ONE_YEAR_S = 365 * 24 * 3600;

const encodeCertificateDetails = (
  serial: number,
  issuerSerial: number,
  key: Uint8Array,
): Uint8Array => {
  const notBefore = Math.floor(Date.now() / 1000) - 60;
  return proto.CertChain.NoiseCertificate.Details.encode({
    serial,
    issuerSerial,
    key,
    notBefore,
    notAfter: notBefore + ONE_YEAR_S,
  }).finish();
};

/**
 * Baileys checks: intermediate signed by the root (WA_CERT_DETAILS.PUBLIC_KEY) with issuerSerial equal to
 * WA_CERT_DETAILS.SERIAL, and leaf signed by the intermediate's key. The leaf certifies our static key.
 */
const issueCertificateChain = (serverStaticPublic: Uint8Array): Uint8Array => {
  const intermediateKeys = Curve.generateKeyPair();
  const intermediateDetails = encodeCertificateDetails(
    INTERMEDIATE_SERIAL,
    WA_CERT_DETAILS.SERIAL,
    intermediateKeys.public,
  );
  const leafDetails = encodeCertificateDetails(
    LEAF_SERIAL,
    INTERMEDIATE_SERIAL,
    serverStaticPublic,
  );
  return proto.CertChain.encode({
    intermediate: {
      details: intermediateDetails,
      signature: Curve.sign(
        simulatorRootKeyPair().private,
        intermediateDetails,
      ),
    },
    leaf: {
      details: leafDetails,
      signature: Curve.sign(intermediateKeys.private, leafDetails),
    },
  }).finish();
};

// -----------------------------------------------------------------------------
// Framing and Noise (server side of lib/Utils/noise-handler.js)
// -----------------------------------------------------------------------------

const FRAME_LENGTH_BYTES = 3;
const WA_INTRO_LENGTH = 4;
const EDGE_ROUTING_PREFIX = 'ED';
const EDGE_ROUTING_FIXED_LENGTH = 7;

const encodeFrame = (payload: Uint8Array): Buffer => {
  const frame = Buffer.alloc(FRAME_LENGTH_BYTES + payload.byteLength);
  frame.writeUIntBE(payload.byteLength, 0, FRAME_LENGTH_BYTES);
  frame.set(payload, FRAME_LENGTH_BYTES);
  return frame;
};

const toBuffer = (data: RawData): Buffer => {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
};

/** Splits the client's byte stream into frames, dropping the one-time intro header first. */
class FrameReader {
  private pending: Buffer = Buffer.alloc(0);
  private introSkipped = false;

  push(chunk: Buffer): Buffer[] {
    this.pending = Buffer.concat([this.pending, chunk]);
    if (!this.introSkipped && !this.skipIntro()) return [];
    const frames: Buffer[] = [];
    while (this.pending.length >= FRAME_LENGTH_BYTES) {
      const size = this.pending.readUIntBE(0, FRAME_LENGTH_BYTES);
      if (this.pending.length < FRAME_LENGTH_BYTES + size) break;
      frames.push(
        this.pending.subarray(FRAME_LENGTH_BYTES, FRAME_LENGTH_BYTES + size),
      );
      this.pending = this.pending.subarray(FRAME_LENGTH_BYTES + size);
    }
    return frames;
  }

  /** The intro is "WA" 6 3, or "ED" 0 1 len(3) routingInfo followed by it when the client has routing info. */
  private skipIntro(): boolean {
    let introLength = WA_INTRO_LENGTH;
    if (
      this.pending.subarray(0, 2).toString('latin1') === EDGE_ROUTING_PREFIX
    ) {
      if (this.pending.length < EDGE_ROUTING_FIXED_LENGTH) return false;
      const routingLength = this.pending.readUIntBE(4, 3);
      introLength = EDGE_ROUTING_FIXED_LENGTH + routingLength + WA_INTRO_LENGTH;
    }
    if (this.pending.length < introLength) return false;
    this.pending = this.pending.subarray(introLength);
    this.introSkipped = true;
    return true;
  }
}

const gcmIv = (counter: number): Buffer => {
  const iv = Buffer.alloc(12);
  iv.writeUInt32BE(counter, 8);
  return iv;
};

/** Post-handshake cipher: independent counters per direction, no associated data. */
class TransportCipher {
  private writeCounter = 0;
  private readCounter = 0;

  constructor(
    private readonly encryptKey: Uint8Array,
    private readonly decryptKey: Uint8Array,
  ) {}

  encrypt(plaintext: Uint8Array): Buffer {
    return aesEncryptGCM(
      plaintext,
      this.encryptKey,
      gcmIv(this.writeCounter++),
      Buffer.alloc(0),
    );
  }

  decrypt(ciphertext: Uint8Array): Buffer {
    return aesDecryptGCM(
      ciphertext,
      this.decryptKey,
      gcmIv(this.readCounter++),
      Buffer.alloc(0),
    );
  }
}

/** The symmetric state both Noise parties keep in lock-step during the handshake. */
class NoiseSymmetricState {
  private hash: Buffer;
  private salt: Buffer;
  private key: Buffer;
  private counter = 0;

  constructor() {
    const mode = Buffer.from(NOISE_MODE);
    this.hash = mode.byteLength === 32 ? mode : sha256(mode);
    this.salt = this.hash;
    this.key = this.hash;
  }

  mixHash(data: Uint8Array): void {
    this.hash = sha256(Buffer.concat([this.hash, data]));
  }

  mixKey(sharedSecret: Uint8Array): void {
    const [salt, key] = this.expand(sharedSecret);
    this.salt = salt;
    this.key = key;
    this.counter = 0;
  }

  encryptAndHash(plaintext: Uint8Array): Buffer {
    const ciphertext = aesEncryptGCM(
      plaintext,
      this.key,
      gcmIv(this.counter++),
      this.hash,
    );
    this.mixHash(ciphertext);
    return ciphertext;
  }

  decryptAndHash(ciphertext: Uint8Array): Buffer {
    const plaintext = aesDecryptGCM(
      ciphertext,
      this.key,
      gcmIv(this.counter++),
      this.hash,
    );
    this.mixHash(ciphertext);
    return plaintext;
  }

  /** The client writes with the first half and reads with the second; the server mirrors it. */
  split(): TransportCipher {
    const [clientWrite, clientRead] = this.expand(new Uint8Array(0));
    return new TransportCipher(clientRead, clientWrite);
  }

  private expand(input: Uint8Array): [Buffer, Buffer] {
    const output = Buffer.from(hkdf(input, 64, { salt: this.salt, info: '' }));
    return [output.subarray(0, 32), output.subarray(32)];
  }
}

// -----------------------------------------------------------------------------
// Accounts and devices
// -----------------------------------------------------------------------------

interface PhoneAccount {
  readonly user: SimUser;
  /** The LID user WhatsApp would assign to this phone; random digits are enough for Baileys. */
  readonly lidUser: string;
  /** The phone's ADV account key: signs every companion device it links. */
  readonly accountKeys: KeyPair;
  nextDeviceId: number;
}

interface DeviceRecord extends LinkedDeviceState {
  /** Noise static key the companion must present on every login (checked like the real server does). */
  readonly noiseKey: Buffer;
}

interface ParsedQr {
  readonly ref: string;
  readonly noiseKey: Buffer;
  readonly identityKey: Buffer;
  readonly advSecret: Buffer;
  readonly platformId: string;
}

const QR_PREFIX = 'https://wa.me/settings/linked_devices#';
const QR_REFS_PER_REGISTRATION = 6;

/** Layout built by buildPairingQRData in lib/Utils/companion-reg-client-utils.js. */
const parseQr = (qr: string): ParsedQr => {
  if (!qr.startsWith(QR_PREFIX))
    throw new Error(`not a WhatsApp linking QR: ${qr}`);
  const parts = qr.slice(QR_PREFIX.length).split(',');
  const [ref, noiseKeyB64, identityKeyB64, advSecretB64, platformId] = parts;
  if (
    parts.length !== 5 ||
    !ref ||
    !noiseKeyB64 ||
    !identityKeyB64 ||
    !advSecretB64 ||
    !platformId
  ) {
    throw new Error(`malformed linking QR: ${qr}`);
  }
  return {
    ref,
    noiseKey: Buffer.from(noiseKeyB64, 'base64'),
    identityKey: Buffer.from(identityKeyB64, 'base64'),
    advSecret: Buffer.from(advSecretB64, 'base64'),
    platformId,
  };
};

/**
 * What the phone sends in <device-identity>: the device details signed by the account key over
 * [6,0] + details + companion identity key, wrapped with an HMAC keyed by the QR's adv secret
 * (see configureSuccessfulPairing in lib/Utils/validate-connection.js).
 */
const buildSignedDeviceIdentity = (
  account: PhoneAccount,
  deviceId: number,
  qr: ParsedQr,
): Uint8Array => {
  const deviceDetails = proto.ADVDeviceIdentity.encode({
    rawId: randomInt(1, 2 ** 31),
    timestamp: Math.floor(Date.now() / 1000),
    keyIndex: deviceId,
    accountType: proto.ADVEncryptionType.E2EE,
    deviceType: proto.ADVEncryptionType.E2EE,
  }).finish();
  const accountSignature = Curve.sign(
    account.accountKeys.private,
    Buffer.concat([WA_ADV_ACCOUNT_SIG_PREFIX, deviceDetails, qr.identityKey]),
  );
  const signedIdentity = proto.ADVSignedDeviceIdentity.encode({
    details: deviceDetails,
    accountSignatureKey: account.accountKeys.public,
    accountSignature,
  }).finish();
  return proto.ADVSignedDeviceIdentityHMAC.encode({
    details: signedIdentity,
    hmac: hmacSign(signedIdentity, qr.advSecret),
  }).finish();
};

/** The companion proves it holds the identity key by signing [6,1] + details + identityKey + accountKey. */
const isValidDeviceSignature = (
  reply: BinaryNode,
  account: PhoneAccount,
  qr: ParsedQr,
): boolean => {
  const identityNode = getBinaryNodeChild(
    getBinaryNodeChild(reply, 'pair-device-sign'),
    'device-identity',
  );
  if (!(identityNode?.content instanceof Uint8Array)) return false;
  const signed = proto.ADVSignedDeviceIdentity.decode(identityNode.content);
  if (!signed.details || !signed.deviceSignature) return false;
  const message = Buffer.concat([
    WA_ADV_DEVICE_SIG_PREFIX,
    signed.details,
    qr.identityKey,
    account.accountKeys.public,
  ]);
  return Curve.verify(qr.identityKey, message, signed.deviceSignature);
};

/** Handlers run detached from ws callbacks; a failure must surface, not vanish as an unhandled rejection. */
const reportFailure =
  (what: string) =>
  (error: unknown): void => {
    process.emitWarning(
      `wa-simulator ${what}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
    );
  };

/** A server listening on a TCP port reports an AddressInfo (a string for pipes, null before listening). */
const listeningAddress = (server: WebSocketServer): AddressInfo => {
  const address = server.address();
  if (address === null || typeof address === 'string') {
    throw new Error(`expected a TCP address, got ${String(address)}`);
  }
  return address;
};

/** "33600000001:2@s.whatsapp.net" or "33600000001@s.whatsapp.net" or "33600000001" -> "33600000001". */
export const simUserOf = (jidOrUser: string): SimUser =>
  jidOrUser.split('@')[0].split(':')[0];

// -----------------------------------------------------------------------------
// One client connection
// -----------------------------------------------------------------------------

type ConnectionStage =
  'awaiting-hello' | 'awaiting-finish' | 'transport' | 'closed';

interface ConnectionHandlers {
  onClientPayload(conn: EdgeConnection, payload: proto.ClientPayload): void;
  onNode(conn: EdgeConnection, node: BinaryNode): void;
  onClose(conn: EdgeConnection, wsCode: number): void;
}

interface PendingReply {
  resolve(node: BinaryNode): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

/** Server end of one WebSocket: handshake, encryption, node I/O. Knows nothing about accounts. */
class EdgeConnection {
  stage: ConnectionStage = 'awaiting-hello';
  /** Set once the client's static (noise) key is known, i.e. after ClientFinish. */
  clientNoiseKey: Buffer | undefined;
  /** Refs sent in <pair-device>, present on registration connections. */
  qrRefs: readonly string[] = [];
  /** Device this connection is logged in as; undefined while registering or before <success>. */
  device: DeviceRecord | undefined;
  /** Set when the server itself closed the socket, so the close is attributed correctly in the log. */
  closedByServer = false;
  /** Date.now() of the last bytes received from the client; see WaSimulator.waitForQuiet. */
  lastClientFrameAt = Date.now();

  private readonly reader = new FrameReader();
  private readonly noise = new NoiseSymmetricState();
  private readonly ephemeral = Curve.generateKeyPair();
  private transport: TransportCipher | undefined;
  /** Frames are decoded asynchronously; chaining keeps them in arrival order. */
  private inbox: Promise<void> = Promise.resolve();
  private readonly pendingReplies = new Map<string, PendingReply>();
  private nextStanzaId = 1;

  constructor(
    readonly id: number,
    private readonly ws: WebSocket,
    private readonly staticKeys: KeyPair,
    private readonly certChain: Uint8Array,
    private readonly handlers: ConnectionHandlers,
  ) {
    ws.on('message', (data) => this.receive(toBuffer(data)));
    ws.on('close', (code) => this.onWsClose(code));
    ws.on('error', () => undefined); // a reset peer is reported through 'close' as well
  }

  get isOpen(): boolean {
    return this.stage !== 'closed';
  }

  newStanzaId(): string {
    return `sim-${this.id}-${this.nextStanzaId++}`;
  }

  async sendNode(node: BinaryNode): Promise<void> {
    if (!this.transport || this.stage === 'closed') return;
    await this.sendRaw(this.transport.encrypt(encodeBinaryNode(node)));
  }

  /** Sends an iq and resolves with the client's answer carrying the same id. */
  async request(node: BinaryNode, timeoutMs: number): Promise<BinaryNode> {
    const id = node.attrs.id;
    const reply = new Promise<BinaryNode>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pendingReplies.delete(id);
        reject(new Error(`no answer to iq ${id} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pendingReplies.set(id, { resolve, reject, timer });
    });
    // Awaited together so a close during the send is never an unhandled rejection.
    const [answer] = await Promise.all([reply, this.sendNode(node)]);
    return answer;
  }

  /**
   * The real edge drops the socket after a stream error or failure; the grace period lets the client react
   * to the stanza first (it normally closes on its own, which is what Baileys reports).
   */
  closeAfter(graceMs: number): void {
    setTimeout(() => {
      if (this.ws.readyState !== this.ws.OPEN) return;
      this.closedByServer = true;
      this.ws.close(1000);
    }, graceMs).unref();
  }

  terminate(): void {
    if (this.ws.readyState === this.ws.CLOSED) return;
    this.closedByServer = true;
    this.ws.terminate();
  }

  private sendRaw(payload: Uint8Array): Promise<void> {
    return new Promise((resolve) => {
      // A send on a socket that is going away is not an error for a simulator: the close is logged anyway.
      this.ws.send(encodeFrame(payload), () => resolve());
    });
  }

  private receive(chunk: Buffer): void {
    this.lastClientFrameAt = Date.now();
    for (const frame of this.reader.push(chunk)) {
      this.inbox = this.inbox
        .then(() => this.handleFrame(frame))
        .catch((error: unknown) => this.fail(error));
    }
  }

  private async handleFrame(frame: Buffer): Promise<void> {
    switch (this.stage) {
      case 'awaiting-hello':
        return this.answerClientHello(frame);
      case 'awaiting-finish':
        return this.acceptClientFinish(frame);
      case 'transport':
        return this.dispatchNode(
          await decodeBinaryNode(this.requireTransport().decrypt(frame)),
        );
      case 'closed':
        return;
    }
  }

  private answerClientHello(frame: Buffer): Promise<void> {
    const clientEphemeral =
      proto.HandshakeMessage.decode(frame).clientHello?.ephemeral;
    if (!clientEphemeral) throw new Error('expected ClientHello');
    // The client hashed the WA header and its ephemeral key before anything else.
    this.noise.mixHash(NOISE_WA_HEADER);
    this.noise.mixHash(clientEphemeral);
    this.noise.mixHash(this.ephemeral.public);
    this.noise.mixKey(Curve.sharedKey(this.ephemeral.private, clientEphemeral));
    const encryptedStatic = this.noise.encryptAndHash(this.staticKeys.public);
    this.noise.mixKey(
      Curve.sharedKey(this.staticKeys.private, clientEphemeral),
    );
    const encryptedCertChain = this.noise.encryptAndHash(this.certChain);
    this.stage = 'awaiting-finish';
    const serverHello = proto.HandshakeMessage.encode({
      serverHello: {
        ephemeral: this.ephemeral.public,
        static: encryptedStatic,
        payload: encryptedCertChain,
      },
    }).finish();
    return this.sendRaw(serverHello);
  }

  private acceptClientFinish(frame: Buffer): void {
    const finish = proto.HandshakeMessage.decode(frame).clientFinish;
    if (!finish?.static || !finish.payload) {
      throw new Error('expected ClientFinish');
    }
    const clientStatic = this.noise.decryptAndHash(finish.static);
    this.noise.mixKey(Curve.sharedKey(this.ephemeral.private, clientStatic));
    const payload = proto.ClientPayload.decode(
      this.noise.decryptAndHash(finish.payload),
    );
    this.transport = this.noise.split();
    this.clientNoiseKey = clientStatic;
    this.stage = 'transport';
    this.handlers.onClientPayload(this, payload);
  }

  private dispatchNode(node: BinaryNode): void {
    const pending =
      node.tag === 'iq' ? this.pendingReplies.get(node.attrs.id) : undefined;
    if (
      pending &&
      (node.attrs.type === 'result' || node.attrs.type === 'error')
    ) {
      clearTimeout(pending.timer);
      this.pendingReplies.delete(node.attrs.id);
      pending.resolve(node);
      return;
    }
    this.handlers.onNode(this, node);
  }

  private requireTransport(): TransportCipher {
    if (!this.transport) throw new Error('transport not established');
    return this.transport;
  }

  /** A protocol error on our side: drop the connection so the test sees it instead of hanging. */
  private fail(error: unknown): void {
    reportFailure(`conn ${this.id} protocol`)(error);
    this.terminate();
  }

  private onWsClose(code: number): void {
    if (this.stage === 'closed') return;
    this.stage = 'closed';
    for (const pending of this.pendingReplies.values()) {
      clearTimeout(pending.timer);
      pending.reject(
        new Error(`connection ${this.id} closed before answering`),
      );
    }
    this.pendingReplies.clear();
    this.handlers.onClose(this, code);
  }
}

// -----------------------------------------------------------------------------
// Stanzas the edge sends
// -----------------------------------------------------------------------------

const nowSeconds = (): string => Math.floor(Date.now() / 1000).toString();

const iqResult = (request: BinaryNode, content?: BinaryNode[]): BinaryNode => ({
  tag: 'iq',
  attrs: { from: S_WHATSAPP_NET, type: 'result', id: request.attrs.id },
  ...(content ? { content } : {}),
});

/** 440 is expressed as a conflict (Baileys maps a code-less <conflict/> to 440); 401 as device removal. */
const streamErrorFor = (code: number): BinaryNode => {
  if (code === 440) {
    return {
      tag: 'stream:error',
      attrs: {},
      content: [{ tag: 'conflict', attrs: { type: 'replaced' } }],
    };
  }
  if (code === 401) {
    return {
      tag: 'stream:error',
      attrs: { code: '401' },
      content: [{ tag: 'conflict', attrs: { type: 'device_removed' } }],
    };
  }
  return { tag: 'stream:error', attrs: { code: code.toString() } };
};

/** `known` is false for iqs the simulator has no model of; they still get an empty result. */
interface IqAnswer {
  readonly known: boolean;
  readonly content?: BinaryNode[];
}

const EMPTY_ANSWER: IqAnswer = { known: true };
const UNKNOWN_IQ_ANSWER: IqAnswer = { known: false };
const answerWith = (...content: BinaryNode[]): IqAnswer => ({
  known: true,
  content,
});

/** The pre-key upload iq carries <list><key>…</key>×N</list>. */
const countUploadedPreKeys = (upload: BinaryNode): number =>
  getBinaryNodeChildren(getBinaryNodeChild(upload, 'list'), 'key').length;

const firstChild = (node: BinaryNode): BinaryNode | undefined =>
  Array.isArray(node.content) ? node.content[0] : undefined;

// -----------------------------------------------------------------------------
// The simulator
// -----------------------------------------------------------------------------

interface LiveSession {
  readonly conn: EdgeConnection;
  readonly device: DeviceRecord;
}

type LoginVerdict =
  | { readonly device: DeviceRecord }
  | {
      readonly refusal: {
        readonly code: number;
        readonly reason: LoginRefusalReason;
      };
    };

/** INITIAL_PREKEY_COUNT in Baileys' Defaults: what its first upload would have sent. */
const DEFAULT_INITIAL_PREKEY_COUNT = 812;
const DEFAULT_CLOSE_GRACE_MS = 250;
const DEFAULT_REPLY_TIMEOUT_MS = 5_000;
const DEFAULT_WAIT_TIMEOUT_MS = 5_000;
const DEFAULT_QUIET_MS = 100;
const FIRST_AUTO_PHONE = 33600000001;

/** Omit applied to each member of a union, so the discriminant still narrows. */
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown
  ? Omit<T, K>
  : never;
type EventInput = DistributiveOmit<SimEvent, 'seq' | 'at'>;

export class WaSimulator {
  /** Public key of the root that signs every simulator's certificate chain; see wa-simulator-trust.ts. */
  static get rootPublicKey(): Buffer<ArrayBuffer> {
    return Buffer.from(simulatorRootKeyPair().public);
  }

  /** Maps a Baileys jid (creds.me.id, e.g. "33600000001:1@s.whatsapp.net") to the simulator's user. */
  static userOf(jid: string): SimUser {
    return simUserOf(jid);
  }

  private readonly log: SimEvent[] = [];
  private readonly waiters = new Set<(event: SimEvent) => void>();
  private readonly connections = new Map<number, EdgeConnection>();
  private readonly accounts = new Map<SimUser, PhoneAccount>();
  private readonly devices = new Map<string, DeviceRecord>();
  private readonly removedDevices = new Set<string>();
  private readonly refusedLogins = new Map<SimUser, number>();
  private readonly staticKeys = Curve.generateKeyPair();
  private readonly certChain = issueCertificateChain(this.staticKeys.public);
  private readonly options: Required<WaSimulatorOptions>;
  private nextConnectionId = 1;
  private nextAutoPhone = FIRST_AUTO_PHONE;

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
    const account = this.accountFor(
      options.phone === undefined
        ? this.assignPhone()
        : simUserOf(options.phone),
    );
    const deviceId = account.nextDeviceId++;
    const device: LinkedDevice = {
      user: account.user,
      deviceId,
      jid: `${account.user}:${deviceId}@s.whatsapp.net`,
      lid: `${account.lidUser}:${deviceId}@lid`,
    };
    this.record({
      type: 'pair-success',
      conn: conn.id,
      user: device.user,
      jid: device.jid,
      lid: device.lid,
    });
    const reply = await conn.request(
      this.pairSuccessStanza(
        conn,
        device,
        buildSignedDeviceIdentity(account, deviceId, parsed),
        options,
      ),
      this.options.replyTimeoutMs,
    );
    if (!isValidDeviceSignature(reply, account, parsed)) {
      throw new Error(
        `client answered pair-success without a valid device signature on conn ${conn.id}`,
      );
    }
    this.devices.set(device.jid, {
      ...device,
      noiseKey: parsed.noiseKey,
      preKeysOnServer: this.options.initialPreKeyCount,
    });
    this.record({
      type: 'paired',
      conn: conn.id,
      user: device.user,
      jid: device.jid,
    });
    await conn.sendNode(streamErrorFor(515));
    this.record({
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
      if (code === 401) this.removeDevice(device.jid); // 401 is "device removed": it may not log in again
      await conn.sendNode(streamErrorFor(code));
      this.record({
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
    this.refusedLogins.set(simUserOf(user), code);
  }

  acceptLogins(user: SimUser): void {
    this.refusedLogins.delete(simUserOf(user));
  }

  // ------------------------------------------------------------------ observation

  /** A copy of the ordered event log. */
  events(): SimEvent[] {
    return [...this.log];
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
    return [...this.devices.values()]
      .filter((device) => user === undefined || device.user === simUserOf(user))
      .map(({ user: owner, deviceId, jid, lid, preKeysOnServer }) => ({
        user: owner,
        deviceId,
        jid,
        lid,
        preKeysOnServer,
      }));
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
    const past = this.log.find(predicate);
    if (past) return Promise.resolve(past);
    return new Promise((resolve, reject) => {
      const waiter = (event: SimEvent): void => {
        if (!predicate(event)) return;
        clearTimeout(timer);
        this.waiters.delete(waiter);
        resolve(event);
      };
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(
          new Error(
            `no matching simulator event within ${timeoutMs} ms; log:\n${this.describeLog()}`,
          ),
        );
      }, timeoutMs);
      this.waiters.add(waiter);
    });
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
          `connections still chatty after ${timeoutMs} ms; log:\n${this.describeLog()}`,
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
    this.record({ type: 'connected', conn: conn.id });
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
    this.record({ type: 'registration', conn: conn.id });
    conn.qrRefs = Array.from(
      { length: QR_REFS_PER_REGISTRATION },
      () => `2@${randomBytes(24).toString('base64')}`,
    );
    const pairDevice: BinaryNode = {
      tag: 'iq',
      attrs: {
        from: S_WHATSAPP_NET,
        type: 'set',
        id: conn.newStanzaId(),
        xmlns: 'md',
      },
      content: [
        {
          tag: 'pair-device',
          attrs: {},
          content: conn.qrRefs.map((ref) => ({
            tag: 'ref',
            attrs: {},
            content: Buffer.from(ref),
          })),
        },
      ],
    };
    this.record({ type: 'qr-refs-sent', conn: conn.id, refs: conn.qrRefs });
    await conn
      .request(pairDevice, this.options.replyTimeoutMs)
      .catch(() => undefined);
  }

  private async login(
    conn: EdgeConnection,
    user: SimUser,
    deviceId: number,
  ): Promise<void> {
    const jid = `${user}:${deviceId}@s.whatsapp.net`;
    const verdict = this.judgeLogin(conn, user, jid);
    if ('refusal' in verdict) {
      const { code, reason } = verdict.refusal;
      this.record({
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
    this.record({ type: 'login-accepted', conn: conn.id, user, jid });
    await conn.sendNode(this.successStanza(device));
    // Tells the client the offline queue is drained, as the real edge does after delivering it.
    await conn.sendNode({
      tag: 'ib',
      attrs: {},
      content: [{ tag: 'offline', attrs: { count: '0' } }],
    });
  }

  /** On-demand refusals win; otherwise the device must be linked and present the noise key it paired with. */
  private judgeLogin(
    conn: EdgeConnection,
    user: SimUser,
    jid: string,
  ): LoginVerdict {
    const onDemand = this.refusedLogins.get(user);
    if (onDemand !== undefined)
      return { refusal: { code: onDemand, reason: 'rejected-on-demand' } };
    const device = this.devices.get(jid);
    if (!device) {
      const reason = this.removedDevices.has(jid)
        ? 'device-removed'
        : 'unknown-device';
      return { refusal: { code: 401, reason } };
    }
    if (!conn.clientNoiseKey?.equals(device.noiseKey)) {
      return { refusal: { code: 401, reason: 'noise-key-mismatch' } };
    }
    return { device };
  }

  private onClose(conn: EdgeConnection, wsCode: number): void {
    this.connections.delete(conn.id);
    this.record({
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
    const answer = this.answerIq(conn, node, child);
    this.record({
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

  /** The result of the iqs Baileys sends around login, with the children it parses. */
  private answerIq(
    conn: EdgeConnection,
    node: BinaryNode,
    child: BinaryNode | undefined,
  ): IqAnswer {
    const device = conn.device;
    switch (`${node.attrs.xmlns ?? ''}/${child?.tag ?? ''}`) {
      case 'encrypt/count':
        return answerWith({
          tag: 'count',
          attrs: { value: (device?.preKeysOnServer ?? 0).toString() },
        });
      case 'encrypt/registration':
        if (device) device.preKeysOnServer += countUploadedPreKeys(node);
        return EMPTY_ANSWER;
      case 'encrypt/digest':
        return answerWith({ tag: 'digest', attrs: {} });
      case 'encrypt/rotate':
      case 'passive/active':
      case 'passive/passive':
      case 'w:p/ping':
      case 'w:stats/add':
        return EMPTY_ANSWER;
      case 'abt/props':
        return answerWith({
          tag: 'props',
          attrs: { protocol: '1', hash: 'wa-simulator' },
        });
      case 'blocklist/':
        return answerWith({ tag: 'list', attrs: {} });
      case 'privacy/privacy':
        return answerWith({ tag: 'privacy', attrs: {} });
      case 'md/remove-companion-device':
        this.logout(conn, child);
        return EMPTY_ANSWER;
      default:
        return UNKNOWN_IQ_ANSWER;
    }
  }

  /** The client's own logout: the device is unlinked, so its stored creds are refused from now on. */
  private logout(conn: EdgeConnection, request: BinaryNode | undefined): void {
    const jid = request?.attrs.jid ?? conn.device?.jid;
    if (!jid) return;
    this.removeDevice(jid);
    this.record({
      type: 'logout',
      conn: conn.id,
      user: simUserOf(jid),
      jid,
      reason: request?.attrs.reason ?? '',
    });
  }

  // ------------------------------------------------------------------ helpers

  private pairSuccessStanza(
    conn: EdgeConnection,
    device: LinkedDevice,
    deviceIdentity: Uint8Array,
    options: ScanOptions,
  ): BinaryNode {
    const children: BinaryNode[] = [
      { tag: 'device-identity', attrs: {}, content: deviceIdentity },
      { tag: 'platform', attrs: { name: 'smbi' } },
      { tag: 'device', attrs: { jid: device.jid, lid: device.lid } },
    ];
    if (options.businessName)
      children.push({ tag: 'biz', attrs: { name: options.businessName } });
    return {
      tag: 'iq',
      attrs: {
        from: S_WHATSAPP_NET,
        type: 'set',
        id: conn.newStanzaId(),
        xmlns: 'md',
        t: nowSeconds(),
      },
      content: [{ tag: 'pair-success', attrs: {}, content: children }],
    };
  }

  /** Baileys reads `t` (server clock offset) and `lid`; the others are what the real edge also sends. */
  private successStanza(device: DeviceRecord): BinaryNode {
    return {
      tag: 'success',
      attrs: {
        t: nowSeconds(),
        props: '1',
        abprops: '1',
        location: 'sim',
        creation: nowSeconds(),
        lid: device.lid.replace(/:\d+@/, '@'),
      },
    };
  }

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

  private accountFor(user: SimUser): PhoneAccount {
    let account = this.accounts.get(user);
    if (!account) {
      account = {
        user,
        lidUser: randomInt(10 ** 13, 10 ** 14).toString(),
        accountKeys: Curve.generateKeyPair(),
        nextDeviceId: 1,
      };
      this.accounts.set(user, account);
    }
    return account;
  }

  private assignPhone(): SimUser {
    while (this.accounts.has(String(this.nextAutoPhone))) this.nextAutoPhone++;
    return String(this.nextAutoPhone++);
  }

  private removeDevice(jid: string): void {
    this.devices.delete(jid);
    this.removedDevices.add(jid);
  }

  private liveSessionsOf(user: SimUser): LiveSession[] {
    return [...this.connections.values()].flatMap((conn) =>
      conn.isOpen && conn.device?.user === user
        ? [{ conn, device: conn.device }]
        : [],
    );
  }

  private record(input: EventInput): void {
    const event: SimEvent = {
      ...input,
      seq: this.log.length + 1,
      at: Date.now(),
    };
    this.log.push(event);
    for (const waiter of [...this.waiters]) waiter(event);
  }

  private describeLog(): string {
    return this.log.map((event) => JSON.stringify(event)).join('\n');
  }
}
