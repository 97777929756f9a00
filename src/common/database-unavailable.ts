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
