/**
 * Reconnect churn: GET /api/relance/status under load while CHURN_SESSIONS
 * stored sessions reconnect against an edge that closes every connection
 * (transient 428, backoff 100–400 ms), against the same load with no churn,
 * in the same app and run (production settings, see support/api-server.ts).
 * Where a request waits is read from the driver: the time each command waited
 * for a pooled connection, and the time the server took for it.
 */
import type autocannon from 'autocannon';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  CHURN_SESSIONS,
  type Distribution,
  type PhaseReport,
} from './support/api-server';
import { load, startApiServer } from './support/api-server-client';
import { log, runBenchProcess } from './support/bench-process';
import { BenchRow, ratioRow } from './support/report';

const NAME = 'churn';
const CONNECTIONS = 20;
const WARM_UP_SECONDS = 2;
const QUIET_SECONDS = 10;
/** The churn reaches its pace (the restore's first round of starts) before it is measured. */
const CHURN_SETTLE_MS = 5_000;
const CHURN_SECONDS = 20;
const FIND = 'relanceconfigs find';

function summary(result: autocannon.Result) {
  return {
    requestsPerSecond: result.requests.average,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    maxMs: result.latency.max,
    total: result.requests.total,
    failed: result.non2xx + result.errors + result.timeouts,
  };
}

const writesIn = (report: PhaseReport) =>
  Object.entries(report.commands)
    .filter(
      ([kind]) => kind.startsWith('relanceconfigs ') && !kind.startsWith(FIND),
    )
    .reduce((sum, [, count]) => sum + count, 0);

const none: Distribution = { count: 0, p50: 0, p99: 0, max: 0 };

runBenchProcess(NAME, async () => {
  const server = await startApiServer('churn');
  try {
    const url = `http://127.0.0.1:${server.ready.port}/api/relance/status`;
    const headers = { Authorization: `Bearer ${server.ready.token}` };
    const run = (duration: number) =>
      load(url, { headers, connections: CONNECTIONS, duration });
    await run(WARM_UP_SECONDS);
    log(NAME, `no churn: ${CONNECTIONS} connections for ${QUIET_SECONDS} s`);
    const quiet = await server.phase('quiet', () => run(QUIET_SECONDS));
    await server.call({ cmd: 'churn-start' });
    await sleep(CHURN_SETTLE_MS);
    log(
      NAME,
      `churn: ${CHURN_SESSIONS} sessions reconnecting, ${CONNECTIONS} connections for ${CHURN_SECONDS} s`,
    );
    const churn = await server.phase('churn', () => run(CHURN_SECONDS));
    await server.call({ cmd: 'churn-stop' });

    const calm = summary(quiet.result);
    const busy = summary(churn.result);
    if (calm.failed > 0 || busy.failed > 0 || busy.total === 0)
      throw new Error(
        `requests failed: quiet ${JSON.stringify(calm)}, churn ${JSON.stringify(busy)}`,
      );
    const reconnects = churn.report.socketsCreated;
    // The status read goes through the request-read client when the app has one.
    const statusRead = (report: PhaseReport) =>
      report.commandMs[`${FIND} [request reads]`] ??
      report.commandMs[FIND] ??
      none;
    const statusPool = (report: PhaseReport) =>
      report.requestReadsPoolCheckoutMs ?? report.poolCheckoutMs;
    const findQuiet = statusRead(quiet.report);
    const findChurn = statusRead(churn.report);
    const rows: BenchRow[] = [
      ratioRow({
        benchmark: 'Churn',
        figure:
          'GET /api/relance/status p99 under reconnect churn (vs no churn)',
        measured: busy.p99Ms,
        baseline: calm.p99Ms,
        unit: 'ms',
        note: `goal ≤ 3; ${CHURN_SESSIONS} stored sessions, every connection closed (428), backoff 100–400 ms; ${CONNECTIONS} connections, ${QUIET_SECONDS} s quiet then ${CHURN_SECONDS} s churn`,
      }),
      ratioRow({
        benchmark: 'Churn',
        figure: 'GET /api/relance/status req/s under churn (vs no churn)',
        measured: busy.requestsPerSecond,
        baseline: calm.requestsPerSecond,
      }),
      {
        benchmark: 'Churn',
        figure: 'reconnects/s during the churn',
        measured: reconnects / CHURN_SECONDS,
        note: `${reconnects} sockets started`,
      },
      {
        benchmark: 'Churn',
        figure: 'session writes per reconnect (relanceconfigs)',
        measured: reconnects === 0 ? 0 : writesIn(churn.report) / reconnects,
        note: "the close's update stores 'connecting' with the count, so the reconnect's start writes nothing",
      },
      ratioRow({
        benchmark: 'Churn',
        figure:
          "status read's wait for a pooled DB connection p99 (churn vs no churn)",
        measured: statusPool(churn.report).p99,
        baseline: statusPool(quiet.report).p99,
        unit: 'ms',
        note: churn.report.requestReadsPoolCheckoutMs
          ? 'the request-read client’s own pool'
          : 'the one pool the session writes use too',
      }),
      {
        benchmark: 'Churn',
        figure:
          'session writes’ wait for a pooled DB connection p99 under churn',
        measured: churn.report.poolCheckoutMs.p99,
        unit: 'ms',
        note: `the main client, ${churn.report.poolCheckoutMs.count} checkouts (p50 ${churn.report.poolCheckoutMs.p50.toFixed(0)} ms)`,
      },
      ratioRow({
        benchmark: 'Churn',
        figure: 'status findOne server time p99 (churn vs no churn)',
        measured: findChurn.p99,
        baseline: findQuiet.p99,
        unit: 'ms',
        note: "the driver's command duration, after the pool handed a connection",
      }),
    ];
    return {
      rows,
      details: {
        quiet: { load: calm, ...quiet.report },
        churn: { load: busy, ...churn.report },
      },
    };
  } finally {
    await server.stop();
  }
});
