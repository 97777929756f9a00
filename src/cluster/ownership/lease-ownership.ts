import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
} from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { setTimeout as sleep } from 'node:timers/promises';
import { UserLocks } from '../../common/user-locks';
import { clusterConfig } from '../../config/cluster.config';
import { InstanceHeartbeatService } from '../instance-heartbeat';
import { Lease, SessionLeaseRepository } from '../session-lease.repository';
import { Fence, StaleFenceError } from './fence';
import {
  OwnershipGrant,
  OwnershipLossListener,
  SessionOwnership,
} from './session-ownership';

/** How often a caller waiting for a handover looks at the lease again. */
const HANDOVER_POLL_MS = 100;

/** Fair share: sessions ÷ live instances, rounded up; an instance sheds only beyond share + slack. */
export function fairShare(sessions: number, instances: number): number {
  return Math.ceil(sessions / Math.max(1, instances));
}

export function balanceSlack(share: number): number {
  return Math.max(1, Math.ceil(share / 10));
}

/**
 * WHATSAPP_CLUSTER=on: a session is ours while we hold its lease
 * (SessionLeaseRepository). The keeper renews every held lease at TTL/3; a
 * renewal that loses (someone else wrote the next step: a takeover after
 * expiry, or a handover request) or that cannot reach the database until the
 * lease has run out by our clock, drops the lease and tells the supervisor
 * at once, synchronously, before any other work for that user.
 *
 * Operations on one user's lease (acquire, renew, release) are serialized
 * in this process, so our own steps never race each other; races with other
 * instances are arbitrated by the unique index.
 */
@Injectable()
export class LeaseOwnership
  extends SessionOwnership
  implements OnApplicationBootstrap, BeforeApplicationShutdown
{
  private readonly logger = new Logger(LeaseOwnership.name);
  private readonly held = new Map<string, Lease>();
  /** Its own locks, not the supervisor's: a lease step never waits behind a socket event. */
  private readonly locks = new UserLocks();
  private readonly listeners = new Set<OwnershipLossListener>();
  private keeper?: NodeJS.Timeout;
  private renewing = false;
  private closing = false;

  constructor(
    private readonly leases: SessionLeaseRepository,
    private readonly heartbeats: InstanceHeartbeatService,
    @Inject(clusterConfig.KEY)
    private readonly config: ConfigType<typeof clusterConfig>,
  ) {
    super();
  }

  private get me(): string {
    return this.config.instanceId;
  }

  onApplicationBootstrap(): void {
    this.keeper = setInterval(
      () => void this.renewAll(),
      Math.floor(this.config.leaseTtlMs / 3),
    );
  }

  beforeApplicationShutdown(): void {
    this.closing = true;
    clearInterval(this.keeper);
  }

  onLost(listener: OwnershipLossListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  mayRun(userId: string): boolean {
    const lease = this.held.get(userId);
    return !!lease && lease.expiresAt.getTime() > Date.now();
  }

  heldUsers(): string[] {
    return [...this.held.keys()];
  }

  async acquire(userId: string): Promise<OwnershipGrant | null> {
    if (this.closing) return null;
    return this.locks.run(userId, async () => {
      const held = this.held.get(userId);
      if (held && this.mayRun(userId)) return this.grantFor(held);
      const attempt = await this.leases.acquire(
        userId,
        this.me,
        this.config.leaseTtlMs,
      );
      if (!attempt.acquired) {
        this.held.delete(userId);
        return null;
      }
      this.held.set(userId, attempt.lease);
      return this.grantFor(attempt.lease);
    });
  }

  async release(userId: string): Promise<void> {
    await this.locks.run(userId, async () => {
      const lease = this.held.get(userId);
      if (!lease) return;
      this.held.delete(userId);
      await this.leases.release(lease);
    });
  }

  async releaseAll(): Promise<void> {
    this.closing = true;
    clearInterval(this.keeper);
    await Promise.all(
      [...this.held.keys()].map((userId) =>
        this.release(userId).catch((error: unknown) =>
          this.logger.warn(
            `Could not release the lease of user ${userId}: ${(error as Error).message}; it expires on its own`,
          ),
        ),
      ),
    );
  }

  async selectClaims(users: string[]): Promise<string[]> {
    if (this.closing || users.length === 0) return [];
    const instances = await this.heartbeats.liveInstances();
    const share = fairShare(users.length, instances.length);
    const budget = share - this.held.size;
    if (budget <= 0) return [];
    const latest = await this.leases.currentAll(users);
    const now = Date.now();
    const free = users.filter((userId) => {
      if (this.held.has(userId)) return false;
      const lease = latest.get(userId);
      if (!lease) return true;
      const expired = lease.expiresAt.getTime() <= now;
      if (expired) return true;
      return (
        lease.owner === null &&
        (!lease.handoverTo || lease.handoverTo === this.me)
      );
    });
    return shuffled(free).slice(0, budget);
  }

  async surplus(users: string[]): Promise<string[]> {
    if (this.closing || users.length === 0) return [];
    const instances = await this.heartbeats.liveInstances();
    const share = fairShare(users.length, instances.length);
    const extra = this.held.size - (share + balanceSlack(share));
    if (extra <= 0) return [];
    // Beyond share + slack, give back down to the share itself.
    return shuffled([...this.held.keys()]).slice(0, this.held.size - share);
  }

  async heldElsewhere(userId: string): Promise<boolean> {
    if (this.held.has(userId)) return false;
    const latest = await this.leases.current(userId);
    return (
      !!latest?.owner &&
      latest.owner !== this.me &&
      latest.expiresAt.getTime() > Date.now()
    );
  }

  async takeOver(
    userId: string,
    timeoutMs: number,
  ): Promise<OwnershipGrant | null> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const grant = await this.acquire(userId);
      if (grant) return grant;
      const latest = await this.leases.current(userId);
      if (latest?.owner && latest.handoverTo !== this.me) {
        const asked = await this.leases.requestHandover(latest, this.me);
        this.logger.log(
          `Asked instance ${latest.owner} for the session of user ${userId} (step ${latest.seq + 1}: ${asked ? 'written' : 'lost to a renewal, asking again'})`,
        );
      }
      if (Date.now() + HANDOVER_POLL_MS > deadline) return null;
      await sleep(HANDOVER_POLL_MS);
    }
  }

  /** One keeper pass: every held lease renewed in parallel; a skipped pass if the last one still runs. */
  async renewAll(): Promise<void> {
    if (this.renewing || this.closing) return;
    this.renewing = true;
    try {
      await Promise.all(
        [...this.held.keys()].map((userId) => this.renewOne(userId)),
      );
    } finally {
      this.renewing = false;
    }
  }

  private async renewOne(userId: string): Promise<void> {
    await this.locks.run(userId, async () => {
      const lease = this.held.get(userId);
      if (!lease) return;
      try {
        const attempt = await this.leases.renew(lease, this.config.leaseTtlMs);
        if (attempt.acquired) {
          this.held.set(userId, attempt.lease);
          return;
        }
        this.lose(userId, `taken by ${attempt.holder ?? 'nobody'}`);
        const latest = attempt.latest;
        // Asked for by another instance: the socket is ended (lose), so hand it over now.
        if (latest?.owner === this.me && latest.handoverTo)
          await this.leases.release(latest, new Date(), {
            to: latest.handoverTo,
            reserveMs: this.config.leaseTtlMs,
          });
      } catch (error) {
        if (lease.expiresAt.getTime() <= Date.now())
          this.lose(userId, `not renewed: ${(error as Error).message}`);
        else
          this.logger.warn(
            `Could not renew the lease of user ${userId} (${(error as Error).message}); retrying before it runs out`,
          );
      }
    });
  }

  /** Forgets the lease and tells the supervisor synchronously, before anything else runs for the user. */
  private lose(userId: string, why: string): void {
    this.held.delete(userId);
    this.logger.warn(`Lost the session of user ${userId} (${why})`);
    for (const listener of this.listeners) listener(userId);
  }

  private grantFor(lease: Lease): OwnershipGrant {
    const { userId, epoch } = lease;
    const fence: Fence = {
      epoch,
      assertCurrent: async () => {
        const latest = await this.leases.current(userId);
        if (!latest || latest.owner !== this.me || latest.epoch !== epoch)
          throw new StaleFenceError(userId, epoch);
      },
    };
    return { fence };
  }
}

/** Fisher-Yates: instances claiming at once pick different free sessions most of the time. */
function shuffled<T>(items: T[]): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i -= 1) {
    const j = Math.floor(Math.random() * (i + 1));
    [copy[i], copy[j]] = [copy[j], copy[i]];
  }
  return copy;
}
