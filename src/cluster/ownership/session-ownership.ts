import { Fence } from './fence';

/** This instance may run the user's socket; writes for it carry `fence` when sessions are shared. */
export interface OwnershipGrant {
  /** Absent on a single instance, where nobody else can write. */
  readonly fence?: Fence;
}

export type OwnershipLossListener = (userId: string) => void;

/**
 * Which instance may run a user's socket. A single instance owns every
 * session; several instances share them through leases in MongoDB
 * (WHATSAPP_CLUSTER=on). The supervisor asks before it starts a socket and
 * ends the socket as ours (no count, credentials kept) when told it lost it.
 */
export abstract class SessionOwnership {
  /** Takes (or keeps) the user's session; null when another instance holds it. */
  abstract acquire(userId: string): Promise<OwnershipGrant | null>;

  /** True while this instance holds the user's session and its lease has not run out by our clock. */
  abstract mayRun(userId: string): boolean;

  /** Gives the session up (the socket is already ended), so another instance may take it at once. */
  abstract release(userId: string): Promise<void>;

  /** Gives every held session up (graceful shutdown, after the sockets ended). */
  abstract releaseAll(): Promise<void>;

  /** Called at once, synchronously, when a held session is lost (failed renewal, taken over). */
  abstract onLost(listener: OwnershipLossListener): () => void;

  /** Of these restorable users, the ones this instance should claim now (its fair share of the free ones). */
  abstract selectClaims(users: string[]): Promise<string[]>;

  /** Held sessions beyond this instance's fair share plus slack, to hand back (empty on a single instance). */
  abstract surplus(users: string[]): Promise<string[]>;

  /** The users whose sessions this instance holds now. */
  abstract heldUsers(): string[];

  /** True when another live instance holds the user's session (its stored status is then the truth). */
  abstract heldElsewhere(userId: string): Promise<boolean>;

  /**
   * Asks the owner of the user's session to hand it over to this instance;
   * resolves once this instance holds it (or null after `timeoutMs`).
   */
  abstract takeOver(
    userId: string,
    timeoutMs: number,
  ): Promise<OwnershipGrant | null>;
}
