import { BadRequestException, Inject, Injectable } from '@nestjs/common';
import type { ConfigType } from '@nestjs/config';
import { Dirent } from 'node:fs';
import { chmod, lstat, mkdir, readdir, rm } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import { USER_ID_PATTERN } from '../../auth/authenticated-user';
import { whatsappConfig } from '../../config/whatsapp.config';

export const CREDENTIALS_FILE = 'creds.json';

async function lstatOrUndefined(path: string) {
  try {
    return await lstat(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/**
 * Where each user's Baileys files live: `${WHATSAPP_SESSIONS_DIR}/${userId}`.
 * Every path is built from a validated user id and checked to stay inside the
 * sessions folder; a planted symlink is never followed.
 */
@Injectable()
export class SessionFiles {
  constructor(
    @Inject(whatsappConfig.KEY)
    private readonly config: Pick<
      ConfigType<typeof whatsappConfig>,
      'sessionsDir'
    >,
  ) {}

  get root(): string {
    return resolve(this.config.sessionsDir);
  }

  /** The user's folder; throws for any id that could leave the sessions folder. */
  dirFor(userId: string): string {
    if (!USER_ID_PATTERN.test(userId)) {
      throw new BadRequestException('Invalid user id');
    }
    const dir = resolve(this.root, userId);
    if (!dir.startsWith(this.root + sep)) {
      throw new BadRequestException('Invalid user id');
    }
    return dir;
  }

  /**
   * Creates the user's folder (0700) and returns it; refuses a symlink in its
   * place. Files already inside are set to 0600 (see restrictFiles).
   */
  async ensureDir(userId: string): Promise<string> {
    const dir = this.dirFor(userId);
    await mkdir(this.root, { recursive: true, mode: 0o700 });
    const existing = await lstatOrUndefined(dir);
    if (existing && !existing.isDirectory()) {
      throw new Error(
        `Session path for user ${userId} is not a plain folder; refusing to use it`,
      );
    }
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await chmod(dir, 0o700);
    await this.restrictFiles(dir);
    return dir;
  }

  /**
   * Sets every regular file in the folder to 0600. Baileys writes with the
   * process umask, so files left by a process without main.ts's umask (an
   * older version, a copy, a restore from backup) may be group/world readable.
   * Symlinks and sub-folders are left alone: chmod would follow a link.
   */
  private async restrictFiles(dir: string): Promise<void> {
    const entries = await readdir(dir, { withFileTypes: true });
    await Promise.all(
      entries
        .filter((entry) => entry.isFile())
        .map((entry) =>
          chmod(join(dir, entry.name), 0o600).catch((error: unknown) => {
            // A file Baileys replaced or removed meanwhile needs no chmod.
            if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
          }),
        ),
    );
  }

  /** True when the user has stored credentials, i.e. can reconnect without a QR. */
  async hasCredentials(userId: string): Promise<boolean> {
    const dir = this.dirFor(userId);
    const folder = await lstatOrUndefined(dir);
    if (!folder?.isDirectory()) return false;
    const creds = await lstatOrUndefined(join(dir, CREDENTIALS_FILE));
    return creds?.isFile() ?? false;
  }

  /** Deletes the user's session files. Idempotent; a symlink is removed, never its target. */
  async delete(userId: string): Promise<void> {
    await rm(this.dirFor(userId), { recursive: true, force: true });
  }

  /** Users whose folder holds credentials, skipping anything that is not a valid plain folder. */
  async listUsersWithCredentials(): Promise<string[]> {
    let entries: Dirent[];
    try {
      entries = await readdir(this.root, { withFileTypes: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const candidates = entries
      .filter(
        (entry) => entry.isDirectory() && USER_ID_PATTERN.test(entry.name),
      )
      .map((entry) => entry.name);
    const stored = await Promise.all(
      candidates.map(async (userId) =>
        (await this.hasCredentials(userId)) ? userId : undefined,
      ),
    );
    return stored.filter((userId): userId is string => userId !== undefined);
  }
}
