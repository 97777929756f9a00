import { Injectable } from '@nestjs/common';
import { capStatusLine } from './status-line';
import {
  TransportRequest,
  TransportResult,
  WebhookTransport,
} from './webhook-transport';

function causeCode(error: Error): string {
  const cause = (error as Error & { cause?: unknown }).cause;
  const code =
    cause instanceof Error
      ? (cause as Error & { code?: unknown }).code
      : undefined;
  return typeof code === 'string' ? code : error.name;
}

/**
 * Node's built-in fetch (undici). Redirects are returned, not followed (a 3xx
 * is a failed attempt), so only a configured URL is ever called; the timeout
 * covers connecting and the response headers; the body is cancelled unread.
 */
@Injectable()
export class FetchWebhookTransport extends WebhookTransport {
  async post(request: TransportRequest): Promise<TransportResult> {
    const timeout = AbortSignal.timeout(request.timeoutMs);
    try {
      const response = await fetch(request.url, {
        method: 'POST',
        headers: {
          ...request.headers,
          'content-type': 'application/json',
          'user-agent': 'relance-webhooks/1',
        },
        body: request.body,
        redirect: 'manual',
        signal: AbortSignal.any([timeout, request.signal]),
      });
      await response.body?.cancel();
      return {
        outcome: response.ok ? 'accepted' : 'rejected',
        statusLine: capStatusLine(
          `HTTP ${response.status} ${response.statusText}`,
        ),
      };
    } catch (error) {
      if (request.signal.aborted) return { outcome: 'aborted' };
      if (timeout.aborted)
        return {
          outcome: 'timeout',
          statusLine: `timeout after ${request.timeoutMs} ms`,
        };
      return {
        outcome: 'unreachable',
        statusLine: capStatusLine(`unreachable: ${causeCode(error as Error)}`),
      };
    }
  }
}
