const UNAVAILABLE_ERROR_NAMES = new Set([
  'MongoServerSelectionError',
  'MongooseServerSelectionError',
  'MongoNetworkError',
  'MongoNetworkTimeoutError',
  'MongoNotConnectedError',
  'MongoTopologyClosedError',
  'MongoPoolClearedError',
]);

/** True when an error means MongoDB cannot be reached, as opposed to a bad query. */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) {
    return false;
  }
  if (UNAVAILABLE_ERROR_NAMES.has(error.name)) {
    return true;
  }
  // Mongoose refuses commands while disconnected because bufferCommands is off.
  return (
    error.name === 'MongooseError' &&
    /bufferCommands = false|not connected|Client must be connected/i.test(
      error.message,
    )
  );
}

/**
 * Errors worth retrying for a session write: the database is unreachable, or
 * it refused a write under contention (MongoDB's WriteConflict, FerretDB's
 * SQLite "database is locked").
 */
export function isRetryableDatabaseError(error: unknown): boolean {
  if (isDatabaseUnavailable(error)) return true;
  if (!(error instanceof Error)) return false;
  const code = (error as Error & { code?: unknown }).code;
  return code === 112 || /database is locked|SQLITE_BUSY/.test(error.message);
}
