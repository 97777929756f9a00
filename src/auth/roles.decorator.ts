import { SetMetadata } from '@nestjs/common';

export const ROLES_KEY = 'roles';

/** Restricts a route to tokens whose `roles` claim holds every listed role. */
export const Roles = (...roles: string[]) => SetMetadata(ROLES_KEY, roles);
