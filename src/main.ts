import { NestFactory } from '@nestjs/core';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Logger } from 'nestjs-pino';
import { AppModule } from './app.module';
import { configureApp, createFastifyAdapter } from './app.setup';
import { appConfig } from './config/app.config';
import { databaseConfig } from './config/database.config';
import { assertValidEnvironment } from './config/environment';
import { ensureEmbeddedMongoBinary } from './database/embedded-mongo.service';
import { reportBootFailure } from './boot-failure';
import { restrictNewFilePermissions } from './file-permissions';

async function bootstrap(): Promise<void> {
  restrictNewFilePermissions();
  assertValidEnvironment(process.env);
  const { port, bodyLimitBytes } = appConfig();
  if (!databaseConfig().uri) await ensureEmbeddedMongoBinary();
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule,
    createFastifyAdapter(bodyLimitBytes),
    // Let boot failures reach reportBootFailure instead of Nest aborting the process.
    // Boot logs wait for the pino logger (JSON in production, pretty otherwise).
    { abortOnError: false, bufferLogs: true },
  );
  app.useLogger(app.get(Logger));
  await configureApp(app);
  app.enableShutdownHooks();
  await app.listen({ port, host: '0.0.0.0' });
}

bootstrap().catch((error: unknown) => {
  // Exit even when something (e.g. an open database connection) would keep the process alive.
  process.exit(reportBootFailure(error, console.error));
});
