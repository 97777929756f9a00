import { registerAs } from '@nestjs/config';
import { IsInt, IsIP, Max, Min, ValidateIf } from 'class-validator';
import { ToInteger } from './env-transforms';
import { validated } from './env-validation';

export class AppEnv {
  @ValidateIf((env: AppEnv) => env.HOST !== 'localhost')
  @IsIP(undefined, {
    message:
      'HOST must be an IP address to listen on, or localhost (0.0.0.0: every IPv4 interface, 127.0.0.1: this machine only, :: for IPv6)',
  })
  HOST: string = '0.0.0.0';

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
    host: env.HOST,
    port: env.PORT,
    bodyLimitBytes: env.HTTP_BODY_LIMIT_BYTES,
  };
});
