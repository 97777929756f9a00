/**
 * Where the edge puts stanzas for a companion device: straight onto its live connection, or kept until its
 * next login when it is offline (the real server's offline queue), in order.
 */
import type { BinaryNode } from '@whiskeysockets/baileys';
import type { EdgeConnection } from '../edge-connection';
import { markedOffline } from './message-stanzas';

export interface Switchboard {
  /** The live, logged-in connection of a device, if any. */
  liveConnection(deviceJid: string): EdgeConnection | undefined;
}

export class DeviceMailbox {
  private readonly waiting = new Map<string, BinaryNode[]>();

  constructor(private readonly switchboard: Switchboard) {}

  /** Resolves with the id of the connection the stanza went out on, or 0 when it waits for the next login. */
  async deliver(deviceJid: string, node: BinaryNode): Promise<number> {
    const conn = this.switchboard.liveConnection(deviceJid);
    if (conn) {
      await conn.sendNode(node);
      return conn.id;
    }
    this.waiting.set(deviceJid, [...(this.waiting.get(deviceJid) ?? []), node]);
    return 0;
  }

  /** Takes what waited for this device, marked offline, oldest first. */
  drain(deviceJid: string): BinaryNode[] {
    const queue = this.waiting.get(deviceJid) ?? [];
    this.waiting.delete(deviceJid);
    return queue.map(markedOffline);
  }
}
