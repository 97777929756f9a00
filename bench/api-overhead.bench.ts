/**
 * API overhead: the real app (AppModule + configureApp, Fastify, a real port)
 * against a bare Fastify route on the same instance that does the same
 * findOne through the same Mongoose model, outside Nest's guards and pipes.
 * autocannon runs in a separate process.
 */
import { getModelToken } from '@nestjs/mongoose';
import { NestFactory } from '@nestjs/core';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import type autocannon from 'autocannon';
import type { Model } from 'mongoose';
import { rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { AppModule } from '../src/app.module';
import { configureApp, createFastifyAdapter } from '../src/app.setup';
import { appConfig } from '../src/config/app.config';
import { RelanceConfig } from '../src/relance/schemas/relance-config.schema';
import { bearer, tokenFor } from '../test/support/tokens';
import { makeBenchSessionsDir, setBenchEnv } from './support/bench-app';
import { benchDatabaseUri } from './support/bench-database';
import { log, runBenchProcess } from './support/bench-process';
import { runTypeScriptChild } from './support/child-process';
import { CommandCounter } from './support/command-counter';
import { BenchRow, ratioRow } from './support/report';

const NAME = 'api-overhead';
const USER_ID = 'bench_api_user';
const CONNECTIONS = 50;
const WARM_UP_SECONDS = 3;
const DURATION_SECONDS = 10;
const BASELINE_PATH = '/bench/baseline-status';
const DRAIN_MS = 3000;

async function load(
  url: string,
  headers: Record<string, string>,
  duration: number,
): Promise<autocannon.Result> {
  return runTypeScriptChild<autocannon.Result>(
    join(__dirname, 'support', 'load-generator.ts'),
    {
      message: { url, headers, connections: CONNECTIONS, duration },
      timeoutMs: (duration + 30) * 1000,
    },
  );
}

function summary(result: autocannon.Result) {
  return {
    requestsPerSecond: result.requests.average,
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    total: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
  };
}

runBenchProcess(NAME, async () => {
  const sessionsDir = await makeBenchSessionsDir();
  setBenchEnv({
    MONGODB_URI: benchDatabaseUri('api', { monitorCommands: true }),
    WHATSAPP_SESSIONS_DIR: sessionsDir,
  });
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule,
    createFastifyAdapter(appConfig().bodyLimitBytes),
    { logger: ['error'] },
  );
  try {
    await configureApp(app);
    const model = app.get<Model<RelanceConfig>>(
      getModelToken(RelanceConfig.name),
    );
    // The baseline: same instance, same model, same query, no Nest in the way.
    app
      .getHttpAdapter()
      .getInstance()
      .get(BASELINE_PATH, async () => {
        const doc = await model.findOne({ userId: USER_ID }).lean().exec();
        return { status: doc?.whatsappStatus ?? 'disconnected', doc };
      });
    await app.listen({ port: 0, host: '127.0.0.1' });
    await model.init();
    await model.create({
      userId: USER_ID,
      whatsappStatus: 'disconnected',
      connectionFailureCount: 1,
      lastConnectionCheck: new Date(),
      lastDisconnectReason: { code: 428, name: 'connectionClosed' },
    });
    const { port } = app.getHttpServer().address() as AddressInfo;
    const base = `http://127.0.0.1:${port}`;
    const auth = bearer(await tokenFor(USER_ID, { expiresIn: '1h' }));
    const serviceUrl = `${base}/api/relance/status`;
    const baselineUrl = `${base}${BASELINE_PATH}`;

    log(NAME, `warming up both routes (${WARM_UP_SECONDS} s each)`);
    await load(serviceUrl, auth, WARM_UP_SECONDS);
    await load(baselineUrl, {}, WARM_UP_SECONDS);
    log(
      NAME,
      `loading ${CONNECTIONS} connections for ${DURATION_SECONDS} s each`,
    );
    const counter = new CommandCounter(model.db.getClient());
    const service = summary(
      await counter.during('service', () =>
        load(serviceUrl, auth, DURATION_SECONDS),
      ),
    );
    const baseline = summary(
      await counter.during('baseline', () =>
        load(baselineUrl, {}, DURATION_SECONDS),
      ),
    );
    // autocannon's total counts answered requests; a few in flight at the end may add a command.
    const perRequest = (phase: string, total: number) =>
      counter.count(phase) / total;
    const failures = (s: typeof service) => s.non2xx + s.errors + s.timeouts;
    if (
      service.total === 0 ||
      failures(service) > 0 ||
      failures(baseline) > 0
    ) {
      throw new Error(
        `requests failed: service ${JSON.stringify(service)}, baseline ${JSON.stringify(baseline)}`,
      );
    }
    const rows: BenchRow[] = [
      ratioRow({
        benchmark: 'API overhead',
        figure: 'GET /api/relance/status req/s (vs bare Fastify route)',
        measured: service.requestsPerSecond,
        baseline: baseline.requestsPerSecond,
        note: `${CONNECTIONS} connections, ${DURATION_SECONDS} s each, same findOne`,
      }),
      ratioRow({
        benchmark: 'API overhead',
        figure: 'latency p50',
        measured: service.p50Ms,
        baseline: baseline.p50Ms,
        unit: 'ms',
      }),
      ratioRow({
        benchmark: 'API overhead',
        figure: 'latency p99',
        measured: service.p99Ms,
        baseline: baseline.p99Ms,
        unit: 'ms',
      }),
      ratioRow({
        benchmark: 'API overhead',
        figure: 'DB round trips per request',
        measured: perRequest('service', service.total),
        baseline: perRequest('baseline', baseline.total),
      }),
      {
        benchmark: 'API overhead',
        figure: 'failed requests (non-2xx, errors, timeouts)',
        measured: failures(service) + failures(baseline),
      },
    ];
    return { rows, details: { service, baseline, connections: CONNECTIONS } };
  } finally {
    // autocannon stops at its deadline with requests still queued on a slow database; let them drain.
    await sleep(DRAIN_MS);
    const connection = app.get<Model<RelanceConfig>>(
      getModelToken(RelanceConfig.name),
    ).db;
    await connection
      .dropDatabase()
      .catch((error: unknown) =>
        console.error(`Could not drop the bench database: ${String(error)}`),
      );
    await app.close();
    await rm(sessionsDir, { recursive: true, force: true });
  }
});
