/** Server end of one WebSocket: handshake, encryption, node I/O. Knows nothing about accounts. */
import type { WebSocket } from 'ws';
import {
  Curve,
  decodeBinaryNode,
  encodeBinaryNode,
  NOISE_WA_HEADER,
  proto,
  type BinaryNode,
  type KeyPair,
} from '@whiskeysockets/baileys';
import { encodeFrame, FrameReader, toBuffer } from './framing';
import { NoiseSymmetricState, type TransportCipher } from './noise';
import type { DeviceRecord } from './phone-directory';
import type { CompanionKeys } from './signal/companion-keys';
import { reportFailure } from './report-failure';

type ConnectionStage =
  'awaiting-hello' | 'awaiting-finish' | 'transport' | 'closed';

export interface ConnectionHandlers {
  onClientPayload(conn: EdgeConnection, payload: proto.ClientPayload): void;
  onNode(conn: EdgeConnection, node: BinaryNode): void;
  onClose(conn: EdgeConnection, wsCode: number): void;
}

interface PendingReply {
  resolve(node: BinaryNode): void;
  reject(error: Error): void;
  timer: NodeJS.Timeout;
}

export class EdgeConnection {
  stage: ConnectionStage = 'awaiting-hello';
  /** Set once the client's static (noise) key is known, i.e. after ClientFinish. */
  clientNoiseKey: Buffer | undefined;
  /** Refs sent in <pair-device>, present on registration connections. */
  qrRefs: readonly string[] = [];
  /** Signal keys a registering companion announced in its ClientPayload, kept for when it gets linked. */
  registrationKeys: CompanionKeys | undefined;
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
