#!/usr/bin/env node
// Prints an HS256 bearer token for local tools (CI fuzzing, curl, Swagger UI).
// Usage: JWT_SECRET=... node scripts/mint-token.mjs <sub> [ttl, default 1h] [role,role]
// Signed like the identity provider would: HS256, sub, iat, exp, optional
// iss/aud from JWT_ISSUER/JWT_AUDIENCE, roles from the third argument.
import { SignJWT } from 'jose';

const [sub, ttl = '1h', roles] = process.argv.slice(2);
const secret = process.env.JWT_SECRET;
if (!sub || !secret) {
  console.error(
    'usage: JWT_SECRET=<secret> node scripts/mint-token.mjs <sub> [ttl] [roles]',
  );
  process.exit(2);
}

const jwt = new SignJWT(roles ? { roles: roles.split(',') } : {})
  .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
  .setSubject(sub)
  .setIssuedAt()
  .setExpirationTime(ttl);
if (process.env.JWT_ISSUER) jwt.setIssuer(process.env.JWT_ISSUER);
if (process.env.JWT_AUDIENCE) jwt.setAudience(process.env.JWT_AUDIENCE);

process.stdout.write(`${await jwt.sign(new TextEncoder().encode(secret))}\n`);
