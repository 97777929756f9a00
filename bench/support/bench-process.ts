import { Logger } from '@nestjs/common';
import { BenchResult } from './report';

/**
 * Every benchmark runs in its own Node process (fresh heap, its own event
 * loop): it sends its result to the runner over IPC and exits.
 */
export function runBenchProcess(
  name: string,
  run: (args: string[]) => Promise<BenchResult>,
): void {
  // The service logs every close and open; at thousands of events a second
  // that would measure the terminal. Errors still show.
  Logger.overrideLogger(['error']);
  run(process.argv.slice(2))
    .then(
      (result) => send({ ok: true, result }),
      (error: unknown) => {
        const message =
          error instanceof Error
            ? (error.stack ?? error.message)
            : String(error);
        console.error(`[bench:${name}] failed: ${message}`);
        return send({ ok: false, error: message });
      },
    )
    .finally(() => process.exit(process.exitCode ?? 0));
}

function send(message: unknown): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send) {
      console.log(JSON.stringify(message, null, 2));
      resolve();
      return;
    }
    process.send(message, () => resolve());
  });
}

export function log(name: string, message: string): void {
  console.log(`[bench:${name}] ${message}`);
}

/** Runs `work` over `items` with at most `concurrency` in flight. */
export async function forEachBounded<T>(
  items: readonly T[],
  concurrency: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const lanes = Array.from(
    { length: Math.min(concurrency, items.length) },
    async () => {
      while (next < items.length) {
        const item = items[next];
        next += 1;
        await work(item);
      }
    },
  );
  await Promise.all(lanes);
}

export function elapsedSeconds(startNs: bigint): number {
  return Number(process.hrtime.bigint() - startNs) / 1e9;
}
