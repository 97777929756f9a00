/**
 * The app side of connected.bench.ts, in its own process so the simulator's
 * memory (it runs in the parent) is never counted: AppModule with the
 * production BaileysSocketFactory pointed at the parent's WaSimulator
 * (WHATSAPP_WS_URL), loaded with -r test/support/wa-simulator-trust.preload.ts
 * and --expose-gc. Persistence is stubbed like memory.bench.ts (no database
 * I/O); credentials are real files.
 *
 * Linked credentials are kept in CONNECTED_CREDS_DIR between processes: a
 * process adopts folders from there into its own sessions folder, restores
 * them, and hands them back before it exits. The parent drives it over IPC
 * (see app-rpc.ts): each request { id, command, args } gets { id, ok, result }.
 */
import { mkdir, readdir, rename } from 'node:fs/promises';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { SessionLifecycleService } from '../../src/relance/commands/session-lifecycle.service';
import { RelanceConfigRepository } from '../../src/relance/relance-config.repository';
import { SessionRestoreService } from '../../src/relance/restore/session-restore.service';
import { SessionSupervisor } from '../../src/relance/supervisor/session-supervisor';
import { waitUntil } from '../../test/support/wait';
import type { AppRequest, AppResponse } from './app-rpc';
import { createBenchContext } from './bench-app';
import { benchDatabaseUri } from './bench-database';
import { runBenchProcess } from './bench-process';
import { settledMemory } from './settled-memory';
import { stubRepository } from './stub-repository';

const NEVER_MS = String(2_000_000_000);
const NANOS_PER_MS = 1e6;
/**
 * monitorEventLoopDelay samples with a timer of this period and records the
 * whole period (an idle loop reads about 10 ms): the delay is what exceeds it.
 */
const DELAY_RESOLUTION_MS = 10;

function requireEnv(name: string): string {
  const value = process.env[name];
  if (!value)
    throw new Error(`${name} is not set (connected.bench.ts sets it)`);
  return value;
}

runBenchProcess('connected-app', async () => {
  const credsDir = requireEnv('CONNECTED_CREDS_DIR');
  const context = await createBenchContext({
    mongoUri: benchDatabaseUri('connected'),
    env: {
      WHATSAPP_WS_URL: requireEnv('CONNECTED_SIM_URL'),
      WHATSAPP_RESTORE_CONCURRENCY: process.env.CONNECTED_CONCURRENCY ?? '10',
      WHATSAPP_RESTORE_JITTER_MS: '0',
      WHATSAPP_RESTORE_TIMEOUT_MS: '120000',
      WHATSAPP_QR_WAIT_MS: '30000',
      WHATSAPP_RECONNECT_BASE_MS: NEVER_MS,
      WHATSAPP_RECONNECT_MAX_MS: NEVER_MS,
      MESSAGE_POLL_INTERVAL_MS: '60000',
    },
    override: (builder) =>
      builder
        .overrideProvider(RelanceConfigRepository)
        .useValue(stubRepository()),
  });
  const lifecycle = context.moduleRef.get(SessionLifecycleService);
  const supervisor = context.moduleRef.get(SessionSupervisor);
  const restore = context.moduleRef.get(SessionRestoreService);
  await restore.whenFinished();
  const connected = () =>
    supervisor.liveSessions().filter((s) => s.status === 'connected').length;

  /** Moves up to `count` linked folders from the shared folder into this app's sessions folder. */
  const adopt = async (count: number): Promise<number> => {
    const waiting = (await readdir(credsDir)).sort().slice(0, count);
    for (const userId of waiting) {
      await rename(join(credsDir, userId), join(context.sessionsDir, userId));
    }
    return waiting.length;
  };

  const commands: Record<string, (args: unknown[]) => Promise<unknown>> = {
    qr: async ([userId]) => {
      const outcome = await lifecycle.generateQRCode(String(userId));
      if (outcome.status !== 'awaiting_qr' || !('qr' in outcome)) {
        throw new Error(`no QR for ${String(userId)}: ${outcome.status}`);
      }
      return outcome.qr;
    },
    waitConnected: async ([count, timeoutMs]) => {
      await waitUntil(() => connected() >= Number(count), {
        what: `${String(count)} connected sessions`,
        timeoutMs: Number(timeoutMs),
        intervalMs: 50,
      });
      return connected();
    },
    adopt: ([count]) => adopt(Number(count)),
    /** Restores what this app holds and is not live yet; seconds and the summary. */
    restore: async () => {
      const started = process.hrtime.bigint();
      const summary = await restore.restoreAll();
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      return { seconds, summary, connected: connected() };
    },
    /** Settled RSS and heap, with what lives outside the heap (Buffers and ArrayBuffers). */
    memory: async () => {
      const settled = await settledMemory();
      const { external, arrayBuffers } = process.memoryUsage();
      return { ...settled, external, arrayBuffers };
    },
    /** Event-loop delay over `windowMs` with every session left alone (keep-alives only). */
    loopDelay: async ([windowMs]) => {
      const histogram = monitorEventLoopDelay({
        resolution: DELAY_RESOLUTION_MS,
      });
      histogram.enable();
      await sleep(Number(windowMs));
      histogram.disable();
      const delayMs = (nanos: number) =>
        Math.max(0, nanos / NANOS_PER_MS - DELAY_RESOLUTION_MS);
      return {
        p50Ms: delayMs(histogram.percentile(50)),
        p99Ms: delayMs(histogram.percentile(99)),
        maxMs: delayMs(histogram.max),
        connected: connected(),
      };
    },
    /** Ends every socket (credentials kept) and hands the folders back to the shared folder. */
    release: async () => {
      supervisor.stopAll();
      // Lets the last creds.update saves land before the folders move.
      await sleep(500);
      await mkdir(credsDir, { recursive: true });
      const held = await readdir(context.sessionsDir);
      for (const userId of held) {
        await rename(join(context.sessionsDir, userId), join(credsDir, userId));
      }
      return held.length;
    },
  };

  await new Promise<void>((resolve) => {
    process.on('message', (message: AppRequest) => {
      if (message.command === 'exit') {
        resolve();
        return;
      }
      const handler = commands[message.command];
      const answer = (response: AppResponse) => process.send?.(response);
      if (!handler) {
        answer({
          id: message.id,
          ok: false,
          error: `unknown ${message.command}`,
        });
        return;
      }
      handler(message.args).then(
        (result) => answer({ id: message.id, ok: true, result }),
        (error: unknown) =>
          answer({
            id: message.id,
            ok: false,
            error: error instanceof Error ? error.message : String(error),
          }),
      );
    });
    process.send?.({ id: 0, ok: true, result: 'ready' });
  });
  await context.close();
  return { rows: [], details: {} };
});
