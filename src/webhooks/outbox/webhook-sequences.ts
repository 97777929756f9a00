import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model } from 'mongoose';
import { isDuplicateKeyError } from './duplicate-key';
import { WebhookSequence } from './webhook-sequence.schema';

/** Two writers creating the same user's counter at once: one insert loses and tries again. */
const CREATE_RACE_TRIES = 3;

/**
 * Hands out each user's next event number with one atomic `$inc` (upsert).
 * FerretDB 1.x does not isolate concurrent updates of one document, so two
 * writers may rarely draw the same number; the outbox's unique index on
 * (userId, sequence, url) catches that and the loser draws again.
 */
@Injectable()
export class WebhookSequences {
  constructor(
    @InjectModel(WebhookSequence.name)
    private readonly model: Model<WebhookSequence>,
  ) {}

  async next(userId: string): Promise<number> {
    for (let tries = 1; ; tries += 1) {
      try {
        const counter = await this.model
          .findOneAndUpdate(
            { _id: userId },
            { $inc: { value: 1 } },
            { upsert: true, returnDocument: 'after', lean: true },
          )
          .exec();
        if (!counter) throw new Error('The sequence upsert returned nothing');
        return counter.value;
      } catch (error) {
        if (!isDuplicateKeyError(error) || tries >= CREATE_RACE_TRIES)
          throw error;
      }
    }
  }
}
