import { Module } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { LoggerModule } from 'nestjs-pino';
import { loggingConfig } from '../config/logging.config';
import { AccessLogHook } from './access-log';
import { LibsignalConsoleGuard } from './libsignal-console';
import { buildLogDestination, buildPinoOptions } from './pino-options';

/**
 * nestjs-pino provides the app logger main.ts installs (a Nest LoggerService
 * over one pino logger). Its pino-http middleware is not mounted
 * (`forRoutes: []`): request lines come from a Fastify hook instead
 * (AccessLogHook), which costs no per-request child logger, and the request
 * id reaches every line through request-context.ts.
 */
@Module({
  imports: [
    LoggerModule.forRootAsync({
      inject: [loggingConfig.KEY],
      useFactory: (config: ConfigType<typeof loggingConfig>) => {
        const destination = buildLogDestination(config);
        const options = buildPinoOptions(config);
        return {
          pinoHttp: destination ? [options, destination] : options,
          forRoutes: [],
        };
      },
    }),
  ],
  providers: [AccessLogHook, LibsignalConsoleGuard],
})
export class LoggingModule {}
