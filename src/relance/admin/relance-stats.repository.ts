import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model } from 'mongoose';
import { RelanceConfig } from '../schemas/relance-config.schema';
import { WHATSAPP_STATUSES, WhatsAppStatus } from '../whatsapp-status';

export interface AtRiskPage {
  count: number;
  userIds: string[];
}

/**
 * Read-only monitoring queries over `relanceconfigs` (writes live in
 * RelanceConfigRepository). Only aggregations and counts: no query loads the
 * documents. Each uses an index from the schema (connectionFailureCount,
 * lastConnectionFailure, whatsappStatus, userId).
 *
 * FerretDB 1.24 (the CI database) has no `$avg` and, in a `$group` with
 * several accumulators, computes only the first; so every `$group` here has
 * exactly one accumulator and the average is a sum divided by a count.
 */
@Injectable()
export class RelanceStatsRepository {
  constructor(
    @InjectModel(RelanceConfig.name)
    private readonly model: Model<RelanceConfig>,
  ) {}

  async countUsers(): Promise<number> {
    return this.model.countDocuments({}).exec();
  }

  /** Sum of every user's consecutive failure count (a missing count is 0). */
  async sumFailureCounts(): Promise<number> {
    const [row] = await this.model
      .aggregate<{ total: number }>([
        {
          $group: { _id: null, total: { $sum: '$connectionFailureCount' } },
        },
      ])
      .exec();
    return row?.total ?? 0;
  }

  /** Users whose count is at least `minimum`, and one page of their ids (sorted). */
  async findAtRisk(
    minimum: number,
    page: { skip: number; limit: number },
  ): Promise<AtRiskPage> {
    const filter = { connectionFailureCount: { $gte: minimum } };
    const [count, rows] = await Promise.all([
      this.model.countDocuments(filter).exec(),
      this.model
        .aggregate<{ userId: string }>([
          { $match: filter },
          { $sort: { userId: 1 } },
          { $skip: page.skip },
          { $limit: page.limit },
          { $project: { _id: 0, userId: 1 } },
        ])
        .exec(),
    ]);
    return { count, userIds: rows.map((row) => row.userId) };
  }

  async countFailuresSince(since: Date): Promise<number> {
    return this.model
      .countDocuments({ lastConnectionFailure: { $gte: since } })
      .exec();
  }

  /** Stored status of every user; documents written before the field existed count as disconnected. */
  async countByStatus(): Promise<Record<WhatsAppStatus, number>> {
    const rows = await this.model
      .aggregate<{ _id: string | null; count: number }>([
        { $group: { _id: '$whatsappStatus', count: { $sum: 1 } } },
      ])
      .exec();
    const counts = Object.fromEntries(
      WHATSAPP_STATUSES.map((status) => [status, 0]),
    ) as Record<WhatsAppStatus, number>;
    for (const row of rows) {
      const status = (WHATSAPP_STATUSES as readonly (string | null)[]).includes(
        row._id,
      )
        ? (row._id as WhatsAppStatus)
        : 'disconnected';
      counts[status] += row.count;
    }
    return counts;
  }
}
