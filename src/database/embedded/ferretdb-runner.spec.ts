import { createHash } from 'node:crypto';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ferretDbRunnerBinary,
  ferretDbRunnerKey,
  ferretDbRunnerSourceDir,
  FerretDbRunnerUnavailableError,
} from './ferretdb-runner';

describe('the FerretDB runner cache', () => {
  let cacheDir: string;
  const savedPath = process.env.PATH;

  beforeEach(async () => {
    cacheDir = await mkdtemp(join(tmpdir(), 'runner-cache-'));
  });

  afterEach(async () => {
    process.env.PATH = savedPath;
    await rm(cacheDir, { recursive: true, force: true });
  });

  it("keys the binary by the source's content, as .ci/run does (cat main.go go.mod go.sum | sha256sum)", async () => {
    const source = ferretDbRunnerSourceDir();
    const hash = createHash('sha256');
    for (const file of ['main.go', 'go.mod', 'go.sum']) {
      hash.update(await readFile(join(source, file)));
    }
    expect(await ferretDbRunnerKey()).toBe(hash.digest('hex').slice(0, 16));
  });

  it('uses a runner already in the cache, without needing Go', async () => {
    const binary = join(
      cacheDir,
      `ferretdb-runner-${await ferretDbRunnerKey()}`,
    );
    await writeFile(binary, '#!/bin/sh\n');
    await chmod(binary, 0o700);
    process.env.PATH = '/nonexistent';

    await expect(
      ferretDbRunnerBinary({ cacheDir, log: () => undefined }),
    ).resolves.toBe(binary);
  });

  it('says Go is missing when nothing is cached and `go` is not on the PATH', async () => {
    process.env.PATH = '/nonexistent';

    const failure = ferretDbRunnerBinary({ cacheDir, log: () => undefined });

    await expect(failure).rejects.toBeInstanceOf(
      FerretDbRunnerUnavailableError,
    );
    await expect(failure).rejects.toThrow(/^Go is not installed/);
  });
});
