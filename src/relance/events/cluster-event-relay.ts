import {
  BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
} from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { InjectModel } from '@nestjs/mongoose';
import { Model } from 'mongoose';
import { clusterConfig } from '../../config/cluster.config';
import { ClusterEvent } from '../schemas/cluster-event.schema';
import { SessionEvent, SessionEvents } from './session-events';
import { isRelayed } from './session-stream';

/** How often a stream's instance looks for the owner's events: a fraction of a QR's lifetime. */
const POLL_MS = 250;
/** Each poll looks back this far again: inserts from other processes land out of order by a little. */
const OVERLAP_MS = 2_000;
/** A publisher deletes its events once this old: a stream is live, not a history. */
const RETENTION_MS = 60_000;
const PRUNE_EVERY_POLLS = 40;

/**
 * Live streams on any instance (WHATSAPP_CLUSTER=on): every event a live
 * stream shows (status, QR, pairing code, message status) is inserted into
 * `clusterevents` by the instance that emitted it, and each instance with
 * open streams polls for the other instances' events of those users. FerretDB
 * has no change streams, hence the polling; overlapping windows plus the ids
 * already relayed make an event arrive once even when inserts from several
 * processes land slightly out of order. Does nothing on a single instance.
 */
@Injectable()
export class ClusterEventRelay
  implements OnApplicationBootstrap, BeforeApplicationShutdown
{
  private readonly logger = new Logger(ClusterEventRelay.name);
  private unsubscribe?: () => void;
  private poller?: NodeJS.Timeout;
  private polling = false;
  private polls = 0;
  private since = new Date();
  private readonly relayed = new Map<string, number>();

  constructor(
    @InjectModel(ClusterEvent.name)
    private readonly model: Model<ClusterEvent>,
    private readonly events: SessionEvents,
    @Inject(clusterConfig.KEY)
    private readonly config: ConfigType<typeof clusterConfig>,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.config.enabled) return;
    this.unsubscribe = this.events.subscribeAll((userId, event) => {
      if (isRelayed(event)) this.publish(userId, event);
    });
    this.poller = setInterval(() => void this.pollOnce(), POLL_MS);
  }

  beforeApplicationShutdown(): void {
    this.unsubscribe?.();
    clearInterval(this.poller);
  }

  private publish(userId: string, event: SessionEvent): void {
    this.model
      .create({
        userId,
        origin: this.config.instanceId,
        at: new Date(),
        event: { ...event },
      })
      .catch((error: unknown) =>
        this.logger.warn(
          `Could not publish a ${event.type} event of user ${userId} to the other instances: ${(error as Error).message}`,
        ),
      );
  }

  private async pollOnce(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      await this.relayNew();
      this.polls = (this.polls + 1) % PRUNE_EVERY_POLLS;
      if (this.polls === 0) await this.prune();
    } catch (error) {
      this.logger.warn(
        `Could not read the other instances' events: ${(error as Error).message}; retrying`,
      );
    } finally {
      this.polling = false;
    }
  }

  private async relayNew(): Promise<void> {
    const users = this.events.peerWatchedUsers();
    const startedAt = Date.now();
    if (users.length === 0) {
      this.since = new Date(startedAt);
      return;
    }
    const from = new Date(this.since.getTime() - OVERLAP_MS);
    const found = await this.model
      .find({
        userId: { $in: users },
        origin: { $ne: this.config.instanceId },
        at: { $gte: from },
      })
      .sort({ at: 1, _id: 1 })
      .lean();
    for (const doc of found) {
      const id = String(doc._id);
      if (this.relayed.has(id)) continue;
      this.relayed.set(id, doc.at.getTime());
      this.events.emitFromPeer(doc.userId, doc.event as SessionEvent);
    }
    this.since = new Date(startedAt);
    for (const [id, at] of this.relayed)
      if (at < from.getTime() - OVERLAP_MS) this.relayed.delete(id);
  }

  private async prune(): Promise<void> {
    await this.model.deleteMany({
      origin: this.config.instanceId,
      at: { $lt: new Date(Date.now() - RETENTION_MS) },
    });
  }
}
