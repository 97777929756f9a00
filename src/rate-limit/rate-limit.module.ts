import { Module } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { ThrottlerModule } from '@nestjs/throttler';
import { rateLimitConfig } from '../config/rate-limit.config';

export const RATE_LIMIT_NAMES = ['qr', 'disconnect'] as const;
export type RateLimitName = (typeof RATE_LIMIT_NAMES)[number];

const ONE_MINUTE_MS = 60_000;

/**
 * Per-user budgets for the routes that open or tear down WhatsApp sockets.
 * In-memory counters: with several replicas each one counts on its own.
 */
@Module({
  imports: [
    ThrottlerModule.forRootAsync({
      inject: [rateLimitConfig.KEY],
      useFactory: (config: ConfigType<typeof rateLimitConfig>) => ({
        // Headers are set by UserThrottlerGuard (the standard Retry-After only).
        setHeaders: false,
        throttlers: [
          {
            name: 'qr' satisfies RateLimitName,
            ttl: ONE_MINUTE_MS,
            limit: config.qrPerMinute,
            // 0: a sliding one-minute window, no extra penalty once over the limit.
            blockDuration: 0,
          },
          {
            name: 'disconnect' satisfies RateLimitName,
            ttl: ONE_MINUTE_MS,
            limit: config.disconnectPerMinute,
            blockDuration: 0,
          },
        ],
      }),
    }),
  ],
})
export class RateLimitModule {}
