import { Injectable } from '@nestjs/common';
import { WhatsAppStatus } from '../whatsapp-status';
import { WhatsAppSocket } from './whatsapp-socket';

export interface SessionStart {
  /** Started by the user (GET /qr): it may show a QR code. Background starts never do. */
  interactive: boolean;
  /** The device was linked by a QR scan just before this start (the 515 restart). */
  afterQrScan: boolean;
}

/** This process's live connection for one user. */
export class LiveSession {
  socket?: WhatsAppSocket;
  status: WhatsAppStatus = 'connecting';
  latestQr?: string;
  /** Set before we end the socket ourselves, so its close is neither counted nor retried. */
  endedByUs = false;
  /** Baileys reported a new login (QR scanned) on this socket. */
  paired = false;

  constructor(
    readonly userId: string,
    readonly generation: number,
    public interactive: boolean,
    readonly afterQrScan: boolean,
  ) {}
}

/** At most one live session per user; a replaced session's events are recognisably stale. */
@Injectable()
export class SessionRegistry {
  private readonly sessions = new Map<string, LiveSession>();
  private generations = 0;

  get(userId: string): LiveSession | undefined {
    return this.sessions.get(userId);
  }

  all(): LiveSession[] {
    return [...this.sessions.values()];
  }

  get size(): number {
    return this.sessions.size;
  }

  /** Registers a new session for the user, ending (as ours) any session it replaces. */
  open(userId: string, start: SessionStart): LiveSession {
    const previous = this.sessions.get(userId);
    if (previous) this.end(previous);
    this.generations += 1;
    const session = new LiveSession(
      userId,
      this.generations,
      start.interactive,
      start.afterQrScan,
    );
    this.sessions.set(userId, session);
    return session;
  }

  isCurrent(session: LiveSession): boolean {
    return this.sessions.get(session.userId) === session && !session.endedByUs;
  }

  /** Forgets the session without touching its socket (it already closed). */
  forget(session: LiveSession): void {
    if (this.sessions.get(session.userId) === session)
      this.sessions.delete(session.userId);
  }

  /** Ends the session's socket as ours and forgets it. */
  end(session: LiveSession): void {
    session.endedByUs = true;
    this.forget(session);
    session.socket?.end();
  }
}
