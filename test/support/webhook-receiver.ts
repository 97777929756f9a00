import {
  createServer,
  IncomingMessage,
  Server,
  ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import type { WebhookPayload } from '../../src/webhooks/webhook-event';

/** How the receiver answers one request: a status code, or never ('hang'). */
export type Answer = number | 'hang';

export interface ReceivedWebhook {
  webhookId: string;
  headers: Record<string, string>;
  /** The raw body, exactly as received. */
  body: string;
  /** Whether `standardwebhooks` accepted the signature. */
  verified: boolean;
  /** The verified body; undefined when the signature did not verify. */
  payload?: WebhookPayload;
  /** Why verification failed, when it did. */
  rejection?: string;
  receivedAt: number;
  answer: Answer;
}

function headersOf(request: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers))
    if (typeof value === 'string') headers[name] = value;
  return headers;
}

/**
 * A real HTTP receiver on loopback that verifies every request with the
 * `standardwebhooks` package, as a customer's endpoint would. Unverified
 * requests are answered 401; verified ones as `answer` decides.
 */
export class WebhookReceiver {
  readonly received: ReceivedWebhook[] = [];
  answer: (webhook: ReceivedWebhook) => Answer = () => 200;
  private readonly hanging = new Set<ServerResponse>();
  private readonly verifier: Webhook;

  private constructor(
    private readonly server: Server,
    secret: string,
  ) {
    this.verifier = new Webhook(secret);
  }

  static async start(secret: string): Promise<WebhookReceiver> {
    const server = createServer();
    const receiver = new WebhookReceiver(server, secret);
    server.on('request', (request, response) =>
      receiver.handle(request, response),
    );
    await new Promise<void>((resolve) =>
      server.listen(0, '127.0.0.1', resolve),
    );
    return receiver;
  }

  /** The URL to configure; the query string is there to check it is never shown to admins. */
  get url(): string {
    const { port } = this.server.address() as AddressInfo;
    return `http://127.0.0.1:${port}/hooks/relance?token=receiver-secret`;
  }

  /** Throws unless `standardwebhooks` accepts this body under these headers. */
  verify(body: string, headers: Record<string, string>): WebhookPayload {
    return this.verifier.verify(body, headers) as WebhookPayload;
  }

  /** Verified requests answered with a 2xx. */
  accepted(): ReceivedWebhook[] {
    return this.received.filter(
      (webhook) =>
        webhook.verified &&
        typeof webhook.answer === 'number' &&
        webhook.answer >= 200 &&
        webhook.answer < 300,
    );
  }

  /** Accepted events of one user, once each (by webhook-id), by sequence. */
  acceptedEventsOf(userId: string): WebhookPayload[] {
    const byId = new Map<string, WebhookPayload>();
    for (const webhook of this.accepted())
      if (webhook.payload?.data.userId === userId)
        byId.set(webhook.webhookId, webhook.payload);
    return [...byId.values()].sort((a, b) => a.data.sequence - b.data.sequence);
  }

  get hangingCount(): number {
    return this.hanging.size;
  }

  async close(): Promise<void> {
    for (const response of this.hanging) response.destroy();
    this.hanging.clear();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(request: IncomingMessage, response: ServerResponse): void {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const headers = headersOf(request);
      const body = Buffer.concat(chunks).toString('utf8');
      const webhook: ReceivedWebhook = {
        webhookId: headers['webhook-id'] ?? '',
        headers,
        body,
        verified: false,
        receivedAt: Date.now(),
        answer: 401,
      };
      try {
        webhook.payload = this.verify(body, headers);
        webhook.verified = true;
        webhook.answer = this.answer(webhook);
      } catch (error) {
        webhook.rejection = (error as Error).message;
      }
      this.received.push(webhook);
      if (webhook.answer === 'hang') {
        this.hanging.add(response);
        response.on('close', () => this.hanging.delete(response));
        return;
      }
      response.writeHead(webhook.answer, { 'content-type': 'text/plain' });
      // A body the service must neither store nor log.
      response.end('receiver body: do not store me');
    });
  }
}
