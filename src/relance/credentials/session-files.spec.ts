import { BadRequestException } from '@nestjs/common';
import {
  chmod,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rm,
  stat,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, sep } from 'node:path';
import { CREDENTIALS_FILE, SessionFiles } from './session-files';

const mode = async (path: string) => (await stat(path)).mode & 0o777;

describe('SessionFiles', () => {
  let base: string;
  let root: string;
  let outside: string;
  let files: SessionFiles;

  beforeEach(async () => {
    base = await mkdtemp(join(tmpdir(), 'session-files-'));
    root = join(base, 'sessions');
    outside = join(base, 'outside');
    await mkdir(root, { mode: 0o700 });
    await mkdir(outside);
    await writeFile(join(outside, CREDENTIALS_FILE), 'canary', {
      mode: 0o644,
    });
    files = new SessionFiles({ sessionsDir: root });
  });

  afterEach(async () => {
    await rm(base, { recursive: true, force: true });
  });

  const plant = async (userId: string) => {
    const dir = join(root, userId);
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, CREDENTIALS_FILE), '{}');
    return dir;
  };
  const canaryIntact = async () =>
    expect(await readFile(join(outside, CREDENTIALS_FILE), 'utf8')).toBe(
      'canary',
    );

  describe('user ids that could leave the sessions folder', () => {
    const refused: Array<[string, string]> = [
      ['dot-dot', '..'],
      ['dot', '.'],
      ['a traversal', '../x'],
      ['a deep traversal', '../../etc/passwd'],
      ['a traversal inside a name', 'a/../../b'],
      ['a URL-encoded dot-dot', '%2e%2e'],
      ['a URL-encoded traversal', '%2e%2e%2fx'],
      ['a mixed encoding', '..%2f..%2fx'],
      ['a double-encoded dot-dot', '%252e%252e'],
      ['an encoded backslash', '..%5cx'],
      ['fullwidth dots', '\uff0e\uff0e'],
      ['a one-dot leader pair', '\u2024\u2024'],
      ['a two-dot leader', '\u2025'],
      ['a fullwidth solidus', '..\uff0fx'],
      ['a combining mark', 'e\u0301'],
      ['a right-to-left override', 'a\u202eb'],
      ['an accented letter', 'usér'],
      ['an absolute POSIX path', '/etc/passwd'],
      ['an absolute path to the root', '/'],
      ['a Windows drive path', 'C:\\Windows'],
      ['a UNC path', '\\\\server\\share'],
      ['a backslash traversal', '..\\x'],
      ['a NUL byte', 'a\u0000b'],
      ['a newline', 'a\nb'],
      ['a space', 'a b'],
      ['the empty string', ''],
      ['65 characters', 'x'.repeat(65)],
      ['a very long id', 'a'.repeat(10_000)],
    ];

    it.each(refused)('refuses %s', async (_name, userId) => {
      expect(() => files.dirFor(userId)).toThrow(BadRequestException);
      await expect(files.ensureDir(userId)).rejects.toThrow(
        BadRequestException,
      );
      await expect(files.hasCredentials(userId)).rejects.toThrow(
        BadRequestException,
      );
      await expect(files.delete(userId)).rejects.toThrow(BadRequestException);
      expect(await readdir(root)).toEqual([]);
      expect(await readdir(base)).toEqual(['outside', 'sessions']);
      await canaryIntact();
    });

    it.each(['user_1', 'A-b_9', 'x'.repeat(64), '-', '_'])(
      'maps %j to a folder directly inside the sessions folder',
      (userId) => {
        expect(files.dirFor(userId)).toBe(join(root, userId));
        expect(files.dirFor(userId).startsWith(root + sep)).toBe(true);
      },
    );
  });

  describe('permissions', () => {
    it('creates the sessions folder and the user folder as 0700', async () => {
      await rm(root, { recursive: true });
      const dir = await files.ensureDir('user_1');
      expect(await mode(root)).toBe(0o700);
      expect(await mode(dir)).toBe(0o700);
    });

    it('tightens an existing folder to 0700 and its files to 0600 when a session starts', async () => {
      const dir = await plant('user_1');
      await writeFile(join(dir, 'pre-key-1.json'), '{}');
      await chmod(dir, 0o755);
      await chmod(join(dir, CREDENTIALS_FILE), 0o644);
      await chmod(join(dir, 'pre-key-1.json'), 0o666);
      await files.ensureDir('user_1');
      expect(await mode(dir)).toBe(0o700);
      expect(await mode(join(dir, CREDENTIALS_FILE))).toBe(0o600);
      expect(await mode(join(dir, 'pre-key-1.json'))).toBe(0o600);
    });

    it('does not chmod through a symlink inside a user folder', async () => {
      const dir = await plant('user_1');
      await symlink(join(outside, CREDENTIALS_FILE), join(dir, 'link.json'));
      await files.ensureDir('user_1');
      expect(await mode(join(outside, CREDENTIALS_FILE))).toBe(0o644);
    });
  });

  describe('a symlink planted in the sessions folder pointing outside', () => {
    beforeEach(async () => {
      await symlink(outside, join(root, 'victim'), 'dir');
    });

    it('is not taken for stored credentials', async () => {
      expect(await files.hasCredentials('victim')).toBe(false);
    });

    it('is refused by ensureDir, which leaves the target alone', async () => {
      await expect(files.ensureDir('victim')).rejects.toThrow(
        /not a plain folder/,
      );
      expect(await mode(outside)).not.toBe(0o700);
      expect(await mode(join(outside, CREDENTIALS_FILE))).toBe(0o644);
      await canaryIntact();
    });

    it('is removed by delete, which leaves the target and the canary intact', async () => {
      await files.delete('victim');
      expect(await readdir(root)).toEqual([]);
      expect(await readdir(outside)).toEqual([CREDENTIALS_FILE]);
      await canaryIntact();
    });

    it('is skipped by listUsersWithCredentials', async () => {
      await plant('real_user');
      expect(await files.listUsersWithCredentials()).toEqual(['real_user']);
    });
  });

  describe('a symlinked creds.json inside a real user folder', () => {
    it('does not count as stored credentials', async () => {
      const dir = join(root, 'user_1');
      await mkdir(dir);
      await symlink(
        join(outside, CREDENTIALS_FILE),
        join(dir, CREDENTIALS_FILE),
      );
      expect(await files.hasCredentials('user_1')).toBe(false);
      expect(await files.listUsersWithCredentials()).toEqual([]);
      await files.delete('user_1');
      await canaryIntact();
    });
  });

  describe('listUsersWithCredentials', () => {
    it('lists only valid plain folders holding creds.json', async () => {
      await plant('with_creds');
      await mkdir(join(root, 'without_creds'));
      await mkdir(join(root, 'bad name'));
      await writeFile(join(root, 'bad name', CREDENTIALS_FILE), '{}');
      await writeFile(join(root, 'a_file'), '{}');
      expect(await files.listUsersWithCredentials()).toEqual(['with_creds']);
    });

    it('answers [] when the sessions folder does not exist yet', async () => {
      await rm(root, { recursive: true });
      expect(await files.listUsersWithCredentials()).toEqual([]);
    });
  });

  it('delete is idempotent and removes only that user', async () => {
    await plant('user_1');
    await plant('user_2');
    await files.delete('user_1');
    await files.delete('user_1');
    expect(await readdir(root)).toEqual(['user_2']);
  });
});
