import type { AuthenticationState } from '@whiskeysockets/baileys';
import type { Fence } from '../../cluster/ownership/fence';

/** One user's Baileys auth state, and how to persist its `creds` after each `creds.update`. */
export interface UserAuthState {
  state: AuthenticationState;
  saveCreds: () => Promise<void>;
}

/**
 * Where users' WhatsApp credentials live (Baileys creds and signal keys).
 * Nothing outside an implementation knows whether that is a folder per user
 * or MongoDB. Callers keep one ordering rule: credentials are deleted only
 * after the count reset that goes with the deletion is stored.
 */
export abstract class SessionCredentialStore {
  /** A short name for logs and health output (`files`, `mongodb`). */
  abstract readonly kind: string;

  /** Where credentials live, for the boot's listening line (never a secret). */
  abstract describe(): string;

  /**
   * The auth state a socket runs on; creates an empty one for a user who
   * never linked. With `fence` (several instances), its writes are refused
   * once the session has a newer owner.
   */
  abstract authStateFor(userId: string, fence?: Fence): Promise<UserAuthState>;

  /** True when the user has linked credentials, i.e. can reconnect without a QR. */
  abstract hasCredentials(userId: string): Promise<boolean>;

  /** Deletes every credential of the user. Idempotent. With `fence`, refused once the session has a newer owner. */
  abstract delete(userId: string, fence?: Fence): Promise<void>;

  abstract listUsersWithCredentials(): Promise<string[]>;

  /** Throws when the store cannot take writes (for the readiness probe). */
  abstract assertWritable(): Promise<void>;
}
