import { Logger } from '@nestjs/common';
import type { ILogger } from '@whiskeysockets/baileys/lib/Utils/logger.js';

function describe(obj: unknown, msg?: string): string {
  if (msg) return msg;
  if (typeof obj === 'string') return obj;
  if (obj instanceof Error) return obj.message;
  const err = (obj as { err?: unknown } | undefined)?.err;
  return err instanceof Error ? err.message : 'Baileys reported a problem';
}

/**
 * Sends Baileys' warnings and errors to our logger and drops everything below
 * warn. Only the message is kept: Baileys' log objects can carry keys and
 * protocol payloads, which must never reach the logs.
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
    this.logger.warn(`[baileys] user ${this.userId}: ${describe(obj, msg)}`);
  }

  error(obj: unknown, msg?: string): void {
    this.logger.error(`[baileys] user ${this.userId}: ${describe(obj, msg)}`);
  }
}
