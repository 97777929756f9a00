/** MongoDB's (and FerretDB's) E11000: a unique index refused the write. */
export function isDuplicateKeyError(error: unknown): boolean {
  return (
    error instanceof Error &&
    (error as Error & { code?: unknown }).code === 11000
  );
}
