import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  OWNER_ONLY_UMASK,
  restrictNewFilePermissions,
} from './file-permissions';

describe('restrictNewFilePermissions', () => {
  let saved: number;
  let dir: string;

  beforeEach(async () => {
    saved = process.umask(0o022);
    dir = await mkdtemp(join(tmpdir(), 'umask-'));
  });

  afterEach(async () => {
    process.umask(saved);
    await rm(dir, { recursive: true, force: true });
  });

  it('makes files written with default modes (as Baileys does) 0600 and folders 0700', async () => {
    restrictNewFilePermissions();
    expect(process.umask()).toBe(OWNER_ONLY_UMASK);
    // useMultiFileAuthState calls writeFile(path, data) and mkdir(path, { recursive: true }).
    await writeFile(join(dir, 'creds.json'), '{}');
    await mkdir(join(dir, 'sub'), { recursive: true });
    expect((await stat(join(dir, 'creds.json'))).mode & 0o777).toBe(0o600);
    expect((await stat(join(dir, 'sub'))).mode & 0o777).toBe(0o700);
  });
});
