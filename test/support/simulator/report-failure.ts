/** Handlers run detached from ws callbacks; a failure must surface, not vanish as an unhandled rejection. */
export const reportFailure =
  (what: string) =>
  (error: unknown): void => {
    process.emitWarning(
      `wa-simulator ${what}: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
    );
  };
