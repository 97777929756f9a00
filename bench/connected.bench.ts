/**
 * Logged-in sessions against the WhatsApp-edge simulator (test/support/simulator):
 * the production BaileysSocketFactory in an app process of its own (see
 * support/connected-app.ts), the simulator in this one, so the app's
 * measured memory holds the sessions and nothing of the edge.
 *
 * 1. Link: every device is linked once, for real (QR from the app, the
 *    simulated phone scans it, the 515 restart, login), then the app process
 *    ends and keeps the credentials on disk.
 * 2. Memory and event loop: a fresh app restores the stored sessions in steps
 *    (argv sizes, default 100, 300, 1,000); at each size, RSS and heap above
 *    the idle process after forced GCs, then the event loop's delay
 *    (monitorEventLoopDelay) over a window of keep-alives only.
 * 3. Restore rate: a fresh app per WHATSAPP_RESTORE_CONCURRENCY (10, 50)
 *    restores every stored session; compared with concurrency ÷ the connect
 *    time of one session restored alone in the same process.
 * Persistence is stubbed in the app (no database I/O), as in memory.bench.ts:
 * the database-bound restore is restore.bench.ts.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WaSimulator } from '../test/support/wa-simulator';
import { startAppChild, type AppChild } from './support/app-rpc';
import { benchUserIds } from './support/bench-app';
import {
  elapsedSeconds,
  forEachBounded,
  log,
  runBenchProcess,
} from './support/bench-process';
import { BenchRow, ratioRow } from './support/report';
import type { Memory } from './support/settled-memory';

const NAME = 'connected';
const DEFAULT_SIZES = [100, 300, 1000];
/**
 * Baileys pings every 30 s (its default keepAliveIntervalMs, which the factory
 * keeps): 30 s sees each session ping once. The issue asks for 60 s; 30 s per
 * size keeps this bench under 8 minutes (BENCH_CONNECTED_WINDOW_MS=60000 for
 * the full window).
 */
const DEFAULT_WINDOW_MS = 30_000;
const LINK_CONCURRENCY = 10;
const RESTORE_CONCURRENCIES = [10, 50];
/** Sessions restored one at a time to time a single connect (the median is kept). */
const SINGLE_CONNECTS = 3;
const GOAL_MIB_PER_SESSION = 2;
const MIB = 1024 * 1024;
const QUIET_MS = 500;
const SETTLE_MS = 20_000;

interface RestoreAnswer {
  seconds: number;
  summary: { restored: number; needsQr: number; failed: number };
  connected: number;
}

interface AppMemory extends Memory {
  external: number;
  arrayBuffers: number;
}

interface LoopDelay {
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  connected: number;
}

const phoneOf = (index: number): string =>
  `3370${String(index).padStart(7, '0')}`;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

async function restoreAll(
  app: AppChild,
  expected: number,
): Promise<RestoreAnswer> {
  const answer = await app.call<RestoreAnswer>('restore', [], 600_000);
  if (answer.summary.restored !== expected || answer.connected < expected) {
    throw new Error(
      `restored ${answer.summary.restored}/${expected} (${answer.connected} connected): ${JSON.stringify(answer.summary)}`,
    );
  }
  return answer;
}

runBenchProcess(NAME, async (args) => {
  const sizes = args.length > 0 ? args.map(Number) : DEFAULT_SIZES;
  const windowMs = Number(
    process.env.BENCH_CONNECTED_WINDOW_MS ?? DEFAULT_WINDOW_MS,
  );
  const total = Math.max(...sizes);
  const sim = await WaSimulator.start();
  const credsDir = await mkdtemp(join(tmpdir(), 'relance-bench-linked-'));
  const env = {
    CONNECTED_SIM_URL: sim.url,
    CONNECTED_CREDS_DIR: credsDir,
    TEST_SIM_ROOT_PUBLIC_KEY: WaSimulator.rootPublicKey.toString('hex'),
  };
  const quiet = () => sim.waitForQuiet(QUIET_MS, 120_000);
  /**
   * Lets the restored sessions' post-open queries finish before measuring. At
   * hundreds of sessions the keep-alives (one per session every 30 s) may
   * never leave 500 ms of silence: then the measure goes ahead after 20 s.
   */
  const settle = () =>
    sim.waitForQuiet(QUIET_MS, SETTLE_MS).catch(() => {
      log(
        NAME,
        `the simulator was not quiet for ${QUIET_MS} ms within ${SETTLE_MS} ms`,
      );
    });
  try {
    // 1. Link every device once.
    const linker = await startAppChild(env);
    const users = benchUserIds(total, 'linked');
    const linkStarted = process.hrtime.bigint();
    try {
      await forEachBounded(
        users.map((userId, index) => ({ userId, phone: phoneOf(index) })),
        LINK_CONCURRENCY,
        async ({ userId, phone }) => {
          const qr = await linker.call<string>('qr', [userId]);
          await sim.scan(qr, { phone });
        },
      );
      await linker.call('waitConnected', [total, 300_000], 310_000);
      await settle();
    } finally {
      await linker.call('release').catch(() => undefined);
      await linker.exit();
    }
    const linkSeconds = elapsedSeconds(linkStarted);
    log(NAME, `linked ${total} devices in ${linkSeconds.toFixed(1)} s`);

    // 2. Memory and event-loop delay at each size, restoring in steps.
    const steps: {
      size: number;
      memory: AppMemory;
      delay: LoopDelay;
      restoreSeconds: number;
    }[] = [];
    const app = await startAppChild({ ...env, CONNECTED_CONCURRENCY: '50' });
    let idle: AppMemory;
    try {
      idle = await app.call<AppMemory>('memory');
      let held = 0;
      for (const size of [...sizes].sort((a, b) => a - b)) {
        held += await app.call<number>('adopt', [size - held]);
        const restored = await restoreAll(app, held);
        await settle();
        const memory = await app.call<AppMemory>('memory');
        const delay = await app.call<LoopDelay>(
          'loopDelay',
          [windowMs],
          windowMs + 60_000,
        );
        if (delay.connected !== size) {
          throw new Error(
            `${delay.connected}/${size} sessions stayed connected through the window`,
          );
        }
        steps.push({
          size,
          memory,
          delay,
          restoreSeconds: restored.seconds,
        });
        log(
          NAME,
          `${size} connected: ${((memory.rss - idle.rss) / size / MIB).toFixed(3)} MiB RSS, ${((memory.heapUsed - idle.heapUsed) / size / MIB).toFixed(3)} MiB heap each; loop p99 ${delay.p99Ms.toFixed(1)} ms`,
        );
      }
    } finally {
      await app.call('release').catch(() => undefined);
      await app.exit();
    }

    // 3. Restore rate at each concurrency.
    const restores: {
      concurrency: number;
      sessions: number;
      seconds: number;
      connectMs: number;
      singleConnectsMs: number[];
    }[] = [];
    for (const concurrency of RESTORE_CONCURRENCIES) {
      const restorer = await startAppChild({
        ...env,
        CONNECTED_CONCURRENCY: String(concurrency),
      });
      try {
        const singleConnectsMs: number[] = [];
        for (let i = 1; i <= SINGLE_CONNECTS; i += 1) {
          await restorer.call('adopt', [1]);
          singleConnectsMs.push((await restoreAll(restorer, i)).seconds * 1000);
        }
        await quiet();
        const sessions =
          (await restorer.call<number>('adopt', [total])) + SINGLE_CONNECTS;
        const { seconds } = await restoreAll(restorer, sessions);
        // The single connects were already live: restoreAll counted them at once.
        restores.push({
          concurrency,
          sessions: sessions - SINGLE_CONNECTS,
          seconds,
          connectMs: median(singleConnectsMs),
          singleConnectsMs,
        });
      } finally {
        await restorer.call('release').catch(() => undefined);
        await restorer.exit();
      }
    }

    const smallest = steps[0];
    const rows: BenchRow[] = [];
    for (const [index, step] of steps.entries()) {
      const previous = index > 0 ? steps[index - 1] : undefined;
      const marginal = previous
        ? `; ${((step.memory.rss - previous.memory.rss) / (step.size - previous.size) / MIB).toFixed(2)} MiB each from ${previous.size} to ${step.size}`
        : '';
      const external = (step.memory.external - idle.external) / step.size / MIB;
      rows.push(
        ratioRow({
          benchmark: 'Connected',
          figure: `RSS per logged-in Baileys session at ${step.size.toLocaleString('en-US')}, above idle (vs the 2 MiB goal)`,
          measured: (step.memory.rss - idle.rss) / step.size / MIB,
          baseline: GOAL_MIB_PER_SESSION,
          unit: 'MiB',
          note: `idle RSS ${(idle.rss / MIB).toFixed(0)} MiB, ${(step.memory.rss / MIB).toFixed(0)} MiB loaded${marginal}`,
        }),
        ratioRow({
          benchmark: 'Connected',
          figure: `heap per logged-in Baileys session at ${step.size.toLocaleString('en-US')}, above idle (vs the 2 MiB goal)`,
          measured: (step.memory.heapUsed - idle.heapUsed) / step.size / MIB,
          baseline: GOAL_MIB_PER_SESSION,
          unit: 'MiB',
          note: `idle heap ${(idle.heapUsed / MIB).toFixed(0)} MiB; off-heap Buffers ${external.toFixed(3)} MiB each`,
        }),
        ratioRow({
          benchmark: 'Connected',
          figure: `event-loop delay p99 at ${step.size.toLocaleString('en-US')} sessions (vs at ${smallest.size})`,
          measured: step.delay.p99Ms,
          baseline: smallest.delay.p99Ms,
          unit: 'ms',
          note: `${windowMs / 1000} s of keep-alives only; p50 ${step.delay.p50Ms.toFixed(1)} ms, max ${step.delay.maxMs.toFixed(0)} ms`,
        }),
      );
    }
    for (const restore of restores) {
      rows.push(
        ratioRow({
          benchmark: 'Connected',
          figure: `logged-in sessions restored/s at concurrency ${restore.concurrency} (vs ideal concurrency/connect time)`,
          measured: restore.sessions / restore.seconds,
          baseline: restore.concurrency / (restore.connectMs / 1000),
          note: `${restore.sessions} sessions in ${restore.seconds.toFixed(1)} s; one connect alone ${restore.connectMs.toFixed(0)} ms (median of ${SINGLE_CONNECTS})`,
        }),
      );
    }
    rows.push({
      benchmark: 'Connected',
      figure: 'devices linked/s (QR, scan, 515 restart, login)',
      measured: total / linkSeconds,
      note: `${total} devices, ${LINK_CONCURRENCY} at a time; done once, then restored from stored credentials`,
    });
    return {
      rows,
      details: {
        sizes,
        windowMs,
        linkSeconds,
        idle,
        steps,
        restores,
      },
    };
  } finally {
    await sim.close();
    await rm(credsDir, { recursive: true, force: true });
  }
});
