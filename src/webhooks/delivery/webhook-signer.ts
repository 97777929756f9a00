import { Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { Webhook } from 'standardwebhooks';
import { webhooksConfig } from '../../config/webhooks.config';

/** The three Standard Webhooks headers of one attempt. */
export interface SignatureHeaders {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
}

/**
 * Signs with the `standardwebhooks` package (HMAC-SHA256 over
 * "id.timestamp.body", header `v1,<base64>`), so any Standard Webhooks library
 * verifies it. Each attempt is signed afresh: receivers refuse timestamps
 * older than a few minutes, and a retry may come an hour later.
 */
@Injectable()
export class WebhookSigner {
  private webhook?: Webhook;

  constructor(
    @Inject(webhooksConfig.KEY)
    private readonly config: Pick<ConfigType<typeof webhooksConfig>, 'secret'>,
  ) {}

  sign(webhookId: string, at: Date, body: string): SignatureHeaders {
    return {
      'webhook-id': webhookId,
      'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
      'webhook-signature': this.key().sign(webhookId, at, body),
    };
  }

  private key(): Webhook {
    if (!this.config.secret)
      throw new Error('WEBHOOK_SECRET is not set; nothing can be signed');
    this.webhook ??= new Webhook(this.config.secret);
    return this.webhook;
  }
}
