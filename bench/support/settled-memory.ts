import { setTimeout as sleep } from 'node:timers/promises';

export interface Memory {
  rss: number;
  heapUsed: number;
}

/** RSS and heap after forced GCs (the process must run with --expose-gc). */
export async function settledMemory(): Promise<Memory> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with --expose-gc (npm run bench does)');
  for (let i = 0; i < 4; i += 1) {
    gc();
    await sleep(50);
  }
  const { rss, heapUsed } = process.memoryUsage();
  return { rss, heapUsed };
}
