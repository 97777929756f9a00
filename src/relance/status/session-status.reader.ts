import { Injectable } from '@nestjs/common';
import { SessionOwnership } from '../../cluster/ownership/session-ownership';
import { LinkMethod } from '../link-method';
import { ReconnectScheduler } from '../reconnect/reconnect-scheduler';
import { RelanceConfigRepository } from '../relance-config.repository';
import { RetryPolicy } from '../retry/retry-policy';
import { WhatsAppStatus } from '../whatsapp-status';
import { SessionCredentialStore } from '../credentials/session-credential-store';
import { SessionSupervisor } from '../supervisor/session-supervisor';

export interface SessionStatus {
  status: WhatsAppStatus;
  connectionFailureCount: number;
  maxConnectionFailures: number;
  lastConnectionFailure?: Date;
  lastDisconnectReason?: { code: number; name: string };
  lastQrScanDate?: Date;
  lastLinkedAt?: Date;
  linkMethod?: LinkMethod;
  lastConnectionCheck?: Date;
  sessionStored: boolean;
  reconnectAttempt?: number;
  nextReconnectAt?: Date;
}

/** A user's status: the live socket's state, the stored counters and whether credentials are stored. */
@Injectable()
export class SessionStatusReader {
  constructor(
    private readonly repository: RelanceConfigRepository,
    private readonly credentials: SessionCredentialStore,
    private readonly supervisor: SessionSupervisor,
    private readonly reconnects: ReconnectScheduler,
    private readonly policy: RetryPolicy,
    private readonly ownership: SessionOwnership,
  ) {}

  async getStatus(userId: string): Promise<SessionStatus> {
    const [stored, sessionStored, elsewhere] = await Promise.all([
      this.repository.findByUserId(userId),
      this.credentials.hasCredentials(userId),
      this.supervisor.live(userId)
        ? false
        : this.ownership.heldElsewhere(userId),
    ]);
    const pending = this.reconnects.pending(userId);
    return {
      // Another live instance runs the socket: what it stored is the truth.
      status: elsewhere
        ? (stored?.whatsappStatus ?? 'disconnected')
        : this.liveStatus(userId),
      connectionFailureCount: stored?.connectionFailureCount ?? 0,
      maxConnectionFailures: this.policy.maxConnectionFailures,
      lastConnectionFailure: stored?.lastConnectionFailure,
      lastDisconnectReason: stored?.lastDisconnectReason,
      lastQrScanDate: stored?.lastQrScanDate,
      lastLinkedAt: stored?.lastLinkedAt,
      linkMethod: stored?.linkMethod,
      lastConnectionCheck: stored?.lastConnectionCheck,
      sessionStored,
      ...(pending
        ? { reconnectAttempt: pending.attempt, nextReconnectAt: pending.at }
        : {}),
    };
  }

  /**
   * The live socket is the truth; without one in this process (e.g. before
   * boot restore reached the user), a stored "connected" is history.
   */
  private liveStatus(userId: string): WhatsAppStatus {
    const live = this.supervisor.live(userId);
    if (live) return live.status;
    return this.reconnects.pending(userId) ? 'connecting' : 'disconnected';
  }
}
