import { initAuthCreds } from '@whiskeysockets/baileys';
import {
  SessionCredentialStore,
  UserAuthState,
} from '../../src/relance/credentials/session-credential-store';

/** The credential-store port in memory, for unit specs: users are "linked" by `plant`. */
export class InMemoryCredentialStore extends SessionCredentialStore {
  readonly kind = 'memory';

  describe(): string {
    return 'in memory (tests)';
  }
  private readonly linked = new Set<string>();
  readonly deletions: string[] = [];

  plant(userId: string): void {
    this.linked.add(userId);
  }

  has(userId: string): boolean {
    return this.linked.has(userId);
  }

  authStateFor(): Promise<UserAuthState> {
    return Promise.resolve({
      state: {
        creds: initAuthCreds(),
        keys: { get: () => Promise.resolve({}), set: () => Promise.resolve() },
      },
      saveCreds: () => Promise.resolve(),
    });
  }

  hasCredentials(userId: string): Promise<boolean> {
    return Promise.resolve(this.linked.has(userId));
  }

  delete(userId: string): Promise<void> {
    this.deletions.push(userId);
    this.linked.delete(userId);
    return Promise.resolve();
  }

  listUsersWithCredentials(): Promise<string[]> {
    return Promise.resolve([...this.linked]);
  }

  assertWritable(): Promise<void> {
    return Promise.resolve();
  }
}
