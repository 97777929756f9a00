import { registerAs } from '@nestjs/config';
import { IsIn } from 'class-validator';
import { validated } from './env-validation';

export const LOG_LEVELS = [
  'fatal',
  'error',
  'warn',
  'info',
  'debug',
  'trace',
  'silent',
] as const;

export type LogLevel = (typeof LOG_LEVELS)[number];

export class LoggingEnv {
  @IsIn(LOG_LEVELS, {
    message: `LOG_LEVEL must be one of: ${LOG_LEVELS.join(', ')}`,
  })
  LOG_LEVEL: LogLevel = 'info';
}

export function loadLoggingConfig(env: NodeJS.ProcessEnv) {
  const parsed = validated(LoggingEnv, env);
  return {
    level:
      env.NODE_ENV === 'test' && !env.LOG_LEVEL ? 'silent' : parsed.LOG_LEVEL,
    /** JSON lines in production (for a log shipper); pino-pretty otherwise. */
    json: env.NODE_ENV === 'production',
  };
}

export const loggingConfig = registerAs('logging', () =>
  loadLoggingConfig(process.env),
);

export type LoggingConfig = ReturnType<typeof loadLoggingConfig>;
