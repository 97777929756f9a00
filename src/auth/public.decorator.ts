import { SetMetadata } from '@nestjs/common';

export const IS_PUBLIC_KEY = 'isPublic';

/** Opens a route to unauthenticated callers. Only health checks use it. */
export const Public = () => SetMetadata(IS_PUBLIC_KEY, true);
