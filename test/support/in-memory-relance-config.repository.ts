import {
  AppliedClose,
  RelanceConfigRepository,
  StoredRelanceConfig,
} from '../../src/relance/relance-config.repository';
import { LinkMethod } from '../../src/relance/link-method';
import { WhatsAppStatus } from '../../src/relance/whatsapp-status';

type PublicRepository = Pick<
  RelanceConfigRepository,
  keyof RelanceConfigRepository
>;

/**
 * The repository's contract in memory, for unit tests. Each method applies its
 * change in one synchronous step, as a MongoDB update would, after yielding
 * once so concurrent callers interleave.
 */
export class InMemoryRelanceConfigRepository implements PublicRepository {
  readonly docs = new Map<string, StoredRelanceConfig>();
  writes = 0;

  private async atomically<T>(
    userId: string,
    change: (doc: StoredRelanceConfig) => T,
  ): Promise<T> {
    await Promise.resolve();
    this.writes += 1;
    const doc = this.docs.get(userId) ?? {
      userId,
      whatsappStatus: 'disconnected' as WhatsAppStatus,
      connectionFailureCount: 0,
      disconnectedByUser: false,
    };
    this.docs.set(userId, doc);
    return change(doc);
  }

  async findByUserId(userId: string): Promise<StoredRelanceConfig | undefined> {
    await Promise.resolve();
    const doc = this.docs.get(userId);
    return doc ? { ...doc } : undefined;
  }

  async lastResetAt(userId: string): Promise<Date | undefined> {
    await Promise.resolve();
    return this.docs.get(userId)?.sessionResetAt;
  }

  setStatus(userId: string, status: WhatsAppStatus, at: Date): Promise<void> {
    return this.atomically(userId, (doc) => {
      doc.whatsappStatus = status;
      doc.lastConnectionCheck = at;
    });
  }

  markConnected(
    userId: string,
    at: Date,
    linkedBy?: LinkMethod,
  ): Promise<void> {
    return this.atomically(userId, (doc) => {
      Object.assign(doc, {
        whatsappStatus: 'connected',
        connectionFailureCount: 0,
        lastConnectionCheck: at,
        disconnectedByUser: false,
      });
      if (linkedBy)
        Object.assign(doc, { lastLinkedAt: at, linkMethod: linkedBy });
      if (linkedBy === 'qr') doc.lastQrScanDate = at;
      delete doc.lastConnectionFailure;
    });
  }

  markConnecting(userId: string, at: Date): Promise<StoredRelanceConfig> {
    return this.atomically(userId, (doc) => {
      doc.whatsappStatus = 'connecting';
      doc.lastConnectionCheck = at;
      return { ...doc };
    });
  }

  applyClose(userId: string, close: AppliedClose): Promise<void> {
    return this.atomically(userId, (doc) => {
      Object.assign(doc, {
        whatsappStatus: close.decision.status,
        connectionFailureCount: close.decision.failureCount,
        lastDisconnectReason: close.reason,
        lastConnectionCheck: close.at,
      });
      if (close.decision.countFailure) doc.lastConnectionFailure = close.at;
      if (close.decision.deleteSession) doc.sessionResetAt = close.at;
    });
  }

  markDisconnectedByUser(userId: string, at: Date): Promise<void> {
    return this.atomically(userId, (doc) => {
      Object.assign(doc, {
        whatsappStatus: 'disconnected',
        disconnectedByUser: true,
        lastConnectionCheck: at,
      });
    });
  }

  resetSession(userId: string, at: Date, byUser: boolean): Promise<void> {
    return this.atomically(userId, (doc) => {
      Object.assign(doc, {
        whatsappStatus: 'disconnected',
        connectionFailureCount: 0,
        disconnectedByUser: byUser,
        lastConnectionCheck: at,
        sessionResetAt: at,
      });
      delete doc.lastConnectionFailure;
    });
  }

  async findRestorable(userIds: string[]): Promise<string[]> {
    await Promise.resolve();
    return userIds.filter(
      (userId) => !this.docs.get(userId)?.disconnectedByUser,
    );
  }
}
