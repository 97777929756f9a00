import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model, mongo } from 'mongoose';
import { SessionLease } from './schemas/session-lease.schema';

/** A lease as its holder knows it. */
export interface Lease {
  readonly userId: string;
  readonly owner: string;
  readonly seq: number;
  readonly epoch: number;
  readonly expiresAt: Date;
  /** Set by an instance that asked for the session (see requestHandover). */
  readonly handoverTo?: string | null;
}

/** Any step of a lease's history, released ones (no owner) included. */
export type LeaseStep = Omit<Lease, 'owner'> & {
  readonly owner: string | null;
};

export type LeaseAttempt =
  | { acquired: true; lease: Lease }
  | { acquired: false; holder: string | null; latest?: LeaseStep };

const DUPLICATE_KEY = 11000;

const isDuplicateKey = (error: unknown): boolean =>
  error instanceof mongo.MongoServerError && error.code === DUPLICATE_KEY;

/**
 * Leases over a database that may not isolate concurrent filtered updates
 * (FerretDB 1.x: two `findOneAndUpdate`s filtered on an expired lease can
 * both succeed). Every change is therefore an insert of the next step
 * (seq + 1), and the unique index on (userId, seq) arbitrates: of all the
 * instances that try to write a step, exactly one succeeds. The read before
 * the insert only decides whether to try; a successful insert is then
 * checked to still be the latest step, so an insert that lands late (a
 * paused process, an old step already cleaned up) never counts as a win.
 */
@Injectable()
export class SessionLeaseRepository {
  constructor(
    @InjectModel(SessionLease.name)
    private readonly model: Model<SessionLease>,
  ) {}

  /** The user's current lease step, or null when nobody ever held it. */
  async current(userId: string): Promise<SessionLease | null> {
    return this.model.findOne({ userId }).sort({ seq: -1 }).lean();
  }

  /** Takes the lease when it is free (never held, released or expired) or already ours. */
  async acquire(
    userId: string,
    owner: string,
    ttlMs: number,
    now = new Date(),
  ): Promise<LeaseAttempt> {
    const latest = await this.current(userId);
    const expired = !!latest && latest.expiresAt.getTime() <= now.getTime();
    const reservedForOther =
      !!latest?.handoverTo && latest.handoverTo !== owner && !expired;
    const free =
      !latest ||
      (latest.owner === null && !reservedForOther) ||
      latest.owner === owner ||
      expired;
    if (!free) return { acquired: false, holder: latest.owner, latest };
    const handover = !latest || latest.owner !== owner;
    return this.claim({
      userId,
      owner,
      seq: (latest?.seq ?? 0) + 1,
      epoch: (latest?.epoch ?? 0) + (handover ? 1 : 0),
      expiresAt: new Date(now.getTime() + ttlMs),
      handoverTo: null,
    });
  }

  /** The latest step of each of these users (one query), for the balancer's scan. */
  async currentAll(userIds: string[]): Promise<Map<string, SessionLease>> {
    const steps = await this.model
      .find({ userId: { $in: userIds } })
      .lean<SessionLease[]>();
    const latest = new Map<string, SessionLease>();
    for (const step of steps) {
      const seen = latest.get(step.userId);
      if (!seen || seen.seq < step.seq) latest.set(step.userId, step);
    }
    return latest;
  }

  /**
   * Asks the holder of `latest` to hand the session to `to`: the next step
   * keeps owner, epoch and expiry and names `to`. The holder's next renewal
   * (the same seq) then loses to it, so the holder learns of the request
   * through the one write it makes anyway.
   */
  async requestHandover(latest: LeaseStep, to: string): Promise<boolean> {
    return this.insertStep({
      userId: latest.userId,
      owner: latest.owner,
      seq: latest.seq + 1,
      epoch: latest.epoch,
      expiresAt: latest.expiresAt,
      handoverTo: to,
    });
  }

  /** Extends a lease we hold, keeping its epoch; fails when anyone wrote a step since. */
  async renew(
    lease: Lease,
    ttlMs: number,
    now = new Date(),
  ): Promise<LeaseAttempt> {
    return this.claim({
      ...lease,
      seq: lease.seq + 1,
      expiresAt: new Date(now.getTime() + ttlMs),
      handoverTo: null,
    });
  }

  /**
   * Gives a lease up at once (SIGTERM, a handover): the next acquirer needs
   * no wait for the TTL. Handed over to `to`, it stays reserved for that
   * instance for `reserveMs`.
   */
  async release(
    lease: LeaseStep,
    now = new Date(),
    handover?: { to: string; reserveMs: number },
  ): Promise<boolean> {
    return this.insertStep({
      ...lease,
      owner: null,
      seq: lease.seq + 1,
      expiresAt: new Date(now.getTime() + (handover?.reserveMs ?? 0)),
      handoverTo: handover?.to ?? null,
    });
  }

  private async claim(lease: Lease): Promise<LeaseAttempt> {
    if (await this.insertStep(lease)) return { acquired: true, lease };
    const winner = await this.current(lease.userId);
    return {
      acquired: false,
      holder: winner?.owner ?? null,
      ...(winner ? { latest: winner } : {}),
    };
  }

  /** True when this step was written and is still the latest one. */
  private async insertStep(step: LeaseStep): Promise<boolean> {
    try {
      // Only the step's own fields: a step read back from the database carries
      // its _id, and reusing it would collide on _id instead of (userId, seq).
      await this.model.create({
        userId: step.userId,
        owner: step.owner,
        seq: step.seq,
        epoch: step.epoch,
        expiresAt: step.expiresAt,
        handoverTo: step.handoverTo ?? null,
      });
    } catch (error) {
      if (isDuplicateKey(error)) return false;
      throw error;
    }
    const newer = await this.model.exists({
      userId: step.userId,
      seq: { $gt: step.seq },
    });
    if (newer) return false;
    // Only the latest step means anything: older ones are history.
    await this.model.deleteMany({
      userId: step.userId,
      seq: { $lt: step.seq },
    });
    return true;
  }
}
