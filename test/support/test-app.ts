import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test, TestingModuleBuilder } from '@nestjs/testing';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppModule } from '../../src/app.module';
import { configureApp, createFastifyAdapter } from '../../src/app.setup';
import { appConfig } from '../../src/config/app.config';
import { DatabaseConnection } from '../../src/database/database-connection';
import { WhatsAppSocketFactory } from '../../src/relance/supervisor/whatsapp-socket';
import { testDatabaseUri } from './test-database';
import { TEST_JWT_SECRET } from './tokens';

export interface TestAppOptions {
  /** Extra environment for this app (config namespaces read it at compile time). */
  env?: Record<string, string>;
  /** Reuse a database (e.g. across a restart); a fresh one is made otherwise. */
  mongoUri?: string;
  /** Reuse a sessions folder (e.g. across a restart); a fresh temp one is made otherwise. */
  sessionsDir?: string;
  /** Sockets for this app (a FakeSocketFactory); the production Baileys factory otherwise. */
  sockets?: WhatsAppSocketFactory;
  override?: (builder: TestingModuleBuilder) => TestingModuleBuilder;
}

export interface TestApp {
  app: NestFastifyApplication;
  mongoUri: string;
  sessionsDir: string;
  /** Closes the app; removes the temp sessions folder unless `keepFiles`. */
  close(options?: { keepFiles?: boolean }): Promise<void>;
}

export async function makeSessionsDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'relance-sessions-'));
}

async function withEnv<T>(
  env: Record<string, string>,
  run: () => Promise<T>,
): Promise<T> {
  const saved = Object.fromEntries(
    Object.keys(env).map((key) => [key, process.env[key]]),
  );
  Object.assign(process.env, env);
  try {
    return await run();
  } finally {
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  }
}

const CONNECT_WAIT_MS = 30_000;

async function connected(
  app: NestFastifyApplication,
  mongoUri: string,
): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new Error(
            `The test app did not connect to ${mongoUri} within ${CONNECT_WAIT_MS} ms`,
          ),
        ),
      CONNECT_WAIT_MS,
    );
  });
  try {
    await Promise.race([app.get(DatabaseConnection).whenConnected(), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** The real app (AppModule, Fastify, pipes, filters, Swagger) on a real database. */
export async function createTestApp(
  options: TestAppOptions = {},
): Promise<TestApp> {
  const mongoUri = options.mongoUri ?? (await testDatabaseUri());
  const sessionsDir = options.sessionsDir ?? (await makeSessionsDir());
  const env = {
    JWT_SECRET: TEST_JWT_SECRET,
    MONGODB_URI: mongoUri,
    WHATSAPP_SESSIONS_DIR: sessionsDir,
    MONGODB_SERVER_SELECTION_TIMEOUT_MS: '2000',
    ...options.env,
  };
  const app = await withEnv(env, async () => {
    let builder = Test.createTestingModule({ imports: [AppModule] });
    if (options.sockets)
      builder = builder
        .overrideProvider(WhatsAppSocketFactory)
        .useValue(options.sockets);
    const moduleRef = await (options.override?.(builder) ?? builder).compile();
    const nestApp = moduleRef.createNestApplication<NestFastifyApplication>(
      createFastifyAdapter(appConfig().bodyLimitBytes),
    );
    await configureApp(nestApp);
    await nestApp.init();
    await nestApp.getHttpAdapter().getInstance().ready();
    // The app connects in the background (it may boot before its database);
    // tests start once it is connected, as they did when boot waited for it.
    await connected(nestApp, mongoUri);
    return nestApp;
  });
  return {
    app,
    mongoUri,
    sessionsDir,
    async close({ keepFiles = false } = {}) {
      await app.close();
      if (!keepFiles && !options.sessionsDir) {
        await rm(sessionsDir, { recursive: true, force: true });
      }
    },
  };
}
