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
import { clusterConfig } from '../config/cluster.config';
import { InstanceHeartbeat } from './schemas/instance-heartbeat.schema';

/**
 * With WHATSAPP_CLUSTER=on, says every TTL/3 that this instance is alive, so
 * the others can count live instances (their fair share of sessions). Each
 * instance writes only its own document: no write ever races another.
 */
@Injectable()
export class InstanceHeartbeatService
  implements OnApplicationBootstrap, BeforeApplicationShutdown
{
  private readonly logger = new Logger(InstanceHeartbeatService.name);
  private timer?: NodeJS.Timeout;

  constructor(
    @InjectModel(InstanceHeartbeat.name)
    private readonly model: Model<InstanceHeartbeat>,
    @Inject(clusterConfig.KEY)
    private readonly config: ConfigType<typeof clusterConfig>,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.config.enabled) return;
    const beat = () => {
      this.beat().catch((error: unknown) =>
        this.logger.warn(
          `Heartbeat of instance ${this.config.instanceId} failed: ${(error as Error).message}`,
        ),
      );
    };
    // The database may come up after the app (database-first boot waits for it elsewhere).
    this.model.db
      .asPromise()
      .then(beat)
      .catch((error: unknown) =>
        this.logger.warn(
          `No first heartbeat: ${(error as Error).message}; the timer beats on`,
        ),
      );
    this.timer = setInterval(beat, Math.floor(this.config.leaseTtlMs / 3));
  }

  async beforeApplicationShutdown(): Promise<void> {
    if (!this.timer) return;
    clearInterval(this.timer);
    this.timer = undefined;
    // Leaving at once lets the others count one instance fewer without waiting for the TTL.
    await this.model.deleteOne({ _id: this.config.instanceId });
  }

  async beat(now = new Date()): Promise<void> {
    await this.model.updateOne(
      { _id: this.config.instanceId },
      { $set: { seenAt: now } },
      { upsert: true },
    );
  }

  /** Instances heard from within one lease TTL, this one included once it has beaten. */
  async liveInstances(now = new Date()): Promise<string[]> {
    const since = new Date(now.getTime() - this.config.leaseTtlMs);
    const live = await this.model
      .find({ seenAt: { $gt: since } }, { _id: 1 })
      .sort({ _id: 1 })
      .lean();
    return live.map((instance) => instance._id);
  }
}
