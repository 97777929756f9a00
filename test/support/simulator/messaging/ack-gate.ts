/**
 * Decides whether an ack or receipt due to a user goes out now or is held back (WaSimulator.withholdAcks),
 * so tests can make a message wait for its SERVER_ACK / DELIVERY_ACK / READ, then release it.
 */
import type { AckKind, SimUser } from '../sim-types';

export type Send = () => Promise<void>;

export class AckGate {
  private readonly withheld = new Map<SimUser, ReadonlySet<AckKind>>();
  private readonly held = new Map<SimUser, Send[]>();

  withhold(user: SimUser, kinds: readonly AckKind[]): void {
    this.withheld.set(user, new Set(kinds));
  }

  isWithheld(user: SimUser, kind: AckKind): boolean {
    return this.withheld.get(user)?.has(kind) ?? false;
  }

  /** Runs `send` now unless `kind` is withheld for `user`; then keeps it for release(). */
  async pass(user: SimUser, kind: AckKind, send: Send): Promise<boolean> {
    if (!this.isWithheld(user, kind)) {
      await send();
      return true;
    }
    this.held.set(user, [...(this.held.get(user) ?? []), send]);
    return false;
  }

  /** Stops withholding for `user`; returns what was held, oldest first, for the caller to send. */
  release(user: SimUser): Send[] {
    this.withheld.delete(user);
    const held = this.held.get(user) ?? [];
    this.held.delete(user);
    return held;
  }
}
