import { Logger as NestLogger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { SessionCredentialStore } from './relance/credentials/session-credential-store';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Logger } from 'nestjs-pino';
import { AppModule } from './app.module';
import { configureApp, createFastifyAdapter } from './app.setup';
import { listen } from './boot/listen';
import { listeningLine } from './boot/listening-line';
import { QuietNestBootLogger } from './boot/quiet-nest-logger';
import { shutDownOnSignals } from './boot/shutdown-signals';
import { reportBootFailure } from './boot-failure';
import { appConfig } from './config/app.config';
import {
  DevelopmentJwtSecret,
  loadOrCreateDevelopmentJwtSecret,
  wantsDevelopmentJwtSecret,
} from './config/dev-jwt-secret';
import { assertValidEnvironment } from './config/environment';
import { DatabaseConnection } from './database/database-connection';
import { restrictNewFilePermissions } from './file-permissions';

/** Bounds the clean-up after a failed boot, so the exit never hangs on it. */
const FAILED_BOOT_CLOSE_MS = 5_000;

async function closeAfterFailedBoot(app: NestFastifyApplication) {
  await Promise.race([
    app.close(),
    new Promise((resolve) => setTimeout(resolve, FAILED_BOOT_CLOSE_MS).unref()),
  ]);
}

function warnAboutDevelopmentSecret(secret: DevelopmentJwtSecret): void {
  new NestLogger('Auth').warn(
    `Using a DEVELOPMENT JWT secret ${secret.created ? 'made now in' : 'from'} ${secret.file}: fine on this machine, never in production (set JWT_SECRET or JWT_PUBLIC_KEY there). Get a token with: npm run token -- <userId>`,
  );
}

async function bootstrap(): Promise<void> {
  restrictNewFilePermissions();
  const devSecret = wantsDevelopmentJwtSecret(process.env)
    ? await loadOrCreateDevelopmentJwtSecret()
    : undefined;
  // Every config namespace reads process.env, so the secret goes there.
  if (devSecret) process.env.JWT_SECRET = devSecret.secret;
  assertValidEnvironment(process.env);
  const { host, port, bodyLimitBytes } = appConfig();
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule,
    createFastifyAdapter(bodyLimitBytes),
    // Let boot failures reach reportBootFailure instead of Nest aborting the process.
    // Boot logs wait for the pino logger (JSON in production, pretty otherwise).
    { abortOnError: false, bufferLogs: true },
  );
  app.useLogger(new QuietNestBootLogger(app.get(Logger)));
  if (devSecret) warnAboutDevelopmentSecret(devSecret);
  await configureApp(app);
  shutDownOnSignals(app);
  const database = app.get(DatabaseConnection);
  try {
    const listening = await listen(app, host, port);
    new NestLogger('Boot').log(
      listeningLine({
        host,
        port: listening.port,
        hasConnectPage: app
          .getHttpAdapter()
          .getInstance()
          .hasRoute({ method: 'GET', url: '/connect' }),
        database: database.describe(),
        credentialStore: app.get(SessionCredentialStore).describe(),
      }),
    );
    // The database may come up after the app (compose-style): until then
    // /api/health/live answers 200 and /api/health/ready 503.
    await database.untilConnected();
  } catch (error) {
    await closeAfterFailedBoot(app);
    throw error;
  }
}

bootstrap().catch((error: unknown) => {
  // Exit even when something (e.g. an open database connection) would keep the process alive.
  process.exit(reportBootFailure(error, console.error));
});
