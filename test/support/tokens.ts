import { SignJWT } from 'jose';

export const TEST_JWT_SECRET = 'test-secret-that-is-long-enough-0123456789';

export interface TokenOptions {
  secret?: string;
  expiresIn?: string | number;
  roles?: string[];
  claims?: Record<string, unknown>;
}

/** An HS256 bearer token for `sub`, signed like the frontend's identity provider would. */
export async function tokenFor(
  sub: string | undefined,
  options: TokenOptions = {},
): Promise<string> {
  const jwt = new SignJWT({
    ...(options.roles ? { roles: options.roles } : {}),
    ...options.claims,
  })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setIssuedAt()
    .setExpirationTime(options.expiresIn ?? '1h');
  if (sub !== undefined) {
    jwt.setSubject(sub);
  }
  return jwt.sign(new TextEncoder().encode(options.secret ?? TEST_JWT_SECRET));
}

export function bearer(token: string): { Authorization: string } {
  return { Authorization: `Bearer ${token}` };
}
