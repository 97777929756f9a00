import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
} from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { bulkhead } from 'cockatiel';
import { setTimeout as sleep } from 'node:timers/promises';
import { SessionOwnership } from '../../cluster/ownership/session-ownership';
import { whatsappConfig } from '../../config/whatsapp.config';
import { DatabaseConnection } from '../../database/database-connection';
import { logLine } from '../../logging/log-line';
import { RelanceConfigRepository } from '../relance-config.repository';
import { SessionCredentialStore } from '../credentials/session-credential-store';
import { SessionEvent, SessionEvents } from '../events/session-events';
import {
  BackgroundStartOutcome,
  SessionSupervisor,
} from '../supervisor/session-supervisor';
import { RestoreState } from './restore-state';

export type RestoreOutcome =
  'restored' | 'needs_qr' | 'failed' | 'owned_elsewhere';

const ENDS_BACKGROUND_CONNECT = (event: SessionEvent) =>
  event.type === 'status' &&
  (event.status === 'connected' || event.status === 'disconnected');

export interface RestoreSummary {
  restored: number;
  needsQr: number;
  failed: number;
  /** Stored sessions not restored because their user disconnected deliberately. */
  skipped: number;
}

/**
 * At boot, reconnects every user with stored session files who did not
 * disconnect deliberately: bounded concurrency, jittered starts, never a QR,
 * and one user's failure never blocks the others.
 */
@Injectable()
export class SessionRestoreService
  implements OnApplicationBootstrap, BeforeApplicationShutdown
{
  private readonly logger = new Logger(SessionRestoreService.name);
  private running?: Promise<RestoreSummary>;
  private shuttingDown = false;

  constructor(
    private readonly supervisor: SessionSupervisor,
    private readonly events: SessionEvents,
    private readonly repository: RelanceConfigRepository,
    private readonly credentials: SessionCredentialStore,
    private readonly state: RestoreState,
    private readonly database: DatabaseConnection,
    private readonly ownership: SessionOwnership,
    @Inject(whatsappConfig.KEY)
    private readonly config: ConfigType<typeof whatsappConfig>,
  ) {}

  /**
   * Restores in the background once the database answers (it may come up
   * after the app): the HTTP API is up while sessions come back.
   */
  onApplicationBootstrap(): void {
    this.running = this.database
      .whenConnected()
      .then(() => this.restoreAll())
      .catch((error: unknown) => {
        // A shutdown during the restore closes the database under it: expected, not a failure.
        if (this.shuttingDown)
          this.logger.log(
            `Boot restore stopped by the shutdown: ${(error as Error).message}`,
          );
        else
          this.logger.error(`Boot restore failed: ${(error as Error).message}`);
        return { restored: 0, needsQr: 0, failed: 0, skipped: 0 };
      })
      .finally(() => this.state.markFinished());
  }

  beforeApplicationShutdown(): void {
    this.shuttingDown = true;
  }

  /** The boot restore's result, once it has finished. */
  whenFinished(): Promise<RestoreSummary> | undefined {
    return this.running;
  }

  /** Users with stored credentials who did not disconnect deliberately (and how many stored ones there are). */
  async restorableUsers(): Promise<{ stored: number; users: string[] }> {
    const stored = await this.credentials.listUsersWithCredentials();
    const users = await this.repository.findRestorable(stored);
    return { stored: stored.length, users };
  }

  async restoreAll(): Promise<RestoreSummary> {
    const restorable = await this.restorableUsers();
    // Several instances: only this instance's fair share of the free sessions (one instance: all).
    const users = await this.ownership.selectClaims(restorable.users);
    this.state.markStarted(users.length);
    const outcomes = await this.restoreUsers(users, () =>
      this.state.markOneDone(),
    );
    const summary: RestoreSummary = {
      restored: outcomes.filter((outcome) => outcome === 'restored').length,
      needsQr: outcomes.filter((outcome) => outcome === 'needs_qr').length,
      failed: outcomes.filter((outcome) => outcome === 'failed').length,
      skipped: restorable.stored - restorable.users.length,
    };
    this.logger.log(
      `Boot restore: ${summary.restored} restored, ${summary.failed} failed, ${summary.needsQr} need a QR scan, ${summary.skipped} skipped (disconnected by their user)`,
    );
    return summary;
  }

  /** Reconnects these users from stored credentials: bounded concurrency, jittered starts, never a QR. */
  restoreUsers(
    users: string[],
    onEachDone: () => void = () => undefined,
  ): Promise<RestoreOutcome[]> {
    const slots = bulkhead(this.config.restoreConcurrency, Infinity);
    return Promise.all(
      users.map((userId) =>
        slots.execute(() => this.restoreOne(userId)).finally(onEachDone),
      ),
    );
  }

  private async restoreOne(userId: string): Promise<RestoreOutcome> {
    // Jitter spreads the handshakes so a restart does not hit WhatsApp all at once.
    await sleep(Math.floor(Math.random() * this.config.restoreJitterMs));
    try {
      return await this.connectInBackground(userId);
    } catch (error) {
      this.logger.warn(
        logLine(
          `Could not restore user ${userId}: ${(error as Error).message}`,
          {
            userId,
          },
        ),
      );
      return 'failed';
    }
  }

  /** Starts from stored credentials and waits (bounded) for the connection to open or end. */
  private async connectInBackground(userId: string): Promise<RestoreOutcome> {
    const waiter = this.events.waitFor(
      userId,
      ENDS_BACKGROUND_CONNECT,
      this.config.restoreTimeoutMs,
    );
    let started: BackgroundStartOutcome;
    try {
      started = await this.supervisor.startInBackground(userId);
    } catch (error) {
      waiter.cancel();
      throw error;
    }
    if (started !== 'started') {
      waiter.cancel();
      if (started === 'owned_elsewhere') return started;
      return started === 'already_live' ? 'restored' : 'needs_qr';
    }
    const event = await waiter.promise;
    if (event?.type === 'status' && event.status === 'connected')
      return 'restored';
    if (event?.type === 'status' && event.reason === 'needs_qr')
      return 'needs_qr';
    return 'failed';
  }
}
