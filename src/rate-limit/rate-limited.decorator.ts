import { applyDecorators, UseGuards } from '@nestjs/common';
import { SkipThrottle } from '@nestjs/throttler';
import { ApiErrorResponse } from '../common/api-error-response.decorator';
import { RATE_LIMIT_NAMES, RateLimitName } from './rate-limit.module';
import {
  RATE_LIMITED_MESSAGE,
  UserThrottlerGuard,
} from './user-throttler.guard';

/**
 * Limits a route with the named per-user budget (see rate-limit.config.ts).
 * Only this route's budget applies: the other named throttlers are skipped.
 */
export function RateLimited(name: RateLimitName): MethodDecorator {
  const others = RATE_LIMIT_NAMES.filter((other) => other !== name);
  return applyDecorators(
    SkipThrottle(Object.fromEntries(others.map((other) => [other, true]))),
    UseGuards(UserThrottlerGuard),
    ApiErrorResponse(429, {
      description:
        'Per-user rate limit reached; retry after the number of seconds in Retry-After',
      message: RATE_LIMITED_MESSAGE,
      headers: {
        'Retry-After': {
          description: 'Seconds to wait before retrying',
          schema: { type: 'integer', example: 42 },
        },
      },
    }),
  );
}
