import { applyDecorators } from '@nestjs/common';
import { ApiBearerAuth } from '@nestjs/swagger';
import { ApiErrorResponse } from '../common/api-error-response.decorator';
import {
  MALFORMED_AUTHORIZATION_MESSAGE,
  missingRolesMessage,
} from './jwt-auth.guard';

/** A route behind JwtAuthGuard: the bearer scheme and its 401. */
export function ApiUserAuth(): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ApiBearerAuth(),
    ApiErrorResponse(401, {
      description: 'Missing, invalid or expired bearer token',
      message: MALFORMED_AUTHORIZATION_MESSAGE,
    }),
  );
}

/** A route that also needs roles (see @Roles): its 403. */
export function ApiRolesRequired(
  ...roles: string[]
): MethodDecorator & ClassDecorator {
  return ApiErrorResponse(403, {
    description: `The token's \`roles\` claim lacks ${roles.map((role) => `"${role}"`).join(', ')}`,
    message: missingRolesMessage(roles),
  });
}
