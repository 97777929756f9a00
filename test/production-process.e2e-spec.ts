import { mkdtemp, rm } from 'node:fs/promises';
import { connect, createServer, Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freeLoopbackPort } from '../src/database/embedded/free-port';
import {
  AppProcess,
  cleanEnv,
  ensureProductionBuild,
} from './support/documented-command';
import {
  RestartableDatabase,
  startRestartableDatabase,
} from './support/restartable-database';
import { stopTestDatabase, testDatabaseUri } from './support/test-database';
import { waitUntil } from './support/wait';

const JWT_SECRET = 'production-process-secret-0123456789abcdef';

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function statusOf(port: number, path: string): Promise<number> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`);
  return response.status;
}

let workDir: string;
let app: AppProcess | undefined;

beforeAll(() => {
  ensureProductionBuild();
}, 180_000);

beforeEach(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'relance-process-'));
});

afterEach(async () => {
  await app?.dispose();
  app = undefined;
  await rm(workDir, { recursive: true, force: true });
});

afterAll(async () => {
  await stopTestDatabase();
});

/** The production environment of the README: NODE_ENV=production, a real secret, a database. */
function productionEnv(port: number, extra: Record<string, string> = {}) {
  return cleanEnv({
    NODE_ENV: 'production',
    JWT_SECRET,
    HOST: '127.0.0.1',
    PORT: String(port),
    WHATSAPP_SESSIONS_DIR: join(workDir, 'sessions'),
    ...extra,
  });
}

describe('the documented production commands (e2e, spawns the built app)', () => {
  it.each([
    ['npm run start:prod', 'SIGTERM'],
    ['node dist/main', 'SIGINT'],
  ] as const)(
    '%s delivers %s to the app: it logs the signal, shuts down gracefully, logs the end and exits 0',
    async (command, signal) => {
      const port = await freeLoopbackPort();
      app = AppProcess.start(
        command,
        productionEnv(port, { MONGODB_URI: await testDatabaseUri() }),
      );
      // The database may connect before the port is open, or after it.
      await app.line(/Listening on/);
      await app.line(/Connected to MongoDB/);
      await waitUntil(
        async () => (await statusOf(port, '/api/health/ready')) === 200,
        { what: 'readiness once connected' },
      );

      // The process the test started is npm for start:prod: the signal must reach node through it.
      const exit = await app.stop(signal);

      expect(exit).toEqual({ code: 0, signal: null });
      await app.line(new RegExp(`${signal} received: shutting down`));
      await app.line(/Shutdown finished in \d+ ms/);
      expect(await accepts(port)).toBe(false);
    },
    120_000,
  );

  it('logs one listening line with the address, docs, database and credential store, and none of Nest module or route listings', async () => {
    const port = await freeLoopbackPort();
    const database = await testDatabaseUri();
    app = AppProcess.start(
      'node dist/main',
      productionEnv(port, { MONGODB_URI: database }),
    );
    const listening = await app.line(/Listening on/);
    await app.line(/Connected to MongoDB/);

    const { msg } = JSON.parse(listening) as { msg: string };
    const databaseShown = database.replace(/\/$/, '');
    expect(msg).toBe(
      `Listening on 127.0.0.1:${port}: API http://127.0.0.1:${port}/api, docs http://127.0.0.1:${port}/api/docs, health http://127.0.0.1:${port}/api/health, connect page http://127.0.0.1:${port}/connect; database ${databaseShown}; WhatsApp credentials in files under ${join(workDir, 'sessions')}`,
    );
    const messages = app.stdout.map(
      (line) => (JSON.parse(line) as { msg: string }).msg,
    );
    expect(
      messages.filter((text) =>
        /^Mapped \{|dependencies initialized|successfully started/.test(text),
      ),
    ).toEqual([]);
    expect(
      messages.filter((text) => text.startsWith('Listening on')),
    ).toHaveLength(1);
  }, 120_000);

  it('exits 1 with one sentence, and no success line, when the port is taken', async () => {
    const port = await freeLoopbackPort();
    const squatter: Server = createServer();
    await new Promise<void>((resolve) =>
      squatter.listen(port, '127.0.0.1', resolve),
    );
    try {
      app = AppProcess.start(
        'node dist/main',
        productionEnv(port, { MONGODB_URI: await testDatabaseUri() }),
      );

      expect(await app.exited).toEqual({ code: 1, signal: null });
      expect(app.stderr).toEqual([
        `Cannot start: Port ${port} on 127.0.0.1 is already in use by another process: stop it, or set PORT to a free port.`,
      ]);
      expect(app.stdout.join('\n')).not.toMatch(
        /successfully started|Listening on/,
      );
    } finally {
      await new Promise((resolve) => squatter.close(resolve));
    }
  }, 120_000);
});

describe('booting before the database is up (e2e, spawns the built app)', () => {
  let database: RestartableDatabase | undefined;

  afterEach(async () => {
    await app?.dispose();
    app = undefined;
    await database?.dispose();
    database = undefined;
  });

  it('keeps retrying with one line per attempt, answers live 200 and ready 503 meanwhile, then connects and restores', async () => {
    const port = await freeLoopbackPort();
    const databasePort = await freeLoopbackPort();
    const uri = `mongodb://127.0.0.1:${databasePort}/relance_db_first`;
    app = AppProcess.start(
      'node dist/main',
      productionEnv(port, {
        MONGODB_URI: uri,
        MONGODB_SERVER_SELECTION_TIMEOUT_MS: '300',
      }),
    );

    const firstAttempt = await app.line(/is not reachable \(attempt 1:/);
    expect((JSON.parse(firstAttempt) as { msg: string }).msg).toMatch(
      new RegExp(
        `^MongoDB at mongodb://127\\.0\\.0\\.1:${databasePort}/relance_db_first is not reachable \\(attempt 1: .+\\); next attempt in \\d+\\.\\d s, at \\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z$`,
      ),
    );
    await app.line(/is not reachable \(attempt 2:/);
    expect(await statusOf(port, '/api/health/live')).toBe(200);
    expect(await statusOf(port, '/api/health/ready')).toBe(503);
    expect(app.lines.join('\n')).not.toMatch(/Boot restore:/);

    database = await startRestartableDatabase(databasePort);

    await app.line(/Connected to MongoDB at/, 90_000);
    await waitUntil(
      async () => (await statusOf(port, '/api/health/ready')) === 200,
      {
        what: 'readiness once the database is up',
      },
    );
    await app.line(/Boot restore: 0 restored/);
    expect(app.stderr).toEqual([]);
  }, 180_000);

  it('with MONGODB_CONNECT_TIMEOUT_MS, exits 1 with one sentence once that time has passed', async () => {
    const port = await freeLoopbackPort();
    const databasePort = await freeLoopbackPort();
    app = AppProcess.start(
      'node dist/main',
      productionEnv(port, {
        MONGODB_URI: `mongodb://127.0.0.1:${databasePort}/relance_fail_fast`,
        MONGODB_SERVER_SELECTION_TIMEOUT_MS: '300',
        MONGODB_CONNECT_TIMEOUT_MS: '1500',
      }),
    );

    expect(await app.exited).toEqual({ code: 1, signal: null });
    expect(app.stderr).toEqual([
      expect.stringMatching(
        new RegExp(
          `^Cannot start: MongoDB at mongodb://127\\.0\\.0\\.1:${databasePort}/relance_fail_fast did not answer within MONGODB_CONNECT_TIMEOUT_MS \\(1500 ms; last error: .+\\); start it, fix MONGODB_URI, or unset MONGODB_CONNECT_TIMEOUT_MS to wait for it\\.$`,
        ),
      ),
    ]);
  }, 120_000);
});
