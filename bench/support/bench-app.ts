import { getConnectionToken, getModelToken } from '@nestjs/mongoose';
import { Test, TestingModule, TestingModuleBuilder } from '@nestjs/testing';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Connection, Model } from 'mongoose';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppModule } from '../../src/app.module';
import { createFastifyAdapter } from '../../src/app.setup';
import { appConfig } from '../../src/config/app.config';
import { DatabaseConnection } from '../../src/database/database-connection';
import { RelanceConfig } from '../../src/relance/schemas/relance-config.schema';
import { TEST_JWT_SECRET } from '../../test/support/tokens';

export async function makeBenchSessionsDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'relance-bench-sessions-'));
}

/**
 * The environment every benchmark app gets. Config namespaces read
 * process.env when the module compiles, and each benchmark owns its process,
 * so setting it here is enough.
 */
export function setBenchEnv(env: Record<string, string>): void {
  Object.assign(process.env, {
    NODE_ENV: 'test',
    JWT_SECRET: TEST_JWT_SECRET,
    MONGODB_SERVER_SELECTION_TIMEOUT_MS: '5000',
    ...env,
  });
}

export interface BenchContext {
  /** The app, initialised but not listening: the benchmarks drive services, not HTTP. */
  app: NestFastifyApplication;
  moduleRef: TestingModule;
  connection: Connection;
  model: Model<RelanceConfig>;
  sessionsDir: string;
  close(): Promise<void>;
}

/**
 * AppModule with the given overrides, on a fresh database and sessions
 * folder. It is a full Fastify application (some providers hook into the
 * HTTP adapter) that is initialised but never listens.
 */
export async function createBenchContext(options: {
  mongoUri: string;
  env?: Record<string, string>;
  override?: (builder: TestingModuleBuilder) => TestingModuleBuilder;
}): Promise<BenchContext> {
  const sessionsDir = await makeBenchSessionsDir();
  setBenchEnv({
    MONGODB_URI: options.mongoUri,
    WHATSAPP_SESSIONS_DIR: sessionsDir,
    ...options.env,
  });
  const builder = Test.createTestingModule({ imports: [AppModule] });
  const moduleRef = await (options.override?.(builder) ?? builder).compile();
  const app = moduleRef.createNestApplication<NestFastifyApplication>(
    createFastifyAdapter(appConfig().bodyLimitBytes),
  );
  await app.init();
  const connection = moduleRef.get<Connection>(getConnectionToken());
  const model = moduleRef.get<Model<RelanceConfig>>(
    getModelToken(RelanceConfig.name),
  );
  // Indexes (unique userId) are built before anything is measured. Not with
  // model.init(): mongoose ran it when the connection started opening, before
  // it had a database (bufferCommands is off), and keeps that failure.
  await app.get(DatabaseConnection).whenConnected();
  await model.createIndexes();
  return {
    app,
    moduleRef,
    connection,
    model,
    sessionsDir,
    async close() {
      await connection
        .dropDatabase()
        .catch((error: unknown) =>
          console.error(`Could not drop the bench database: ${String(error)}`),
        );
      await app.close();
      await rm(sessionsDir, { recursive: true, force: true });
    },
  };
}

export function benchUserIds(count: number, prefix = 'bench_user'): string[] {
  return Array.from(
    { length: count },
    (_, i) => `${prefix}_${String(i).padStart(5, '0')}`,
  );
}
