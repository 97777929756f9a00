import { registerAs } from '@nestjs/config';
import { IsInt, Max, Min } from 'class-validator';
import { ToInteger } from './env-transforms';
import { validated } from './env-validation';

export class AppEnv {
  @ToInteger()
  @IsInt()
  @Min(0)
  @Max(65535)
  PORT: number = 3000;

  @ToInteger()
  @IsInt()
  @Min(1024)
  @Max(10 * 1024 * 1024)
  HTTP_BODY_LIMIT_BYTES: number = 16 * 1024;
}

export const appConfig = registerAs('app', () => {
  const env = validated(AppEnv, process.env);
  return {
    port: env.PORT,
    bodyLimitBytes: env.HTTP_BODY_LIMIT_BYTES,
  };
});
