/** The documented commands (npm start, npm run start:prod, node dist/main) as real processes, for signal and first-run tests. */
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { projectRoot } from '../../src/database/embedded/ferretdb-runner';
import { waitUntil } from './wait';

export const ROOT = projectRoot();

function newestMtime(path: string): number {
  const stats = statSync(path);
  if (!stats.isDirectory()) return stats.mtimeMs;
  return Math.max(
    0,
    ...readdirSync(path).map((entry) => newestMtime(join(path, entry))),
  );
}

function builtAt(): number {
  try {
    return statSync(join(ROOT, 'dist', 'main.js')).mtimeMs;
  } catch {
    // Never built: any source is newer.
    return 0;
  }
}

/**
 * `npm run build` when dist/ is older than the sources, so the tests run the
 * documented production command (`node dist/main`) on the current code.
 */
export function ensureProductionBuild(): void {
  const sources = Math.max(
    newestMtime(join(ROOT, 'src')),
    newestMtime(join(ROOT, 'package.json')),
    newestMtime(join(ROOT, 'tsconfig.json')),
    newestMtime(join(ROOT, 'tsconfig.build.json')),
  );
  if (builtAt() >= sources) return;
  const build = spawnSync('npm', ['run', 'build'], {
    cwd: ROOT,
    encoding: 'utf8',
  });
  if (build.status !== 0) {
    throw new Error(
      `npm run build failed:\n${build.stdout}\n${build.stderr}`.trim(),
    );
  }
}

/** Only what a fresh shell has: no MONGODB_URI, JWT_SECRET or NODE_ENV=test from the test process. */
export function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    LOG_LEVEL: 'info',
    ...extra,
  };
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A spawned app (or npm running it), with every output line kept for assertions. */
export class AppProcess {
  readonly stdout: string[] = [];
  readonly stderr: string[] = [];
  readonly exited: Promise<Exit>;

  private constructor(readonly child: ChildProcess) {
    createInterface({ input: child.stdout! }).on('line', (line) =>
      this.stdout.push(line),
    );
    createInterface({ input: child.stderr! }).on('line', (line) =>
      this.stderr.push(line),
    );
    this.exited = new Promise((resolve) =>
      child.once('exit', (code, signal) => resolve({ code, signal })),
    );
  }

  /** `node dist/main`, or `npm run start:prod`, in `cwd` (the project folder by default). */
  static start(
    command: 'node dist/main' | 'npm run start:prod',
    env: NodeJS.ProcessEnv,
    cwd: string = ROOT,
  ): AppProcess {
    const [file, args] =
      command === 'node dist/main'
        ? [process.execPath, [join(ROOT, 'dist', 'main')]]
        : ['npm', ['run', 'start:prod']];
    // Its own process group, so dispose() can reach npm's child too.
    return new AppProcess(
      spawn(file, args, { cwd, env, stdio: 'pipe', detached: true }),
    );
  }

  get lines(): string[] {
    return [...this.stdout, ...this.stderr];
  }

  /** The first output line matching `pattern`, waiting for it (failing early if the process exits). */
  async line(pattern: RegExp, timeoutMs = 60_000): Promise<string> {
    let exited = false;
    void this.exited.then(() => (exited = true));
    try {
      await waitUntil(
        () => exited || this.lines.some((line) => pattern.test(line)),
        { timeoutMs, intervalMs: 50, what: `a log line matching ${pattern}` },
      );
    } catch (error) {
      // The app's own words are what explains a timeout.
      throw new Error(
        `${(error as Error).message}; the app's last lines:\n${this.lines.slice(-20).join('\n')}`,
        { cause: error },
      );
    }
    const found = this.lines.find((line) => pattern.test(line));
    if (!found) {
      throw new Error(
        `The app exited before logging ${pattern}:\n${this.lines.join('\n')}`,
      );
    }
    return found;
  }

  /** Cleanup after a failed test: kills the whole group, npm's child included. */
  async dispose(): Promise<void> {
    try {
      process.kill(-this.child.pid!, 'SIGKILL');
    } catch (error) {
      // ESRCH: every process of the group has already exited.
      if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
    }
    await this.exited;
  }

  /** Signals the process and waits for it to exit (SIGKILL after `timeoutMs`, failing the test). */
  async stop(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 30_000) {
    if (this.child.exitCode !== null || this.child.signalCode !== null) {
      return this.exited;
    }
    this.child.kill(signal);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    const exit = await this.exited;
    clearTimeout(timer);
    return exit;
  }
}
