/** How one HTTP attempt ended. The response body is never part of it. */
export type TransportResult =
  | { outcome: 'accepted' | 'rejected'; statusLine: string }
  | { outcome: 'timeout' | 'unreachable'; statusLine: string }
  /** Cancelled by our own shutdown: says nothing about the receiver. */
  | { outcome: 'aborted' };

export interface TransportRequest {
  url: string;
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
  /** Aborts the attempt when the application shuts down. */
  signal: AbortSignal;
}

/** Port: POSTs one signed body to one URL (the adapter is FetchWebhookTransport). */
export abstract class WebhookTransport {
  abstract post(request: TransportRequest): Promise<TransportResult>;
}
