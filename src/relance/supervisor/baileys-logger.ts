import { Logger } from '@nestjs/common';
import type { ILogger } from '@whiskeysockets/baileys/lib/Utils/logger.js';
import { logLine } from '../../logging/log-line';

/**
 * Baileys errors that only announce a close (Baileys ends the socket right
 * after): the close reaches SessionLifecycleService, whose decision line says
 * what happened and what comes next, so these are warnings, not errors.
 */
const CLOSE_ANNOUNCEMENTS = new Set([
  'error in validating connection',
  'stream errored out',
]);

function errorMessageOf(value: unknown): string | undefined {
  return value instanceof Error ? value.message : undefined;
}

/** Why Baileys closes: the error's message or the stream error's tag (e.g. `conflict`). */
function closeReasonOf(obj: unknown): string | undefined {
  if (typeof obj !== 'object' || obj === null) return errorMessageOf(obj);
  const { err, reasonNode } = obj as { err?: unknown; reasonNode?: unknown };
  const tag = (reasonNode as { tag?: unknown } | undefined)?.tag;
  return errorMessageOf(err) ?? (typeof tag === 'string' ? tag : undefined);
}

function describe(obj: unknown, msg?: string): string {
  if (msg) return msg;
  if (typeof obj === 'string') return obj;
  return (
    errorMessageOf(obj) ??
    errorMessageOf((obj as { err?: unknown } | undefined)?.err) ??
    'Baileys reported a problem'
  );
}

/**
 * Sends Baileys' warnings and errors to our logger and drops everything below
 * warn. Only the message (and a close's reason) is kept: Baileys' log objects
 * can carry keys and protocol payloads, which must never reach the logs.
 */
export class BaileysLoggerBridge implements ILogger {
  readonly level = 'warn';

  constructor(
    private readonly logger: Logger,
    private readonly userId: string,
  ) {}

  child(): ILogger {
    return this;
  }

  trace(): void {}
  debug(): void {}
  info(): void {}

  warn(obj: unknown, msg?: string): void {
    this.logger.warn(this.line(describe(obj, msg)));
  }

  error(obj: unknown, msg?: string): void {
    if (msg !== undefined && CLOSE_ANNOUNCEMENTS.has(msg)) {
      const reason = closeReasonOf(obj);
      this.logger.warn(this.line(reason ? `${msg}: ${reason}` : msg));
      return;
    }
    this.logger.error(this.line(describe(obj, msg)));
  }

  private line(text: string) {
    return logLine(`[baileys] user ${this.userId}: ${text}`, {
      userId: this.userId,
    });
  }
}
