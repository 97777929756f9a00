import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

export interface AppRequest {
  id: number;
  command: string;
  args: unknown[];
}

export interface AppResponse {
  id: number;
  ok: boolean;
  result?: unknown;
  error?: string;
}

const REPO_ROOT = join(__dirname, '..', '..');
const TRUST_PRELOAD = join(
  REPO_ROOT,
  'test',
  'support',
  'wa-simulator-trust.preload.ts',
);

/** connected-app.ts in its own process, driven one request at a time (or several in flight). */
export interface AppChild {
  call<T>(command: string, args?: unknown[], timeoutMs?: number): Promise<T>;
  /** Asks the app to close, then waits for the process to end. */
  exit(): Promise<void>;
  pid: number | undefined;
}

const DEFAULT_CALL_TIMEOUT_MS = 120_000;

export async function startAppChild(
  env: Record<string, string>,
): Promise<AppChild> {
  const child: ChildProcess = fork(join(__dirname, 'connected-app.ts'), [], {
    cwd: REPO_ROOT,
    execArgv: [
      // Evidence for the README's notes: a CPU profile of each app process.
      ...(process.env.BENCH_CPU_PROF_DIR
        ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF_DIR}`]
        : []),
      '--expose-gc',
      '-r',
      'ts-node/register',
      '-r',
      TRUST_PRELOAD,
    ],
    env: { ...process.env, TS_NODE_TRANSPILE_ONLY: '1', ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const pending = new Map<number, (response: AppResponse) => void>();
  let nextId = 1;
  const exited = new Promise<void>((resolve) =>
    child.once('exit', (code, signal) => {
      for (const settle of pending.values()) {
        settle({
          id: 0,
          ok: false,
          error: `the app process exited (code ${code}, signal ${signal})`,
        });
      }
      pending.clear();
      resolve();
    }),
  );
  child.on('message', (message: AppResponse) => {
    pending.get(message.id)?.(message);
    pending.delete(message.id);
  });
  const call = <T>(
    command: string,
    args: unknown[] = [],
    timeoutMs = DEFAULT_CALL_TIMEOUT_MS,
  ): Promise<T> => {
    const id = nextId;
    nextId += 1;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        pending.delete(id);
        reject(new Error(`${command} got no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      pending.set(id, (response) => {
        clearTimeout(timer);
        if (response.ok) resolve(response.result as T);
        else reject(new Error(`${command}: ${response.error}`));
      });
      if (id !== 0) child.send({ id, command, args } satisfies AppRequest);
    });
  };
  // The app announces itself with id 0 once it has booted.
  const ready = new Promise<void>((resolve, reject) => {
    pending.set(0, (response) =>
      response.ok ? resolve() : reject(new Error(response.error)),
    );
  });
  await ready;
  return {
    call,
    pid: child.pid,
    exit: async () => {
      if (child.connected) child.send({ id: -1, command: 'exit', args: [] });
      const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      await exited;
      clearTimeout(killer);
    },
  };
}
