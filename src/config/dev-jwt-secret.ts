import { randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/** Where the development secret lives, relative to the working folder (like ./data/mongo). */
export const DEV_JWT_SECRET_FILE = './data/dev-jwt-secret';

/** The example value in .env.example: refused in production, where it would let anyone forge tokens. */
export const PLACEHOLDER_JWT_SECRET =
  'change-me-to-a-long-random-secret-of-32-chars-or-more';

const MIN_SECRET_LENGTH = 32;

/** Outside production, with no way configured to verify tokens, the service makes its own secret. */
export function wantsDevelopmentJwtSecret(env: NodeJS.ProcessEnv): boolean {
  return (
    env.NODE_ENV !== 'production' && !env.JWT_SECRET && !env.JWT_PUBLIC_KEY
  );
}

export interface DevelopmentJwtSecret {
  secret: string;
  file: string;
  /** True when this call made it (the first start), false when it was reused. */
  created: boolean;
}

async function readSecret(file: string): Promise<string | undefined> {
  try {
    const secret = (await readFile(file, 'utf8')).trim();
    if (secret.length < MIN_SECRET_LENGTH) {
      throw new Error(
        `${file} holds fewer than ${MIN_SECRET_LENGTH} characters; delete it and a new development secret is made at the next start`,
      );
    }
    // Someone may have copied it around with a wider mode.
    await chmod(file, 0o600);
    return secret;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * The development JWT secret: read from `file`, or made once (random, 0600)
 * and reused by every later start and by `npm run token`.
 */
export async function loadOrCreateDevelopmentJwtSecret(
  file: string = DEV_JWT_SECRET_FILE,
): Promise<DevelopmentJwtSecret> {
  const existing = await readSecret(file);
  if (existing) return { secret: existing, file, created: false };
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  const secret = randomBytes(32).toString('base64url');
  try {
    // 'wx': when two processes start at once, one writes and the other reads it.
    await writeFile(file, `${secret}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    const written = await readSecret(file);
    if (written) return { secret: written, file, created: false };
    throw error;
  }
  return { secret, file, created: true };
}
