import { mongo } from 'mongoose';

/**
 * The lease epoch a session's writes are made under, and how to check that
 * it is still the latest one. A write carrying a fence is refused when the
 * session changed hands since (see fencedFilter for how the storage itself
 * refuses it).
 */
export interface Fence {
  readonly epoch: number;
  /** Rejects with StaleFenceError when the user's lease has moved to a later epoch or another owner. */
  assertCurrent(): Promise<void>;
}

/** A write from an instance that no longer owns the session, refused. */
export class StaleFenceError extends Error {
  constructor(userId: string, epoch: number) {
    super(
      `The write for user ${userId} at lease epoch ${epoch} was refused: the session has a newer owner`,
    );
    this.name = 'StaleFenceError';
  }
}

const DUPLICATE_KEY = 11000;

/**
 * The fencing filter, added to the document's natural (uniquely indexed)
 * key: it matches the document only while its stored epoch is not newer
 * than ours, and every fenced write also sets `field` to our epoch. When a
 * newer owner has already written the document, the filter misses, the
 * upsert tries to insert a second document with the same unique key, and
 * the unique index refuses it (duplicate key): the storage, not a read
 * before the write, arbitrates. Documents never written under a lease (no
 * field) are open to any epoch.
 */
export function fencedFilter(field: string, epoch: number) {
  return {
    $or: [{ [field]: { $lte: epoch } }, { [field]: { $exists: false } }],
  };
}

/** The duplicate key a fenced upsert meets when a newer epoch owns the document. */
export function isFenceRefusal(error: unknown): boolean {
  if (error instanceof mongo.MongoBulkWriteError)
    return error.writeErrors instanceof Array
      ? error.writeErrors.some((e) => e.code === DUPLICATE_KEY)
      : error.code === DUPLICATE_KEY;
  return (
    error instanceof mongo.MongoServerError && error.code === DUPLICATE_KEY
  );
}

/**
 * Runs a fenced write: first the lease check (refuses an ex-owner that woke
 * up before it touches anything), then the write itself, whose filter lets
 * the unique index refuse it if a newer owner wrote the same document.
 */
export async function fencedWrite<T>(
  userId: string,
  fence: Fence,
  write: () => Promise<T>,
): Promise<T> {
  await fence.assertCurrent();
  try {
    return await write();
  } catch (error) {
    if (isFenceRefusal(error)) throw new StaleFenceError(userId, fence.epoch);
    throw error;
  }
}
