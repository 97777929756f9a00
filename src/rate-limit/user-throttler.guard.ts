import { ExecutionContext, Injectable } from '@nestjs/common';
import {
  ThrottlerException,
  ThrottlerGuard,
  ThrottlerLimitDetail,
} from '@nestjs/throttler';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AuthenticatedUser } from '../auth/authenticated-user';

export const RATE_LIMITED_MESSAGE =
  'Too many requests for this route; retry after the delay in the Retry-After header';

type MaybeAuthenticatedRequest = FastifyRequest & { user?: AuthenticatedUser };

/**
 * Counts requests per user (the token's `sub`), falling back to the client IP
 * on a route that has no authenticated user. It is applied per route with
 * @RateLimited(), i.e. as a route guard, and Nest runs route guards after the
 * global JwtAuthGuard: the user is always known by then.
 */
@Injectable()
export class UserThrottlerGuard extends ThrottlerGuard {
  protected override async getTracker(
    req: Record<string, unknown>,
  ): Promise<string> {
    const request = req as unknown as MaybeAuthenticatedRequest;
    return request.user
      ? `user:${request.user.userId}`
      : `ip:${await super.getTracker(req)}`;
  }

  /** The library names the header Retry-After-<throttler>; clients expect the standard one. */
  protected override throwThrottlingException(
    context: ExecutionContext,
    detail: ThrottlerLimitDetail,
  ): Promise<void> {
    const reply = context.switchToHttp().getResponse<FastifyReply>();
    void reply.header(
      'Retry-After',
      String(Math.max(1, detail.timeToBlockExpire)),
    );
    return Promise.reject(new ThrottlerException(RATE_LIMITED_MESSAGE));
  }
}
