import { CannotListenError } from './boot/listen';
import { InvalidEnvironmentError } from './config/env-validation';
import { DatabaseUnreachableError } from './database/database-connection';
import { EmbeddedDatabaseUnavailableError } from './database/embedded/embedded-database';

const EXPLAINED_FAILURES = [
  InvalidEnvironmentError,
  EmbeddedDatabaseUnavailableError,
  DatabaseUnreachableError,
  CannotListenError,
];

/**
 * Prints why the service could not start and returns the exit code. Failures
 * the user can fix print one clear message, with no stack trace.
 */
export function reportBootFailure(
  error: unknown,
  print: (message: string) => void,
): number {
  const explained = EXPLAINED_FAILURES.some((type) => error instanceof type);
  if (explained && error instanceof Error) {
    print(`Cannot start: ${error.message}`);
  } else {
    print(
      `Cannot start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
    );
  }
  return 1;
}
