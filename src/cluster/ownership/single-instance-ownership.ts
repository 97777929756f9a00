import { Injectable } from '@nestjs/common';
import { OwnershipGrant, SessionOwnership } from './session-ownership';

const OWNED: OwnershipGrant = {};

/** The default: one process owns every session, so every answer is "yours" and nothing is ever lost. */
@Injectable()
export class SingleInstanceOwnership extends SessionOwnership {
  acquire(): Promise<OwnershipGrant> {
    return Promise.resolve(OWNED);
  }

  mayRun(): boolean {
    return true;
  }

  release(): Promise<void> {
    return Promise.resolve();
  }

  releaseAll(): Promise<void> {
    return Promise.resolve();
  }

  onLost(): () => void {
    return () => undefined;
  }

  selectClaims(users: string[]): Promise<string[]> {
    return Promise.resolve(users);
  }

  surplus(): Promise<string[]> {
    return Promise.resolve([]);
  }

  /** Nothing to hand back on a single instance: it holds no lease. */
  heldUsers(): string[] {
    return [];
  }

  heldElsewhere(): Promise<boolean> {
    return Promise.resolve(false);
  }

  takeOver(): Promise<OwnershipGrant> {
    return Promise.resolve(OWNED);
  }
}
