/**
 * API overhead: what the API adds to a request, with production settings
 * (NODE_ENV=production: JSON access log, security headers, HTTP metrics; see
 * support/api-server.ts). autocannon runs in a separate process.
 *
 * 1. GET /api/health/live against a bare Fastify route returning a small JSON
 *    from another Fastify server in the same Node process.
 * 2. GET /api/relance/status with a valid token, the repository replaced by
 *    the in-memory one the specs use, against a bare Fastify route doing the
 *    same in-memory lookup.
 * 3. GET /api/relance/status against the real database, against the bare
 *    route on the app's instance doing the same findOne through the same
 *    Mongoose model (the bench's baseline since it was written).
 */
import type autocannon from 'autocannon';
import { setTimeout as sleep } from 'node:timers/promises';
import { log, runBenchProcess } from './support/bench-process';
import { load, startApiServer } from './support/api-server-client';
import { BASELINE_STATUS_PATH } from './support/api-server';
import { BenchRow, ratioRow } from './support/report';

const NAME = 'api-overhead';
const CONNECTIONS = 50;
const WARM_UP_SECONDS = 2;
/** Each side loads ROUNDS times, alternating which goes first, so a drift in the machine's load hits both. */
const ROUNDS = 3;
const ROUND_SECONDS = 3;
/** Lets the asynchronous log destination write what the last requests logged. */
const LOG_DRAIN_MS = 300;

interface Summary {
  requestsPerSecond: number;
  /** Median over the rounds. */
  p50Ms: number;
  /** Median over the rounds. */
  p99Ms: number;
  total: number;
  failed: number;
  rounds: Array<{ requestsPerSecond: number; p50Ms: number; p99Ms: number }>;
}

interface Target {
  url: string;
  headers?: Record<string, string>;
}

type Wrap = <T>(
  side: 'service' | 'baseline',
  round: number,
  run: () => Promise<T>,
) => Promise<T>;

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? sorted[middle]
    : (sorted[middle - 1] + sorted[middle]) / 2;
};

function summarise(results: autocannon.Result[]): Summary {
  const total = results.reduce((sum, r) => sum + r.requests.total, 0);
  const seconds = results.reduce((sum, r) => sum + r.duration, 0);
  return {
    requestsPerSecond: total / seconds,
    p50Ms: median(results.map((r) => r.latency.p50)),
    p99Ms: median(results.map((r) => r.latency.p99)),
    total,
    failed: results.reduce(
      (sum, r) => sum + r.non2xx + r.errors + r.timeouts,
      0,
    ),
    rounds: results.map((r) => ({
      requestsPerSecond: r.requests.average,
      p50Ms: r.latency.p50,
      p99Ms: r.latency.p99,
    })),
  };
}

const run = (target: Target, duration: number) =>
  load(target.url, {
    headers: target.headers,
    connections: CONNECTIONS,
    duration,
  });

/** Warms both sides up, then loads them in alternating rounds. */
async function compare(
  service: Target,
  baseline: Target,
  wrap: Wrap = (_side, _round, work) => work(),
): Promise<{ service: Summary; baseline: Summary }> {
  await run(service, WARM_UP_SECONDS);
  await run(baseline, WARM_UP_SECONDS);
  const results = {
    service: [] as autocannon.Result[],
    baseline: [] as autocannon.Result[],
  };
  for (let round = 0; round < ROUNDS; round += 1) {
    const order =
      round % 2 === 0
        ? (['service', 'baseline'] as const)
        : (['baseline', 'service'] as const);
    for (const side of order) {
      const target = side === 'service' ? service : baseline;
      results[side].push(
        await wrap(side, round, () => run(target, ROUND_SECONDS)),
      );
    }
  }
  const summary = {
    service: summarise(results.service),
    baseline: summarise(results.baseline),
  };
  assertAnswered(service.url, summary.service);
  assertAnswered(baseline.url, summary.baseline);
  return summary;
}

function assertAnswered(label: string, result: Summary): void {
  if (result.total === 0 || result.failed > 0)
    throw new Error(`${label}: requests failed: ${JSON.stringify(result)}`);
}

runBenchProcess(NAME, async () => {
  const details: Record<string, unknown> = { connections: CONNECTIONS };
  const rows: BenchRow[] = [];
  const loadNote = `${CONNECTIONS} connections, ${ROUNDS}×${ROUND_SECONDS} s each side, alternating, after ${WARM_UP_SECONDS} s warm-ups`;

  const memory = await startApiServer('memory');
  try {
    const app = `http://127.0.0.1:${memory.ready.port}`;
    const bare = `http://127.0.0.1:${memory.ready.barePort}`;
    const auth = { Authorization: `Bearer ${memory.ready.token}` };
    log(
      NAME,
      'health/live vs a bare route; status (in memory) vs a bare route',
    );
    const live = await compare(
      { url: `${app}/api/health/live` },
      { url: `${bare}/live` },
    );
    let logLines = 0;
    const status = await compare(
      { url: `${app}/api/relance/status`, headers: auth },
      { url: `${bare}/status` },
      async (side, _round, work) => {
        if (side === 'baseline') return work();
        const before = memory.logLines;
        const result = await work();
        await sleep(LOG_DRAIN_MS);
        logLines += memory.logLines - before;
        return result;
      },
    );
    details.memory = { live, status };
    rows.push(
      ratioRow({
        benchmark: 'API overhead',
        figure: 'GET /api/health/live req/s (vs bare Fastify route, same Node)',
        measured: live.service.requestsPerSecond,
        baseline: live.baseline.requestsPerSecond,
        note: `goal ≥ 0.5; production settings; ${loadNote}`,
      }),
      ratioRow({
        benchmark: 'API overhead',
        figure: 'GET /api/health/live latency p99',
        measured: live.service.p99Ms,
        baseline: live.baseline.p99Ms,
        unit: 'ms',
      }),
      ratioRow({
        benchmark: 'API overhead',
        figure:
          'GET /api/relance/status, in-memory repository, req/s (vs bare route, same lookup)',
        measured: status.service.requestsPerSecond,
        baseline: status.baseline.requestsPerSecond,
        note: 'goal ≥ 0.4; valid token, InMemoryRelanceConfigRepository (the specs’ override)',
      }),
      ratioRow({
        benchmark: 'API overhead',
        figure: 'GET /api/relance/status, in-memory repository, latency p99',
        measured: status.service.p99Ms,
        baseline: status.baseline.p99Ms,
        unit: 'ms',
        note: 'goal ≤ 2',
      }),
      {
        benchmark: 'API overhead',
        figure: 'access-log lines written per GET /api/relance/status',
        measured: logLines / status.service.total,
        note: 'JSON on stdout (a pipe the bench drains): the log is on',
      },
    );
  } finally {
    await memory.stop();
  }

  const database = await startApiServer('database');
  try {
    const app = `http://127.0.0.1:${database.ready.port}`;
    const auth = { Authorization: `Bearer ${database.ready.token}` };
    log(NAME, 'status (database) vs the bare findOne route');
    const commands = { service: 0, baseline: 0 };
    const { service, baseline } = await compare(
      { url: `${app}/api/relance/status`, headers: auth },
      { url: `${app}${BASELINE_STATUS_PATH}` },
      async (side, round, work) => {
        // One phase name per round: the counter adds up commands by name.
        const { result, report } = await database.phase(
          `${side}-${round}`,
          work,
        );
        commands[side] += Object.values(report.commands).reduce(
          (a, b) => a + b,
          0,
        );
        return result;
      },
    );
    details.database = { service, baseline, commands };
    rows.push(
      ratioRow({
        benchmark: 'API overhead',
        figure:
          'GET /api/relance/status, database, req/s (vs bare route with the same findOne)',
        measured: service.requestsPerSecond,
        baseline: baseline.requestsPerSecond,
        note: `goal ≥ 0.85; ${loadNote}`,
      }),
      ratioRow({
        benchmark: 'API overhead',
        figure: 'GET /api/relance/status, database, latency p50',
        measured: service.p50Ms,
        baseline: baseline.p50Ms,
        unit: 'ms',
      }),
      ratioRow({
        benchmark: 'API overhead',
        figure: 'GET /api/relance/status, database, latency p99',
        measured: service.p99Ms,
        baseline: baseline.p99Ms,
        unit: 'ms',
      }),
      // autocannon's total counts answered requests; a few in flight at the end may add a command.
      ratioRow({
        benchmark: 'API overhead',
        figure: 'DB round trips per request',
        measured: commands.service / service.total,
        baseline: commands.baseline / baseline.total,
      }),
    );
  } finally {
    await database.stop();
  }
  return { rows, details };
});
