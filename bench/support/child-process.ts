import { fork } from 'node:child_process';

/** Forks a TypeScript file under ts-node (transpile only), sends it `message`, resolves with its answer. */
export function runTypeScriptChild<T>(
  file: string,
  options: {
    args?: string[];
    message?: unknown;
    execArgv?: string[];
    timeoutMs: number;
    env?: NodeJS.ProcessEnv;
  },
): Promise<T> {
  return new Promise((resolve, reject) => {
    const child = fork(file, options.args ?? [], {
      execArgv: [...(options.execArgv ?? []), '-r', 'ts-node/register'],
      env: { ...process.env, TS_NODE_TRANSPILE_ONLY: '1', ...options.env },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let answer: { ok: boolean; result?: T; error?: string } | undefined;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(`${file} did not finish within ${options.timeoutMs} ms`),
      );
    }, options.timeoutMs);
    child.on('message', (message) => {
      answer = message as typeof answer;
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (answer?.ok) resolve(answer.result as T);
      else
        reject(
          new Error(
            answer?.error ??
              `${file} exited (code ${code}, signal ${signal}) without a result`,
          ),
        );
    });
    if (options.message !== undefined) child.send(options.message as object);
  });
}
