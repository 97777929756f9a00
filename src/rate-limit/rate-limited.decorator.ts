import { applyDecorators, UseGuards } from '@nestjs/common';
import { SkipThrottle } from '@nestjs/throttler';
import { ApiTooManyRequestsResponse } from '@nestjs/swagger';
import { ErrorResponseDto } from '../common/error-response.dto';
import { RATE_LIMIT_NAMES, RateLimitName } from './rate-limit.module';
import { UserThrottlerGuard } from './user-throttler.guard';

/**
 * Limits a route with the named per-user budget (see rate-limit.config.ts).
 * Only this route's budget applies: the other named throttlers are skipped.
 */
export function RateLimited(name: RateLimitName): MethodDecorator {
  const others = RATE_LIMIT_NAMES.filter((other) => other !== name);
  return applyDecorators(
    SkipThrottle(Object.fromEntries(others.map((other) => [other, true]))),
    UseGuards(UserThrottlerGuard),
    ApiTooManyRequestsResponse({
      description:
        'Per-user rate limit reached; retry after the number of seconds in Retry-After',
      type: ErrorResponseDto,
      headers: {
        'Retry-After': {
          description: 'Seconds to wait before retrying',
          schema: { type: 'integer', example: 42 },
        },
      },
    }),
  );
}
