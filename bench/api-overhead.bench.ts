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
const DURATION_SECONDS = 6;
/** Lets the asynchronous log destination write what the last requests logged. */
const LOG_DRAIN_MS = 300;

interface Summary {
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  total: number;
  failed: number;
}

function summary(result: autocannon.Result): Summary {
  return {
    requestsPerSecond: result.requests.average,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    total: result.requests.total,
    failed: result.non2xx + result.errors + result.timeouts,
  };
}

async function warmUp(url: string, headers: Record<string, string> = {}) {
  await load(url, {
    headers,
    connections: CONNECTIONS,
    duration: WARM_UP_SECONDS,
  });
}

async function measured(
  url: string,
  headers: Record<string, string> = {},
): Promise<Summary> {
  return summary(
    await load(url, {
      headers,
      connections: CONNECTIONS,
      duration: DURATION_SECONDS,
    }),
  );
}

async function measure(
  url: string,
  headers: Record<string, string> = {},
): Promise<Summary> {
  await warmUp(url, headers);
  return measured(url, headers);
}

function assertAnswered(label: string, result: Summary): void {
  if (result.total === 0 || result.failed > 0)
    throw new Error(`${label}: requests failed: ${JSON.stringify(result)}`);
}

runBenchProcess(NAME, async () => {
  const details: Record<string, unknown> = { connections: CONNECTIONS };
  const rows: BenchRow[] = [];
  const loadNote = `${CONNECTIONS} connections, ${DURATION_SECONDS} s each after ${WARM_UP_SECONDS} s warm-up`;

  const memory = await startApiServer('memory');
  try {
    const app = `http://127.0.0.1:${memory.ready.port}`;
    const bare = `http://127.0.0.1:${memory.ready.barePort}`;
    const auth = { Authorization: `Bearer ${memory.ready.token}` };
    log(
      NAME,
      'health/live vs a bare route; status (in memory) vs a bare route',
    );
    const live = await measure(`${app}/api/health/live`);
    const bareLive = await measure(`${bare}/live`);
    await warmUp(`${app}/api/relance/status`, auth);
    await sleep(LOG_DRAIN_MS);
    const logBefore = memory.logLines;
    const status = await measured(`${app}/api/relance/status`, auth);
    await sleep(LOG_DRAIN_MS);
    const logLinesPerStatus = (memory.logLines - logBefore) / status.total;
    const bareStatus = await measure(`${bare}/status`);
    for (const [label, result] of Object.entries({
      live,
      bareLive,
      status,
      bareStatus,
    }))
      assertAnswered(label, result);
    details.memory = { live, bareLive, status, bareStatus };
    rows.push(
      ratioRow({
        benchmark: 'API overhead',
        figure: 'GET /api/health/live req/s (vs bare Fastify route, same Node)',
        measured: live.requestsPerSecond,
        baseline: bareLive.requestsPerSecond,
        note: `goal ≥ 0.5; production settings; ${loadNote}`,
      }),
      ratioRow({
        benchmark: 'API overhead',
        figure: 'GET /api/health/live latency p99',
        measured: live.p99Ms,
        baseline: bareLive.p99Ms,
        unit: 'ms',
      }),
      ratioRow({
        benchmark: 'API overhead',
        figure:
          'GET /api/relance/status, in-memory repository, req/s (vs bare route, same lookup)',
        measured: status.requestsPerSecond,
        baseline: bareStatus.requestsPerSecond,
        note: 'goal ≥ 0.4; valid token, InMemoryRelanceConfigRepository (the specs’ override)',
      }),
      ratioRow({
        benchmark: 'API overhead',
        figure: 'GET /api/relance/status, in-memory repository, latency p99',
        measured: status.p99Ms,
        baseline: bareStatus.p99Ms,
        unit: 'ms',
        note: 'goal ≤ 2',
      }),
      {
        benchmark: 'API overhead',
        figure: 'access-log lines written per GET /api/relance/status',
        measured: logLinesPerStatus,
        note: 'JSON on stdout (a pipe the bench drains); shows the log is on',
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
    await warmUp(`${app}/api/relance/status`, auth);
    const service = await database.phase('service', () =>
      measured(`${app}/api/relance/status`, auth),
    );
    await warmUp(`${app}${BASELINE_STATUS_PATH}`);
    const baseline = await database.phase('baseline', () =>
      measured(`${app}${BASELINE_STATUS_PATH}`),
    );
    assertAnswered('status (database)', service.result);
    assertAnswered('baseline findOne', baseline.result);
    details.database = { service, baseline };
    // autocannon's total counts answered requests; a few in flight at the end may add a command.
    const perRequest = (phase: typeof service) =>
      Object.values(phase.report.commands).reduce((a, b) => a + b, 0) /
      phase.result.total;
    rows.push(
      ratioRow({
        benchmark: 'API overhead',
        figure:
          'GET /api/relance/status, database, req/s (vs bare route with the same findOne)',
        measured: service.result.requestsPerSecond,
        baseline: baseline.result.requestsPerSecond,
        note: `goal ≥ 0.85; ${loadNote}`,
      }),
      ratioRow({
        benchmark: 'API overhead',
        figure: 'GET /api/relance/status, database, latency p50',
        measured: service.result.p50Ms,
        baseline: baseline.result.p50Ms,
        unit: 'ms',
      }),
      ratioRow({
        benchmark: 'API overhead',
        figure: 'GET /api/relance/status, database, latency p99',
        measured: service.result.p99Ms,
        baseline: baseline.result.p99Ms,
        unit: 'ms',
      }),
      ratioRow({
        benchmark: 'API overhead',
        figure: 'DB round trips per request',
        measured: perRequest(service),
        baseline: perRequest(baseline),
      }),
    );
  } finally {
    await database.stop();
  }
  return { rows, details };
});
