import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileCredentialStore } from './file-credential-store';
import { CREDENTIALS_FILE, SessionFiles } from './session-files';

describe('FileCredentialStore.hasCredentials', () => {
  let root: string;
  let files: SessionFiles;
  let store: FileCredentialStore;
  let diskChecks: jest.SpyInstance;

  const plant = async (userId: string) => {
    await mkdir(join(root, userId), { recursive: true, mode: 0o700 });
    await writeFile(join(root, userId, CREDENTIALS_FILE), '{}', {
      mode: 0o600,
    });
  };

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'file-credential-store-'));
    files = new SessionFiles({ sessionsDir: root });
    store = new FileCredentialStore(files);
    diskChecks = jest.spyOn(files, 'hasCredentials');
  });

  afterEach(async () => {
    jest.restoreAllMocks();
    await rm(root, { recursive: true, force: true });
  });

  it('checks the disk once for a user whose credentials are stored', async () => {
    await plant('u1');

    for (let i = 0; i < 3; i += 1)
      await expect(store.hasCredentials('u1')).resolves.toBe(true);
    expect(diskChecks).toHaveBeenCalledTimes(1);
  });

  it('keeps checking a user without credentials, and sees them once Baileys saved them', async () => {
    await expect(store.hasCredentials('u1')).resolves.toBe(false);
    await expect(store.hasCredentials('u1')).resolves.toBe(false);
    await plant('u1');

    await expect(store.hasCredentials('u1')).resolves.toBe(true);
    expect(diskChecks).toHaveBeenCalledTimes(3);
  });

  it('answers false after a delete, and remembers other users', async () => {
    await plant('u1');
    await plant('u2');
    await store.hasCredentials('u1');
    await store.hasCredentials('u2');

    await store.delete('u1');

    await expect(store.hasCredentials('u1')).resolves.toBe(false);
    await expect(store.hasCredentials('u2')).resolves.toBe(true);
  });

  it('does not remember a check that overlapped a delete', async () => {
    await plant('u1');
    let finishCheck!: (stored: boolean) => void;
    diskChecks.mockImplementationOnce(
      () => new Promise<boolean>((resolve) => (finishCheck = resolve)),
    );
    const overlapping = store.hasCredentials('u1');
    await store.delete('u1');
    // The check read the files before the delete removed them.
    finishCheck(true);
    await overlapping;

    await expect(store.hasCredentials('u1')).resolves.toBe(false);
  });
});
