/**
 * `npm run bench`: runs every benchmark in its own process, one after the
 * other, then prints ONE table and writes it to bench/results.json.
 * Not part of `npm test`.
 */
import { execFileSync } from 'node:child_process';
import { rename, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import {
  BENCH_MONGODB_POOL,
  BENCH_MONGODB_URI,
  FERRETDB_POOL_SIZE,
  startBenchDatabase,
} from './support/bench-database';
import { runTypeScriptChild } from './support/child-process';
import { BenchResult, BenchRow, formatTable } from './support/report';

interface Benchmark {
  name: string;
  file: string;
  args?: string[];
  execArgv?: string[];
  /** Longer than the default when its size is fixed and the database sets its pace. */
  timeoutMs?: number;
}

/**
 * Restore keeps 1,000 sessions at either concurrency, and FerretDB slows as
 * the collection grows (about 9 sessions/s at the end, from 70+ in the
 * warm-up): on a busy machine that alone can pass the default timeout.
 */
const RESTORE_TIMEOUT_MS = 300_000;

/**
 * Connected links 1,000 devices against the simulator (about 6 a second on
 * two shared cores), holds them through three keep-alive windows and restores
 * them twice: about 7 minutes, CPU-bound.
 */
const CONNECTED_TIMEOUT_MS = 900_000;

const BENCHMARKS: Benchmark[] = [
  { name: 'api-overhead', file: 'api-overhead.bench.ts' },
  { name: 'churn', file: 'churn.bench.ts' },
  { name: 'event-path', file: 'event-path.bench.ts' },
  {
    name: 'restore c=10',
    file: 'restore.bench.ts',
    args: ['10'],
    timeoutMs: RESTORE_TIMEOUT_MS,
  },
  {
    name: 'restore c=50',
    file: 'restore.bench.ts',
    args: ['50'],
    timeoutMs: RESTORE_TIMEOUT_MS,
  },
  {
    name: 'memory fake',
    file: 'memory.bench.ts',
    args: ['fake'],
    execArgv: ['--expose-gc'],
  },
  {
    name: 'memory baileys',
    file: 'memory.bench.ts',
    args: ['baileys'],
    execArgv: ['--expose-gc'],
  },
  { name: 'messaging', file: 'messaging.bench.ts' },
  {
    name: 'connected',
    file: 'connected.bench.ts',
    timeoutMs: CONNECTED_TIMEOUT_MS,
  },
];

// Default sizing fits the database-bound benchmarks in under 10 minutes (connected adds about 8, at a fixed size);
// full size on a slow database takes longer.
const CHILD_TIMEOUT_MS =
  process.env.BENCH_FULL_SIZE === '1' ? 900_000 : 150_000;

function freeMemory(): string {
  try {
    return execFileSync('free', ['-h'], { encoding: 'utf8' }).trim();
  } catch {
    return `${(os.totalmem() / 1024 ** 3).toFixed(1)} GiB total (free -h unavailable)`;
  }
}

async function main(): Promise<void> {
  const startedAt = new Date();
  const started = process.hrtime.bigint();
  // Other processes on the machine move every figure: the load is recorded at both ends.
  const loadAverageAtStart = os.loadavg();
  const database = await startBenchDatabase();
  const env = {
    [BENCH_MONGODB_URI]: database.uri,
    ...(database.ferretDb
      ? { [BENCH_MONGODB_POOL]: String(FERRETDB_POOL_SIZE) }
      : {}),
  };
  const rows: BenchRow[] = [];
  const details: Record<string, unknown> = {};
  const failures: string[] = [];
  try {
    for (const benchmark of BENCHMARKS) {
      const t0 = process.hrtime.bigint();
      console.log(`\n▶ ${benchmark.name}`);
      try {
        const result = await runTypeScriptChild<BenchResult>(
          join(__dirname, benchmark.file),
          {
            args: benchmark.args,
            execArgv: benchmark.execArgv,
            timeoutMs: Math.max(CHILD_TIMEOUT_MS, benchmark.timeoutMs ?? 0),
            env,
          },
        );
        rows.push(...result.rows);
        details[benchmark.name] = result.details;
      } catch (error) {
        failures.push(
          `${benchmark.name}: ${(error as Error).message.split('\n')[0]}`,
        );
      }
      console.log(
        `  ${benchmark.name} took ${(Number(process.hrtime.bigint() - t0) / 1e9).toFixed(1)} s`,
      );
    }
  } finally {
    await database.stop();
  }
  const totalSeconds = Number(process.hrtime.bigint() - started) / 1e9;
  const machine = {
    nproc: os.availableParallelism(),
    cpu: os.cpus()[0]?.model,
    freeH: freeMemory(),
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
    loadAverageAtStart,
    loadAverageAtEnd: os.loadavg(),
  };
  const table = formatTable(rows);
  const output = {
    startedAt: startedAt.toISOString(),
    totalSeconds,
    database: database.description,
    databasePoolSize: database.ferretDb ? FERRETDB_POOL_SIZE : 'driver default',
    machine,
    failures,
    rows,
    table,
    details,
  };
  const file = join(__dirname, 'results.json');
  await writeFile(`${file}.tmp`, `${JSON.stringify(output, null, 2)}\n`);
  await rename(`${file}.tmp`, file);

  console.log(
    `\nBenchmarks (${database.description}; ${machine.nproc} CPUs, Node ${machine.node})\n`,
  );
  console.log(table);
  console.log(
    `\nTotal ${totalSeconds.toFixed(0)} s. Written to bench/results.json.`,
  );
  if (failures.length > 0) {
    console.error(`\nFailed:\n  ${failures.join('\n  ')}`);
    process.exitCode = 1;
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
});
