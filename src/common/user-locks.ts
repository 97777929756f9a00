import { Injectable } from '@nestjs/common';
import { Mutex } from 'async-mutex';

/** Serializes the operations of one user; different users run in parallel. */
@Injectable()
export class UserLocks {
  private readonly mutexes = new Map<string, Mutex>();

  async run<T>(userId: string, operation: () => Promise<T>): Promise<T> {
    let mutex = this.mutexes.get(userId);
    if (!mutex) {
      mutex = new Mutex();
      this.mutexes.set(userId, mutex);
    }
    try {
      return await mutex.runExclusive(operation);
    } finally {
      if (!mutex.isLocked()) this.mutexes.delete(userId);
    }
  }

  /** How many users have an operation running or queued (for tests and metrics). */
  get activeUsers(): number {
    return this.mutexes.size;
  }
}
