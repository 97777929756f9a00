import { registerAs } from '@nestjs/config';
import { IsInt, Max, Min } from 'class-validator';
import { ToInteger } from './env-transforms';
import { validated } from './env-validation';

export class RateLimitEnv {
  @ToInteger()
  @IsInt({ message: 'RATE_LIMIT_QR_PER_MINUTE must be an integer' })
  @Min(1, { message: 'RATE_LIMIT_QR_PER_MINUTE must be at least 1' })
  @Max(100_000, { message: 'RATE_LIMIT_QR_PER_MINUTE must be at most 100000' })
  RATE_LIMIT_QR_PER_MINUTE: number = 10;

  @ToInteger()
  @IsInt({ message: 'RATE_LIMIT_DISCONNECT_PER_MINUTE must be an integer' })
  @Min(1, { message: 'RATE_LIMIT_DISCONNECT_PER_MINUTE must be at least 1' })
  @Max(100_000, {
    message: 'RATE_LIMIT_DISCONNECT_PER_MINUTE must be at most 100000',
  })
  RATE_LIMIT_DISCONNECT_PER_MINUTE: number = 10;
}

/** Per-user request budgets for the routes that start or tear down WhatsApp sockets. */
export const rateLimitConfig = registerAs('rateLimit', () => {
  const env = validated(RateLimitEnv, process.env);
  return {
    qrPerMinute: env.RATE_LIMIT_QR_PER_MINUTE,
    disconnectPerMinute: env.RATE_LIMIT_DISCONNECT_PER_MINUTE,
  };
});
