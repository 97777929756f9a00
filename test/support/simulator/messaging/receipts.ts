/**
 * Sends the acks and receipts due to a user's devices, or holds them back while the test withholds them
 * (AckGate), and logs each either way. Receipts go to every linked device of the user, as the real edge
 * does; devices that are offline get them at their next login.
 */
import type { BinaryNode } from '@whiskeysockets/baileys';
import type { PhoneDirectory } from '../phone-directory';
import type { EventLog } from '../sim-events';
import type { AckKind, SimUser } from '../sim-types';
import { AckGate, type Send } from './ack-gate';
import type { DeviceMailbox } from './device-mailbox';

export interface AckSpec {
  /** The connection that caused it, 0 when none did (e.g. markRead). */
  readonly conn: number;
  readonly kind: AckKind;
  /** Whose device(s) get it. */
  readonly user: SimUser;
  /** Whose receipt it is; absent for the server's own ack. */
  readonly from?: SimUser;
  readonly ids: readonly string[];
  readonly send: Send;
}

export class Receipts {
  private readonly gate = new AckGate();

  constructor(
    private readonly phones: PhoneDirectory,
    private readonly log: EventLog,
    private readonly mailbox: DeviceMailbox,
  ) {}

  async send(spec: AckSpec): Promise<void> {
    const { send, ...fields } = spec;
    const sent = await this.gate.pass(spec.user, spec.kind, async () => {
      await send();
      this.log.record({ type: 'ack', ...fields });
    });
    if (!sent) this.log.record({ type: 'ack-withheld', ...fields });
  }

  /** A receipt stanza for every linked device of `user`. */
  async toDevicesOf(user: SimUser, node: BinaryNode): Promise<void> {
    for (const device of this.phones.companionsOf(user)) {
      await this.mailbox.deliver(device.jid, node);
    }
  }

  withhold(user: SimUser, kinds: readonly AckKind[]): void {
    this.gate.withhold(user, kinds);
  }

  async release(user: SimUser): Promise<void> {
    for (const send of this.gate.release(user)) await send();
  }
}
