import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model, Types } from 'mongoose';
import {
  StoredDelivery,
  toStoredDelivery,
} from '../outbox/webhook-outbox.repository';
import { WebhookDelivery } from '../outbox/webhook-delivery.schema';

export interface FailedPage {
  total: number;
  items: StoredDelivery[];
}

/** Read-only: the failed deliveries, most recently failed first (writes live in WebhookOutboxRepository). */
@Injectable()
export class FailedDeliveriesReader {
  constructor(
    @InjectModel(WebhookDelivery.name)
    private readonly model: Model<WebhookDelivery>,
  ) {}

  async page(skip: number, limit: number): Promise<FailedPage> {
    const filter = { state: 'failed' as const };
    const [total, docs] = await Promise.all([
      this.model.countDocuments(filter).exec(),
      this.model
        .find(filter)
        .sort({ failedAt: -1, _id: -1 })
        .skip(skip)
        .limit(limit)
        .lean<Array<WebhookDelivery & { _id: Types.ObjectId }>>()
        .exec(),
    ]);
    return { total, items: docs.map(toStoredDelivery) };
  }
}
