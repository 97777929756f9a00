import { Module } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { LoggerModule } from 'nestjs-pino';
import { loggingConfig } from '../config/logging.config';
import { buildPinoHttpOptions } from './pino-options';

/** nestjs-pino: request logs (with the request id) and the app logger main.ts installs. */
@Module({
  imports: [
    LoggerModule.forRootAsync({
      inject: [loggingConfig.KEY],
      useFactory: (config: ConfigType<typeof loggingConfig>) => ({
        pinoHttp: buildPinoHttpOptions(config),
      }),
    }),
  ],
})
export class LoggingModule {}
