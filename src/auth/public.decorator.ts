import { SetMetadata } from '@nestjs/common';

export const IS_PUBLIC_KEY = 'isPublic';

/** Opens a route to unauthenticated callers: health checks and the connect page's HTML. */
export const Public = () => SetMetadata(IS_PUBLIC_KEY, true);
