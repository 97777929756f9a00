import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  loadOrCreateDevelopmentJwtSecret,
  wantsDevelopmentJwtSecret,
} from './dev-jwt-secret';

describe('wantsDevelopmentJwtSecret', () => {
  it.each([
    [{}, true],
    [{ NODE_ENV: 'development' }, true],
    [{ NODE_ENV: 'test' }, true],
    [{ NODE_ENV: 'production' }, false],
    [{ JWT_SECRET: 'x'.repeat(32) }, false],
    [{ JWT_PUBLIC_KEY: '-----BEGIN PUBLIC KEY-----' }, false],
  ])('for %j: %s', (env, wanted) => {
    expect(wantsDevelopmentJwtSecret(env)).toBe(wanted);
  });
});

describe('loadOrCreateDevelopmentJwtSecret', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'dev-secret-'));
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('makes a random secret once, readable by its owner only, and reuses it', async () => {
    const file = join(dir, 'data', 'dev-jwt-secret');
    const first = await loadOrCreateDevelopmentJwtSecret(file);
    expect(first.created).toBe(true);
    expect(first.secret.length).toBeGreaterThanOrEqual(32);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await readFile(file, 'utf8')).trim()).toBe(first.secret);

    const second = await loadOrCreateDevelopmentJwtSecret(file);
    expect(second).toEqual({ secret: first.secret, file, created: false });
  });

  it('gives two starts racing on a fresh folder the same secret', async () => {
    const file = join(dir, 'dev-jwt-secret');
    const [a, b] = await Promise.all([
      loadOrCreateDevelopmentJwtSecret(file),
      loadOrCreateDevelopmentJwtSecret(file),
    ]);
    expect(a.secret).toBe(b.secret);
  });

  it('refuses a file too short to be a secret, saying how to get a new one', async () => {
    const file = join(dir, 'dev-jwt-secret');
    await writeFile(file, 'short\n');
    await expect(loadOrCreateDevelopmentJwtSecret(file)).rejects.toThrow(
      /fewer than 32 characters; delete it/,
    );
  });
});
