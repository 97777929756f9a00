import { ApiClient, UnauthorizedError } from './api.mjs';
import { SseMessage, SseParser } from './sse-parser.mjs';

export interface LiveStreamHandlers {
  /** Every event, in order; a fresh connection starts with a `snapshot`. */
  onMessage(message: SseMessage): void;
  /** The token was refused: the stream stops for good. */
  onUnauthorized(error: UnauthorizedError): void;
  /** The stream failed or went silent; the next attempt starts in `retryInMs`. */
  onLost(retryInMs: number, error: unknown): void;
}

const FIRST_RETRY_MS = 1_000;
const MAX_RETRY_MS = 30_000;

/**
 * Exponential backoff with ±20 % jitter, so many pages cut off by one restart
 * do not all come back in the same second. (The server's cockatiel is not
 * loaded here: the page ships no third-party code and no bundler.)
 */
export function retryDelayMs(attempt: number, random = Math.random()): number {
  const base = Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** attempt);
  return Math.round(base * (0.8 + 0.4 * random));
}

class StreamEnded extends Error {
  constructor() {
    super('The live stream ended');
  }
}

class StreamSilent extends Error {
  constructor(idleMs: number) {
    super(`Nothing received on the live stream for ${idleMs} ms`);
  }
}

/**
 * GET /api/relance/events read with fetch and a stream reader (EventSource
 * cannot send the Authorization header), reopened with backoff whenever it
 * fails, ends, or stays silent longer than `idleTimeoutMs` (the server sends
 * heartbeats, so silence means a dead connection a proxy kept open).
 */
export class LiveStream {
  private stopped = false;
  private attempt = 0;
  private current?: AbortController;
  private wakeUp?: () => void;

  constructor(
    private readonly api: ApiClient,
    private readonly handlers: LiveStreamHandlers,
    private readonly idleTimeoutMs: number,
  ) {}

  start(): void {
    void this.run();
  }

  stop(): void {
    this.stopped = true;
    this.current?.abort();
    this.wakeUp?.();
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      const error = await this.readOnce().then(
        () => new StreamEnded(),
        (failure: unknown) => failure,
      );
      if (this.stopped) return;
      if (error instanceof UnauthorizedError) {
        this.stopped = true;
        this.handlers.onUnauthorized(error);
        return;
      }
      const delay = retryDelayMs(this.attempt);
      this.attempt += 1;
      this.handlers.onLost(delay, error);
      await this.pause(delay);
    }
  }

  private pause(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = window.setTimeout(resolve, ms);
      this.wakeUp = () => {
        window.clearTimeout(timer);
        resolve();
      };
    });
  }

  /** Resolves when the server ends the stream; rejects when it fails, goes silent or is refused. */
  private async readOnce(): Promise<void> {
    const controller = new AbortController();
    this.current = controller;
    let silent: StreamSilent | undefined;
    let idleTimer = 0;
    const watchSilence = () => {
      window.clearTimeout(idleTimer);
      idleTimer = window.setTimeout(() => {
        silent = new StreamSilent(this.idleTimeoutMs);
        controller.abort();
      }, this.idleTimeoutMs);
    };
    watchSilence();
    try {
      const body = await this.api.openEvents(controller.signal);
      const reader = body.getReader();
      const decoder = new TextDecoder();
      const parser = new SseParser();
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        watchSilence();
        for (const message of parser.push(
          decoder.decode(value, { stream: true }),
        )) {
          // Something arrived: the stream works, so the next loss starts the backoff again.
          this.attempt = 0;
          this.handlers.onMessage(message);
        }
      }
    } catch (error) {
      throw silent ?? error;
    } finally {
      window.clearTimeout(idleTimer);
      controller.abort();
    }
  }
}
