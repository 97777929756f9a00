import { NestFactory } from '@nestjs/core';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppModule } from './app.module';
import { configureApp, createFastifyAdapter } from './app.setup';
import { appConfig } from './config/app.config';
import { assertValidEnvironment } from './config/environment';
import { reportBootFailure } from './boot-failure';

async function bootstrap(): Promise<void> {
  assertValidEnvironment(process.env);
  const { port, bodyLimitBytes } = appConfig();
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule,
    createFastifyAdapter(bodyLimitBytes),
    // Let boot failures reach reportBootFailure instead of Nest aborting the process.
    { abortOnError: false },
  );
  await configureApp(app);
  app.enableShutdownHooks();
  await app.listen({ port, host: '0.0.0.0' });
}

bootstrap().catch((error: unknown) => {
  process.exitCode = reportBootFailure(error, console.error);
});
