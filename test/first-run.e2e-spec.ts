import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freeLoopbackPort } from '../src/database/embedded/free-port';
import {
  AppProcess,
  cleanEnv,
  ensureProductionBuild,
  ROOT,
} from './support/documented-command';
import { runnerCacheDir } from './support/embedded-test-database';
import { waitUntil } from './support/wait';

/**
 * A first run on a machine like CI's: no .env, no MONGODB_URI, no JWT_SECRET,
 * and mongod cannot be downloaded, but Go is there. The app runs from an
 * empty working folder, as a fresh clone would, with `node dist/main`.
 */
describe('first run with no configuration and no downloadable mongod (e2e)', () => {
  let workDir: string;
  let port: number;
  let app: AppProcess | undefined;

  beforeAll(async () => {
    ensureProductionBuild();
    workDir = await mkdtemp(join(tmpdir(), 'relance-first-run-'));
    port = await freeLoopbackPort();
  }, 180_000);

  afterAll(async () => {
    await app?.dispose();
    await rm(workDir, { recursive: true, force: true });
  });

  const env = () =>
    cleanEnv({
      HOST: '127.0.0.1',
      PORT: String(port),
      // An empty binary cache and an unreachable mirror: mongod cannot be had.
      MONGOMS_DOWNLOAD_DIR: join(workDir, 'mongodb-binaries'),
      MONGOMS_PREFER_GLOBAL_PATH: '0',
      MONGOMS_DOWNLOAD_MIRROR: 'https://127.0.0.1:9',
      MONGOMS_MAX_RETRIES: '1',
      // The project's runner cache: built with Go by the first run that needs it.
      FERRETDB_RUNNER_CACHE_DIR: runnerCacheDir(),
    });

  const http = (path: string, init: RequestInit = {}) =>
    fetch(`http://127.0.0.1:${port}${path}`, init);

  /** `npm run token -- <userId>`, run from the work folder like a user in their clone. */
  function token(userId: string): string {
    const result = spawnSync(
      process.execPath,
      [
        '-r',
        require.resolve('ts-node/register/transpile-only'),
        join(ROOT, 'scripts', 'token.ts'),
        userId,
      ],
      {
        cwd: workDir,
        // npm runs scripts from the project folder, where ts-node finds this itself.
        env: { ...env(), TS_NODE_PROJECT: join(ROOT, 'tsconfig.json') },
        encoding: 'utf8',
      },
    );
    expect(result.stderr).toContain(
      'signed with the development secret in ./data/dev-jwt-secret',
    );
    expect(result.status).toBe(0);
    return result.stdout.trim();
  }

  async function boot(): Promise<AppProcess> {
    const started = AppProcess.start('node dist/main', env(), workDir);
    await started.line(/Connected to MongoDB/, 300_000);
    await waitUntil(async () => (await http('/api/health')).status === 200, {
      what: 'a healthy /api/health',
    });
    return started;
  }

  it('comes up on FerretDB with a development secret, serves a token from npm run token, and keeps data and secret across a restart', async () => {
    app = await boot();
    await app.line(
      /Using the EMBEDDED DEVELOPMENT database: FerretDB \(SQLite\) at mongodb:\/\/127\.0\.0\.1:\d+\/relance, data in \.\/data\/ferretdb \(mongod cannot be had: Download failed/,
    );
    await app.line(
      /Using a DEVELOPMENT JWT secret made now in \.\/data\/dev-jwt-secret/,
    );
    const secretFile = join(workDir, 'data', 'dev-jwt-secret');
    expect((await stat(secretFile)).mode & 0o777).toBe(0o600);
    expect(existsSync(join(workDir, 'data', 'ferretdb'))).toBe(true);

    const auth = { Authorization: `Bearer ${token('alice')}` };
    const disconnected = await http('/api/relance/disconnect', {
      method: 'DELETE',
      headers: { ...auth, 'content-type': 'application/json' },
      body: '{}',
    });
    expect(disconnected.status).toBe(200);
    const before = (await (
      await http('/api/relance/status', { headers: auth })
    ).json()) as { lastConnectionCheck: string | null };
    expect(before.lastConnectionCheck).toEqual(expect.any(String));

    expect(await app.stop('SIGTERM')).toEqual({ code: 0, signal: null });
    app = await boot();

    await app.line(
      /Using a DEVELOPMENT JWT secret from \.\/data\/dev-jwt-secret/,
    );
    await app.line(
      /Using the EMBEDDED DEVELOPMENT database: FerretDB .*data in \.\/data\/ferretdb \(it ran here before: \.\/data\/ferretdb exists\)/,
    );
    // The token minted before the restart still works: the secret was reused.
    const after = await http('/api/relance/status', { headers: auth });
    expect(after.status).toBe(200);
    expect(await after.json()).toMatchObject({
      lastConnectionCheck: before.lastConnectionCheck,
    });
    expect(await app.stop('SIGTERM')).toEqual({ code: 0, signal: null });
  }, 600_000);
});
