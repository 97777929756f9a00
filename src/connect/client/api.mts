/** The API the page talks to (same origin, bearer token), as the server documents it in /api/docs. */

export type WhatsAppStatus =
  | 'connected'
  | 'connecting'
  | 'awaiting_qr'
  | 'awaiting_pairing'
  | 'disconnected';

/** Why a session stopped, on `status` events (see SessionEvents' StatusReason on the server). */
export type StopReason =
  | 'threshold'
  | 'force'
  | 'needs_qr'
  | 'qr_expired'
  | 'pairing_expired'
  | 'connection_replaced'
  | 'user'
  | 'not_linked';

/** GET /api/relance/status, also the stream's `snapshot` event. */
export interface StatusSnapshot {
  status: WhatsAppStatus;
  connectionFailureCount: number;
  maxConnectionFailures: number;
  lastQrScanDate: string | null;
  sessionStored: boolean;
  nextReconnectAt?: string;
}

/** The stream's `status` event: fields other than `status` are present only when they apply. */
export interface StatusChange {
  status: WhatsAppStatus;
  connectionFailureCount?: number;
  nextReconnectAt?: string;
  reason?: StopReason;
}

/** The stream's `qr` event. */
export interface QrCode {
  qr: string;
  qrImage: string;
}

/** The stream's `pairing` event, and the code in POST /pairing-code's answer. */
export interface PairingCode {
  /** What the user types on the phone, e.g. ABCD-EFGH. */
  pairingCode: string;
  expiresAt: string;
}

/** POST /api/relance/pairing-code: 200 with a code or "connected", 202 while connecting or when the attempt ended. */
export type PairingAnswer =
  | ({ status: 'awaiting_pairing' } & PairingCode)
  | { status: 'connected' }
  | { status: 'connecting' | 'disconnected' };

/** GET /api/relance/qr: 200 with a QR or "connected", 202 while connecting or when the attempt ended. */
export type QrAnswer =
  | ({ status: 'awaiting_qr' } & QrCode)
  | { status: 'connected' }
  | { status: 'connecting' | 'disconnected' };

export class ApiError extends Error {
  constructor(
    /** The HTTP status; 0 when the service could not be reached at all. */
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** 401: the token is missing, invalid or expired. */
export class UnauthorizedError extends ApiError {}

/** 429: the user's budget for this route is spent for now. */
export class RateLimitedError extends ApiError {
  constructor(
    /** From Retry-After; undefined when the header is missing or unreadable. */
    readonly retryAfterSeconds: number | undefined,
    message: string,
  ) {
    super(429, message);
  }
}

/** 400: the input was refused; `firstMessage` says what was expected (the envelope's message[0]). */
export class InvalidInputError extends ApiError {
  constructor(
    readonly firstMessage: string,
    message: string,
  ) {
    super(400, message);
  }
}

/** Retry-After is either a number of seconds or an HTTP date. */
function retryAfterSeconds(header: string | null): number | undefined {
  if (header === null) return undefined;
  if (/^\d+$/.test(header.trim())) return Number(header.trim());
  const at = Date.parse(header);
  return Number.isNaN(at)
    ? undefined
    : Math.max(1, Math.ceil((at - Date.now()) / 1000));
}

/** The server's error envelope carries a `message` (a string or a list); a proxy's error page does not. */
async function messagesOf(response: Response): Promise<string[]> {
  const fallback =
    `The service answered ${response.status} ${response.statusText}`.trim();
  const type = response.headers.get('content-type') ?? '';
  if (!type.includes('application/json')) return [fallback];
  const body = (await response.json().catch(() => undefined)) as
    { message?: unknown } | undefined;
  const message = body?.message;
  if (typeof message === 'string') return [message];
  if (Array.isArray(message) && message.length > 0) return message.map(String);
  return [fallback];
}

async function errorFor(response: Response): Promise<ApiError> {
  const messages = await messagesOf(response);
  const message = messages.join('; ');
  if (response.status === 400)
    return new InvalidInputError(messages[0], message);
  if (response.status === 401) return new UnauthorizedError(401, message);
  if (response.status === 429) {
    return new RateLimitedError(
      retryAfterSeconds(response.headers.get('retry-after')),
      message,
    );
  }
  return new ApiError(response.status, message);
}

/** One user's calls, each with `Authorization: Bearer <token>`; the token never goes into a URL. */
export class ApiClient {
  constructor(
    /** The page's own URL: API paths are resolved against it, so a path prefix added by a proxy is kept. */
    private readonly base: string,
    private readonly token: string,
  ) {}

  async status(): Promise<StatusSnapshot> {
    const response = await this.send('GET', 'api/relance/status');
    return (await response.json()) as StatusSnapshot;
  }

  async requestQr(): Promise<QrAnswer> {
    const response = await this.send('GET', 'api/relance/qr');
    return (await response.json()) as QrAnswer;
  }

  /** Asks for a code to type on the phone instead of a QR (the number is the phone's, in international form). */
  async requestPairingCode(phoneNumber: string): Promise<PairingAnswer> {
    const response = await this.send('POST', 'api/relance/pairing-code', {
      body: JSON.stringify({ phoneNumber }),
      headers: { 'content-type': 'application/json' },
    });
    return (await response.json()) as PairingAnswer;
  }

  /** Without `force` the session is kept; with it the device is logged out and the session deleted. */
  async disconnect(force: boolean): Promise<void> {
    await this.send(
      'DELETE',
      'api/relance/disconnect',
      force
        ? {
            body: JSON.stringify({ force: true }),
            headers: { 'content-type': 'application/json' },
          }
        : {},
    );
  }

  /** Opens the live stream; the caller reads the body and aborts `signal` to close it. */
  async openEvents(signal: AbortSignal): Promise<ReadableStream<Uint8Array>> {
    const response = await this.send('GET', 'api/relance/events', {
      headers: { accept: 'text/event-stream' },
      signal,
    });
    if (response.body === null) {
      throw new ApiError(0, 'This browser cannot read a streamed response');
    }
    return response.body;
  }

  private async send(
    method: string,
    path: string,
    init: {
      body?: string;
      headers?: Record<string, string>;
      signal?: AbortSignal;
    } = {},
  ): Promise<Response> {
    let response: Response;
    try {
      response = await fetch(new URL(path, this.base), {
        method,
        body: init.body,
        signal: init.signal,
        cache: 'no-store',
        headers: { ...init.headers, authorization: `Bearer ${this.token}` },
      });
    } catch (error) {
      // An abort is the caller's own doing: let it through as it is.
      if (init.signal?.aborted) throw error;
      throw new ApiError(0, 'The service cannot be reached');
    }
    if (!response.ok) throw await errorFor(response);
    return response;
  }
}
