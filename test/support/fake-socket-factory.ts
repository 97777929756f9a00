import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  PairingCode,
  SocketHandlers,
  WhatsAppSocket,
  WhatsAppSocketFactory,
} from '../../src/relance/supervisor/whatsapp-socket';

/** A scripted socket: tests make it emit what Baileys would. */
export class FakeSocket implements WhatsAppSocket {
  ended = false;
  loggedOut = false;
  logoutBehaviour: 'succeed' | 'fail' | 'hang' = 'succeed';
  /** Every sendText call, in order (retries included). */
  readonly sent: Array<{ to: string; text: string; messageId: string }> = [];
  /** How sendText answers: resolve (and by default ack at once), reject, or never settle. */
  sendBehaviour: 'ack' | 'silent' | 'reject' | 'hang' = 'ack';
  /** Numbers that isOnWhatsApp reports as having no account. */
  readonly notOnWhatsApp = new Set<string>();
  /** Every requestPairingCode call (the phone numbers), in order. */
  readonly pairingRequests: string[] = [];
  /** How requestPairingCode answers: a new code each call, or a rejection (a socket going away). */
  pairingBehaviour: 'issue' | 'reject' = 'issue';
  pairingCodeLifetimeMs = 60_000;

  constructor(
    readonly userId: string,
    readonly index: number,
    private readonly handlers: SocketHandlers,
  ) {}

  qr(qr = `fake-qr-${this.userId}-${this.index}`): void {
    this.handlers.onQr(qr);
  }

  paired(): void {
    this.handlers.onPaired();
  }

  open(): void {
    this.handlers.onOpen();
  }

  close(code?: number): void {
    this.handlers.onClose({ code });
  }

  receipt(
    messageId: string,
    status: 'server_ack' | 'delivered' | 'read' | 'error',
  ): void {
    this.handlers.onReceipt(messageId, status);
  }

  incoming(from: string): void {
    this.handlers.onMessage(from);
  }

  end(): void {
    this.ended = true;
  }

  sendText(to: string, text: string, messageId: string): Promise<void> {
    if (this.sendBehaviour === 'hang') return new Promise(() => undefined);
    if (this.sendBehaviour === 'reject')
      return Promise.reject(new Error('Connection Closed'));
    this.sent.push({ to, text, messageId });
    if (this.sendBehaviour === 'ack')
      setImmediate(() => this.receipt(messageId, 'server_ack'));
    return Promise.resolve();
  }

  isOnWhatsApp(phone: string): Promise<boolean> {
    return Promise.resolve(!this.notOnWhatsApp.has(phone));
  }

  requestPairingCode(phone: string): Promise<PairingCode> {
    if (this.pairingBehaviour === 'reject')
      return Promise.reject(new Error('Connection Closed'));
    this.pairingRequests.push(phone);
    const serial = String(this.pairingRequests.length).padStart(4, '0');
    return Promise.resolve({
      code: `PAIR-${serial}`,
      expiresAt: new Date(Date.now() + this.pairingCodeLifetimeMs),
    });
  }

  logout(): Promise<void> {
    if (this.logoutBehaviour === 'hang') return new Promise(() => undefined);
    if (this.logoutBehaviour === 'fail')
      return Promise.reject(new Error('Connection Closed'));
    this.loggedOut = true;
    return Promise.resolve();
  }
}

/** Records every socket it makes; `onCreate` lets a test script each new socket. */
export class FakeSocketFactory extends WhatsAppSocketFactory {
  readonly sockets: FakeSocket[] = [];
  onCreate?: (socket: FakeSocket) => void;

  create(userId: string, handlers: SocketHandlers): Promise<WhatsAppSocket> {
    const socket = new FakeSocket(
      userId,
      this.sockets.filter((s) => s.userId === userId).length,
      handlers,
    );
    this.sockets.push(socket);
    this.onCreate?.(socket);
    return Promise.resolve(socket);
  }

  socketsFor(userId: string): FakeSocket[] {
    return this.sockets.filter((socket) => socket.userId === userId);
  }

  latest(userId: string): FakeSocket {
    const sockets = this.socketsFor(userId);
    if (sockets.length === 0)
      throw new Error(`no socket was created for ${userId}`);
    return sockets[sockets.length - 1];
  }
}

/** Plants the files Baileys would leave after a successful link. */
export async function plantStoredSession(
  sessionsDir: string,
  userId: string,
): Promise<string> {
  const dir = join(sessionsDir, userId);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await writeFile(
    join(dir, 'creds.json'),
    JSON.stringify({ registered: true }),
    { mode: 0o600 },
  );
  await writeFile(join(dir, 'pre-key-1.json'), '{}', { mode: 0o600 });
  return dir;
}

/** Lets queued event handlers (serialized per user) run. */
export async function settle(rounds = 20): Promise<void> {
  for (let i = 0; i < rounds; i += 1)
    await new Promise((resolve) => setImmediate(resolve));
}
