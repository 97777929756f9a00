import { AsyncLocalStorage } from 'node:async_hooks';

export interface RequestContext {
  readonly requestId: string;
}

/**
 * The request being handled, for log lines. Everything started while handling
 * a request inherits it: promises, timers, and the callbacks of sockets opened
 * then. Work that outlives the request must leave it (see outsideRequest).
 */
const storage = new AsyncLocalStorage<RequestContext>();

export function runInRequest<T>(context: RequestContext, run: () => T): T {
  return storage.run(context, run);
}

export function currentRequestId(): string | undefined {
  return storage.getStore()?.requestId;
}

/**
 * Runs `work` with no request context, for background work started while a
 * request is handled (a socket, a reconnect timer): what it logs later belongs
 * to no request, not to the one that happened to start it.
 */
export function outsideRequest<T>(work: () => T): T {
  return storage.exit(work);
}

/** `callback` as it would run from outside any request, e.g. for setTimeout. */
export function detachedFromRequest<Args extends unknown[], R>(
  callback: (...args: Args) => R,
): (...args: Args) => R {
  return (...args) => storage.exit(() => callback(...args));
}
