import { ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { constants, existsSync } from 'node:fs';
import { access, mkdir, readFile, readdir, rename, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { dirname, join, resolve as resolvePath } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { freeLoopbackPort } from './free-port';

/**
 * The FerretDB runner: a small Go program (tools/ferretdb-runner) embedding
 * FerretDB with its SQLite backend. The app uses it as its development
 * database when no mongod can be had, and the tests and CI use it too. This
 * file has no Nest dependency so test support code and scripts share it.
 */

const SOURCE_FILES = ['main.go', 'go.mod', 'go.sum'];
const BINARY_PREFIX = 'ferretdb-runner-';
const PROGRESS_EVERY_MS = 15_000;
const LISTEN_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 5_000;

/** The runner cannot be had: no cached binary, and Go is missing or the build failed. */
export class FerretDbRunnerUnavailableError extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'FerretDbRunnerUnavailableError';
  }
}

export type Log = (message: string) => void;

/** The project folder: the nearest parent of this file holding tools/ferretdb-runner (src/ under ts-jest, dist/ once built). */
export function projectRoot(from: string = __dirname): string {
  let dir = from;
  while (!existsSync(join(dir, 'tools', 'ferretdb-runner', 'go.mod'))) {
    const parent = dirname(dir);
    if (parent === dir) {
      throw new Error(
        `tools/ferretdb-runner was not found above ${from}: is this a complete checkout?`,
      );
    }
    dir = parent;
  }
  return dir;
}

export function ferretDbRunnerSourceDir(): string {
  return join(projectRoot(), 'tools', 'ferretdb-runner');
}

/**
 * The cache key is the runner's source content, like .ci/run computes it
 * (`cat main.go go.mod go.sum | sha256sum | cut -c1-16`): file times change
 * on every fresh clone, contents do not.
 */
export async function ferretDbRunnerKey(
  sourceDir: string = ferretDbRunnerSourceDir(),
): Promise<string> {
  const hash = createHash('sha256');
  for (const file of SOURCE_FILES) {
    hash.update(await readFile(join(sourceDir, file)));
  }
  return hash.digest('hex').slice(0, 16);
}

async function isExecutable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return true;
  } catch {
    // Absent or not executable: either way it has to be built.
    return false;
  }
}

/** Resolves with whether `go version` runs; a missing `go` is the usual reason it does not. */
export function goIsAvailable(): Promise<boolean> {
  return new Promise((resolve) => {
    const child = spawn('go', ['version'], {
      stdio: 'ignore',
      env: process.env,
    });
    child.once('error', () => resolve(false));
    child.once('exit', (code) => resolve(code === 0));
  });
}

function elapsedSeconds(since: number): number {
  return Math.round((Date.now() - since) / 1000);
}

async function removeOtherVersions(cacheDir: string, keep: string) {
  const entries = await readdir(cacheDir);
  await Promise.all(
    entries
      .filter((name) => name.startsWith(BINARY_PREFIX) && name !== keep)
      .map((name) => rm(join(cacheDir, name), { force: true })),
  );
}

/**
 * `go build -v` prints each package it compiles and each module it downloads;
 * counting them every few seconds shows the build is moving (a first build,
 * with Go's caches empty, takes 2 to 6 minutes on 2 cores).
 */
async function build(
  sourceDir: string,
  binary: string,
  log: Log,
  signal?: AbortSignal,
): Promise<void> {
  const started = Date.now();
  const partial = `${binary}.${process.pid}.partial`;
  log(
    `Building the FerretDB runner with Go (first run only; 2 to 6 minutes on 2 cores, needs the Go module proxy or Go's module cache) into ${binary}`,
  );
  const child = spawn('go', ['build', '-v', '-o', partial, '.'], {
    cwd: sourceDir,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: process.env,
    signal,
  });
  let downloaded = 0;
  let compiled = 0;
  const lastLines: string[] = [];
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream }).on('line', (line) => {
      if (line.startsWith('go: downloading ')) downloaded += 1;
      else compiled += 1;
      lastLines.push(line);
      if (lastLines.length > 5) lastLines.shift();
    });
  }
  const progress = setInterval(
    () =>
      log(
        `Still building the FerretDB runner: ${elapsedSeconds(started)} s, ${downloaded} modules downloaded, ${compiled} packages compiled`,
      ),
    PROGRESS_EVERY_MS,
  );
  try {
    const code = await new Promise<number | null>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', resolve);
    });
    if (code !== 0) {
      throw new FerretDbRunnerUnavailableError(
        `go build failed (exit ${code}): ${lastLines.join(' | ')}`,
      );
    }
    await rename(partial, binary);
  } finally {
    clearInterval(progress);
    await rm(partial, { force: true });
  }
  log(`Built the FerretDB runner in ${elapsedSeconds(started)} s`);
}

export interface RunnerBinaryOptions {
  /** Where built runners are kept, one file per source version. */
  cacheDir: string;
  log: Log;
  signal?: AbortSignal;
}

/**
 * The runner binary for the current source: the cached one, else built with
 * Go into the cache. Throws FerretDbRunnerUnavailableError when neither works.
 */
export async function ferretDbRunnerBinary({
  cacheDir,
  log,
  signal,
}: RunnerBinaryOptions): Promise<string> {
  const sourceDir = ferretDbRunnerSourceDir();
  const name = `${BINARY_PREFIX}${await ferretDbRunnerKey(sourceDir)}`;
  // Absolute: `go build -o` runs in the source folder.
  const binary = join(resolvePath(cacheDir), name);
  if (await isExecutable(binary)) return binary;
  if (!(await goIsAvailable())) {
    throw new FerretDbRunnerUnavailableError(
      `Go is not installed (no \`go\` on the PATH) to build it, and ${binary} is not built yet`,
    );
  }
  await mkdir(cacheDir, { recursive: true, mode: 0o700 });
  await build(sourceDir, binary, log, signal);
  await removeOtherVersions(cacheDir, name);
  return binary;
}

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

export interface FerretDbProcess {
  /** mongodb://127.0.0.1:<port>/ (no database name). */
  uri: string;
  port: number;
  /** SIGTERM (a clean stop) by default; SIGKILL simulates a crash. */
  stop(signal?: 'SIGTERM' | 'SIGKILL'): Promise<void>;
}

export interface StartFerretDbOptions {
  binary: string;
  dataDir: string;
  /** A fixed loopback port (to restart on the same one); a free one otherwise. */
  port?: number;
}

async function waitUntilListening(
  child: ChildProcess,
  port: number,
  output: string[],
): Promise<void> {
  const deadline = Date.now() + LISTEN_TIMEOUT_MS;
  while (!(await accepts(port))) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new FerretDbRunnerUnavailableError(
        `the FerretDB runner exited at start: ${output.join(' | ')}`,
      );
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new FerretDbRunnerUnavailableError(
        `the FerretDB runner did not listen on 127.0.0.1:${port} within ${LISTEN_TIMEOUT_MS / 1000} s`,
      );
    }
    await sleep(100);
  }
}

/**
 * Starts the runner on a loopback port with its SQLite files in `dataDir`.
 * Its stdin is a pipe it watches, so it also stops when this process dies
 * without stopping it (a crash, a SIGKILL).
 */
export async function startFerretDb({
  binary,
  dataDir,
  port: fixedPort,
}: StartFerretDbOptions): Promise<FerretDbProcess> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const port = fixedPort ?? (await freeLoopbackPort());
  const child = spawn(
    binary,
    ['-listen', `127.0.0.1:${port}`, '-dir', dataDir, '-stop-on-stdin-close'],
    { stdio: ['pipe', 'ignore', 'pipe'] },
  );
  const output: string[] = [];
  // Read its log so the pipe never fills; the last lines explain a failed start.
  createInterface({ input: child.stderr }).on('line', (line) => {
    output.push(line);
    if (output.length > 5) output.shift();
  });
  const spawned = new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', reject);
  });
  await spawned;
  await waitUntilListening(child, port, output);
  return {
    uri: `mongodb://127.0.0.1:${port}/`,
    port,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill(signal);
      const forced = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
      await exited;
      clearTimeout(forced);
      child.stdin?.destroy();
    },
  };
}
