import {
  CanActivate,
  ExecutionContext,
  ForbiddenException,
  Injectable,
  UnauthorizedException,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthenticatedRequest } from './authenticated-request';
import { IS_PUBLIC_KEY } from './public.decorator';
import { ROLES_KEY } from './roles.decorator';
import { TokenVerifier } from './token-verifier';

export const MALFORMED_AUTHORIZATION_MESSAGE =
  'Missing or malformed Authorization header: expected "Bearer <token>"';

export function missingRolesMessage(roles: string[]): string {
  return `This route requires the role(s): ${roles.join(', ')}`;
}

function extractBearerToken(header: string | undefined): string {
  const match = /^Bearer ([A-Za-z0-9._~+/=-]+)$/.exec(header ?? '');
  if (!match) {
    throw new UnauthorizedException(MALFORMED_AUTHORIZATION_MESSAGE);
  }
  return match[1];
}

/** Global guard: every route needs a valid bearer token unless marked @Public(). */
@Injectable()
export class JwtAuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly verifier: TokenVerifier,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC_KEY, targets)) {
      return true;
    }
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const token = extractBearerToken(request.headers.authorization);
    request.user = await this.verifier.verify(token);

    const required = this.reflector.getAllAndOverride<string[] | undefined>(
      ROLES_KEY,
      targets,
    );
    if (
      required &&
      !required.every((role) => request.user.roles.includes(role))
    ) {
      throw new ForbiddenException(missingRolesMessage(required));
    }
    return true;
  }
}
