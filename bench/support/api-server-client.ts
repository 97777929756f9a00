import type autocannon from 'autocannon';
import { fork } from 'node:child_process';
import { join } from 'node:path';
import type {
  ApiServerCommand,
  ApiServerMode,
  ApiServerReady,
  PhaseReport,
} from './api-server';
import { runTypeScriptChild } from './child-process';

type Command = ApiServerCommand extends infer C
  ? C extends { id: number }
    ? Omit<C, 'id'>
    : never
  : never;

const BOOT_TIMEOUT_MS = 60_000;

export interface ApiServer {
  ready: ApiServerReady;
  /** Lines the app wrote to stdout (its JSON log) so far. */
  readonly logLines: number;
  phase<T>(
    name: string,
    run: () => Promise<T>,
  ): Promise<{ result: T; report: PhaseReport }>;
  call(command: Command): Promise<unknown>;
  stop(): Promise<void>;
}

/** Starts bench/support/api-server.ts in `mode` and drains its stdout, counting lines. */
export function startApiServer(mode: ApiServerMode): Promise<ApiServer> {
  const child = fork(join(__dirname, 'api-server.ts'), [mode], {
    execArgv: ['-r', 'ts-node/register'],
    env: { ...process.env, TS_NODE_TRANSPILE_ONLY: '1' },
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  });
  let logLines = 0;
  child.stdout?.on('data', (chunk: Buffer) => {
    for (const byte of chunk) if (byte === 10) logLines += 1;
  });
  let nextId = 1;
  const pending = new Map<
    number,
    { resolve: (value: unknown) => void; reject: (error: Error) => void }
  >();
  const call = (command: Command): Promise<unknown> =>
    new Promise((resolve, reject) => {
      const id = nextId;
      nextId += 1;
      pending.set(id, { resolve, reject });
      child.send({ ...command, id });
    });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`api-server ${mode} did not boot in time`));
    }, BOOT_TIMEOUT_MS);
    child.on('exit', (code) => {
      clearTimeout(timer);
      for (const { reject: fail } of pending.values())
        fail(new Error(`api-server ${mode} exited (code ${code})`));
      reject(new Error(`api-server ${mode} exited (code ${code})`));
    });
    child.on('message', (message: Record<string, unknown>) => {
      if (message.ready) {
        clearTimeout(timer);
        resolve({
          ready: message.ready as ApiServerReady,
          get logLines() {
            return logLines;
          },
          call,
          async phase(name, run) {
            await call({ cmd: 'phase-start', name });
            // The phase ends on a failed load too, so the next one can start.
            const outcome = await run().then(
              (result) => ({ result, failed: false as const }),
              (error: unknown) => ({ error, failed: true as const }),
            );
            const report = (await call({
              cmd: 'phase-end',
              name,
            })) as PhaseReport;
            if (outcome.failed) throw outcome.error;
            return { result: outcome.result, report };
          },
          async stop() {
            const exited = new Promise((done) => child.once('exit', done));
            await call({ cmd: 'stop' });
            await exited;
          },
        });
        return;
      }
      const id = message.id as number | undefined;
      const waiter = id === undefined ? undefined : pending.get(id);
      if (!waiter) return;
      pending.delete(id as number);
      if (message.ok) waiter.resolve(message.result);
      else waiter.reject(new Error(String(message.error)));
    });
  });
}

/** autocannon in its own process, so the load does not share the server's event loop. */
export function load(
  url: string,
  options: {
    headers?: Record<string, string>;
    connections: number;
    duration: number;
  },
): Promise<autocannon.Result> {
  return runTypeScriptChild<autocannon.Result>(
    join(__dirname, 'load-generator.ts'),
    {
      message: {
        url,
        headers: options.headers ?? {},
        connections: options.connections,
        duration: options.duration,
      },
      timeoutMs: (options.duration + 30) * 1000,
    },
  );
}
