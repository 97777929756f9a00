/** How long shutdown waits for webhook work (writes retrying while MongoDB is down) before leaving it. */
export const SHUTDOWN_WAIT_MS = 5_000;

/** Waits for `work`, but no longer than `ms`; whatever is left keeps running unawaited. */
export async function withinBound(
  work: Promise<unknown>,
  ms: number,
): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
    timer.unref();
  });
  try {
    await Promise.race([work, bound]);
  } finally {
    clearTimeout(timer);
  }
}
