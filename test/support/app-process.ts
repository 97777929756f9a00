import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { freeLoopbackPort } from '../../src/database/embedded/free-port';
import { TEST_JWT_SECRET } from './tokens';
import { waitUntil } from './wait';

const REPO_ROOT = join(__dirname, '..', '..');
const KEEP_OUTPUT = 1_000_000;

/** The real service (src/main.ts) in its own process, so a test can SIGKILL it. */
export interface AppProcess {
  url: string;
  /** What it wrote (its last megabyte): for assertions on its log and a failing test's message. */
  output(): string;
  kill(signal: NodeJS.Signals): Promise<void>;
  /** Sends a signal without waiting for an exit (SIGSTOP, SIGCONT). */
  signal(signal: NodeJS.Signals): void;
  /** True once the process has exited. */
  exited(): boolean;
}

export interface AppProcessOptions {
  /** Trust the simulators of the test process (their root key passes in the environment). */
  trustSimulator?: boolean;
}

async function isLive(url: string): Promise<boolean> {
  try {
    const response = await fetch(`${url}/api/health/live`);
    return response.ok;
  } catch {
    return false;
  }
}

/** Boots `src/main.ts` (ts-node, transpile only) with `env` on a free port and waits until it answers. */
export async function startAppProcess(
  env: Record<string, string>,
  options: AppProcessOptions = {},
): Promise<AppProcess> {
  const port = await freeLoopbackPort();
  const url = `http://127.0.0.1:${port}`;
  let output = '';
  const child: ChildProcess = spawn(
    process.execPath,
    [
      '-r',
      'ts-node/register',
      ...(options.trustSimulator
        ? ['-r', './test/support/trust-simulator.preload.ts']
        : []),
      'src/main.ts',
    ],
    {
      cwd: REPO_ROOT,
      env: {
        ...process.env,
        NODE_ENV: 'test',
        LOG_LEVEL: 'warn',
        TS_NODE_TRANSPILE_ONLY: '1',
        JWT_SECRET: TEST_JWT_SECRET,
        PORT: String(port),
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-KEEP_OUTPUT);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => resolve()),
  );

  const kill = async (signal: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null)
      child.kill(signal);
    await exited;
  };
  try {
    await waitUntil(
      async () => {
        if (child.exitCode !== null)
          throw new Error(`The app exited with ${child.exitCode}`);
        return isLive(url);
      },
      { timeoutMs: 90_000, intervalMs: 200, what: 'the app process to serve' },
    );
  } catch (error) {
    await kill('SIGKILL');
    throw new Error(
      `${(error as Error).message}\n--- app output ---\n${output}`,
      { cause: error },
    );
  }
  return {
    url,
    output: () => output,
    kill,
    signal: (signal) => {
      if (child.exitCode === null && child.signalCode === null)
        child.kill(signal);
    },
    exited: () => child.exitCode !== null || child.signalCode !== null,
  };
}
