import { inspect } from 'node:util';

export type LogFields = Record<string, string | number | boolean | undefined>;

/**
 * A log message with structured fields. nestjs-pino copies its own fields
 * into the JSON line (`msg`, `userId`, `code`, …); Nest's console logger and
 * `String()` show only the message text.
 */
export class LogLine {
  readonly msg: string;

  constructor(msg: string, fields: LogFields = {}) {
    Object.assign(this, fields);
    this.msg = msg;
  }

  toString(): string {
    return this.msg;
  }

  [inspect.custom](): string {
    return this.msg;
  }
}

export const logLine = (msg: string, fields: LogFields = {}) =>
  new LogLine(msg, fields);
