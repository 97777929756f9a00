/**
 * `npm run token -- <userId> [--admin] [--ttl 1h]`: prints a bearer token the
 * service accepts, signed with what the service would verify it with: the
 * JWT_SECRET from the environment or .env, else (outside production) the
 * development secret in ./data/dev-jwt-secret, made now if the service has
 * not made it yet. Only the token goes to stdout, so
 * `TOKEN=$(npm run -s token -- alice)` works.
 */
import { SignJWT } from 'jose';
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ADMIN_ROLE, USER_ID_PATTERN } from '../src/auth/authenticated-user';
import { AuthEnv } from '../src/config/auth.config';
import {
  loadOrCreateDevelopmentJwtSecret,
  wantsDevelopmentJwtSecret,
} from '../src/config/dev-jwt-secret';
import { findEnvProblems } from '../src/config/env-validation';

const USAGE = 'usage: npm run token -- <userId> [--admin] [--ttl 1h]';

class Refusal extends Error {}

interface SigningSecret {
  secret: string;
  source: string;
}

/** The service reads .env the same way: the environment wins, and tests ignore it. */
function loadDotEnv(): void {
  if (process.env.NODE_ENV !== 'test' && existsSync('.env')) {
    process.loadEnvFile('.env');
  }
}

async function signingSecret(env: NodeJS.ProcessEnv): Promise<SigningSecret> {
  if (env.JWT_PUBLIC_KEY) {
    throw new Refusal(
      'JWT_PUBLIC_KEY is configured, so the service accepts only RS256/ES256 tokens from your identity provider, and there is no private key here to sign one: get the token from that provider (or unset JWT_PUBLIC_KEY and set JWT_SECRET to test locally).',
    );
  }
  if (wantsDevelopmentJwtSecret(env)) {
    const { secret, file } = await loadOrCreateDevelopmentJwtSecret();
    return { secret, source: `the development secret in ${file}` };
  }
  const problems = findEnvProblems(AuthEnv, env);
  if (problems.length > 0) {
    throw new Refusal(`Cannot sign: ${problems.join('; ')}.`);
  }
  return { secret: env.JWT_SECRET!, source: 'JWT_SECRET' };
}

async function main(): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      allowPositionals: true,
      options: {
        admin: { type: 'boolean', default: false },
        ttl: { type: 'string', default: '1h' },
      },
    });
  } catch (error) {
    console.error(`${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  const [userId, ...extra] = parsed.positionals;
  if (!userId || extra.length > 0 || !USER_ID_PATTERN.test(userId)) {
    console.error(
      `${USAGE}\n<userId> is the token's sub: 1 to 64 of A-Z a-z 0-9 _ -`,
    );
    return 2;
  }
  loadDotEnv();
  const { secret, source } = await signingSecret(process.env);
  const { admin, ttl } = parsed.values;
  const jwt = new SignJWT(admin ? { roles: [ADMIN_ROLE] } : {})
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(userId)
    .setIssuedAt();
  try {
    jwt.setExpirationTime(ttl);
  } catch {
    console.error(`--ttl must be a duration like 30m, 1h or 7d (got ${ttl})`);
    return 2;
  }
  if (process.env.JWT_ISSUER) jwt.setIssuer(process.env.JWT_ISSUER);
  if (process.env.JWT_AUDIENCE) jwt.setAudience(process.env.JWT_AUDIENCE);
  process.stdout.write(`${await jwt.sign(new TextEncoder().encode(secret))}\n`);
  console.error(
    `Bearer token for ${userId}${admin ? ' (admin)' : ''}, valid ${ttl}, signed with ${source}.`,
  );
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(
      error instanceof Refusal
        ? error.message
        : `Cannot sign: ${(error as Error).message}`,
    );
    process.exitCode = 1;
  },
);
