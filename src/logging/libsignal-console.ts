import { Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { sep } from 'node:path';

const CONSOLE_METHODS = ['log', 'info', 'warn', 'error', 'debug'] as const;

const LIBSIGNAL_FRAME = `${sep}libsignal${sep}`;
const INSTALLED = Symbol.for('relance.libsignalConsoleGuard');

type GuardedConsole = Console & { [INSTALLED]?: true };

/** True when the console call comes from libsignal's code (its frames are in the stack). */
function calledFromLibsignal(): boolean {
  return new Error().stack?.includes(LIBSIGNAL_FRAME) ?? false;
}

/** Only the words of a libsignal console call: its objects are session records, with private keys. */
export function describeLibsignalCall(args: readonly unknown[]): string {
  const words = args.filter((arg) => typeof arg === 'string').join(' ');
  return words.replace(/[:\s]+$/, '') || 'libsignal console call';
}

/**
 * libsignal (the Signal implementation Baileys ships) prints whole session
 * records with `console.info` / `console.warn` ("Closing session:",
 * "Opening session:"), private keys included, straight to stdout. Its calls
 * are routed to the app logger at debug level with their words only; every
 * other console call is untouched. The stack is read only on console calls,
 * which the app itself never makes (it logs through Nest's logger).
 */
export function guardConsoleAgainstLibsignal(
  target: Console,
  logger: Pick<Logger, 'debug'>,
): void {
  const guarded = target as GuardedConsole;
  if (guarded[INSTALLED]) return;
  guarded[INSTALLED] = true;
  for (const method of CONSOLE_METHODS) {
    const original = target[method].bind(target) as (
      ...args: unknown[]
    ) => void;
    target[method] = (...args: unknown[]) => {
      if (calledFromLibsignal()) logger.debug(describeLibsignalCall(args));
      else original(...args);
    };
  }
}

/** Installs the guard on the process's console when the app starts. */
@Injectable()
export class LibsignalConsoleGuard implements OnModuleInit {
  private readonly logger = new Logger('libsignal');

  onModuleInit(): void {
    guardConsoleAgainstLibsignal(console, this.logger);
  }
}
