import { ConsoleLogger } from '@nestjs/common';
import { format } from 'node:util';

/**
 * Error lines are part of what a test checks. Every Nest log at error or
 * fatal level reaches ConsoleLogger (Nest's TestingLogger extends it), where
 * this guard catches it: a line a test declared with allowErrorLogs() is
 * swallowed, any other fails the running test. Installed for every spec by
 * test/support/error-log-guard.setup.ts.
 */

type SinkLevel = 'error' | 'fatal';

interface ErrorLine {
  level: SinkLevel;
  text: string;
}

const fileAllowed: RegExp[] = [];
const testAllowed: RegExp[] = [];
let unexpected: ErrorLine[] = [];
let reportOnly = false;

/**
 * Declares error lines a test expects (matched against the message text).
 * Called inside a test or a beforeEach it covers that test; called elsewhere
 * (a describe body, beforeAll) it covers the whole file.
 */
export function allowErrorLogs(...patterns: RegExp[]): void {
  const inTest = expect.getState().currentTestName !== undefined;
  (inTest ? testAllowed : fileAllowed).push(...patterns);
}

function textOf(message: unknown, params: unknown[]): string {
  // Nest passes the context last; a stack trace may come before it.
  return format(message, ...params.slice(0, -1)).trim() || format(message);
}

function record(level: SinkLevel, original: ConsoleLogger[SinkLevel]) {
  return function (
    this: ConsoleLogger,
    message: unknown,
    ...params: unknown[]
  ): void {
    const text = textOf(message, params);
    if ([...fileAllowed, ...testAllowed].some((pattern) => pattern.test(text)))
      return;
    // After the file's last check nothing can fail any more: show the line.
    if (reportOnly) return original.call(this, message, ...params);
    unexpected.push({ level, text });
  };
}

function spyOnSinks(): void {
  for (const level of ['error', 'fatal'] as const) {
    const method = ConsoleLogger.prototype[level];
    // A test's restoreAllMocks() may have removed the spy: put it back.
    if (!jest.isMockFunction(method))
      jest
        .spyOn(ConsoleLogger.prototype, level)
        .mockImplementation(record(level, method));
  }
}

function failOnUnexpected(when: string): void {
  const lines = unexpected;
  unexpected = [];
  if (lines.length === 0) return;
  throw new Error(
    [
      `Unexpected error log line(s) ${when}:`,
      ...lines.map(({ level, text }) => `  [${level}] ${text}`),
      'Fix the cause, or declare them with allowErrorLogs(/pattern/) from test/support/error-logs.',
    ].join('\n'),
  );
}

export function installErrorLogGuard(): void {
  spyOnSinks();
  beforeEach(() => {
    spyOnSinks();
    failOnUnexpected(
      'before this test (in a beforeAll, or left by an earlier test)',
    );
  });
  afterEach(() => {
    testAllowed.length = 0;
    failOnUnexpected('during this test');
  });
  afterAll(() => {
    reportOnly = true;
    failOnUnexpected('after the last test (in an afterAll)');
  });
}
