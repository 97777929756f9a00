import { ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { waitUntil } from './wait';

/** A free loopback port, for an app process's PORT. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address
          ? resolve(address.port)
          : reject(new Error('no port')),
      );
    });
  });
}

/** The real main.ts in its own process, so a test can SIGKILL it. */
export interface AppProcess {
  readonly baseUrl: string;
  readonly child: ChildProcess;
  /** Everything it printed, for diagnosing a failed story. */
  output(): string;
  kill(signal: NodeJS.Signals): Promise<void>;
}

export async function startAppProcess(
  env: Record<string, string>,
  preloads: string[] = [],
): Promise<AppProcess> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [
      '-r',
      'ts-node/register',
      ...preloads.flatMap((preload) => ['-r', preload]),
      'src/main.ts',
    ],
    {
      env: {
        ...process.env,
        TS_NODE_TRANSPILE_ONLY: '1',
        NODE_ENV: 'development',
        LOG_LEVEL: 'warn',
        ...env,
        PORT: String(port),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => resolve()),
  );
  const baseUrl = `http://127.0.0.1:${port}`;
  await waitUntil(
    async () => {
      if (child.exitCode !== null)
        throw new Error(`the app process exited early:\n${output}`);
      try {
        return (await fetch(`${baseUrl}/api/health/live`)).ok;
      } catch {
        // Not listening yet: the next poll asks again.
        return false;
      }
    },
    { timeoutMs: 60_000, intervalMs: 200, what: 'the app process to listen' },
  );
  return {
    baseUrl,
    child,
    output: () => output,
    kill: async (signal) => {
      if (child.exitCode === null && child.signalCode === null)
        child.kill(signal);
      await exited;
    },
  };
}
