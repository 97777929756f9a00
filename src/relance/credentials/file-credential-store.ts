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
  /** Users whose credentials were seen on disk since the last delete. */
  private readonly seenStored = new Set<string>();
  /** Counts deletes, so a check that overlapped one is not remembered. */
  private deletions = 0;

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

  /**
   * Answered from memory once the files were seen (GET /status asks on every
   * call, and each check is two lstat calls). Only "stored" is remembered: the
   * files appear when Baileys saves them, which the next check sees, and they
   * go only through delete() below. A check that overlapped a delete is not
   * remembered.
   */
  async hasCredentials(userId: string): Promise<boolean> {
    if (this.seenStored.has(userId)) return true;
    const deletionsBefore = this.deletions;
    const stored = await this.files.hasCredentials(userId);
    if (stored && this.deletions === deletionsBefore)
      this.seenStored.add(userId);
    return stored;
  }

  async delete(userId: string): Promise<void> {
    this.forget(userId);
    try {
      await this.files.delete(userId);
    } finally {
      this.forget(userId);
    }
  }

  private forget(userId: string): void {
    this.seenStored.delete(userId);
    this.deletions += 1;
  }

  listUsersWithCredentials(): Promise<string[]> {
    return this.files.listUsersWithCredentials();
  }

  async assertWritable(): Promise<void> {
    await mkdir(this.files.root, { recursive: true, mode: 0o700 });
    await access(this.files.root, constants.W_OK);
  }
}
