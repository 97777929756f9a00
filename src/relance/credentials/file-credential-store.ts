import { Injectable } from '@nestjs/common';
import { useMultiFileAuthState } from '@whiskeysockets/baileys';
import { constants } from 'node:fs';
import { access, mkdir } from 'node:fs/promises';
import {
  SessionCredentialStore,
  UserAuthState,
} from './session-credential-store';
import { SessionFiles } from './session-files';

/**
 * The default store: one folder per user (see SessionFiles for the path and
 * permission rules) holding Baileys' multi-file auth state.
 */
@Injectable()
export class FileCredentialStore extends SessionCredentialStore {
  readonly kind = 'files';

  describe(): string {
    return `in files under ${this.files.root}`;
  }

  constructor(private readonly files: SessionFiles) {
    super();
  }

  /**
   * No fence: a folder is one machine's disk, and WHATSAPP_CLUSTER=on
   * refuses to start with this store, so no other instance ever writes it.
   */
  async authStateFor(userId: string): Promise<UserAuthState> {
    // The folder is 0700 and the files already in it 0600 (ensureDir); files
    // Baileys writes from now on are 0600 through the umask set in main.ts.
    const dir = await this.files.ensureDir(userId);
    return useMultiFileAuthState(dir);
  }

  hasCredentials(userId: string): Promise<boolean> {
    return this.files.hasCredentials(userId);
  }

  delete(userId: string): Promise<void> {
    return this.files.delete(userId);
  }

  listUsersWithCredentials(): Promise<string[]> {
    return this.files.listUsersWithCredentials();
  }

  async assertWritable(): Promise<void> {
    await mkdir(this.files.root, { recursive: true, mode: 0o700 });
    await access(this.files.root, constants.W_OK);
  }
}
