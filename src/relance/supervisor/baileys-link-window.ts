import {
  getBinaryNodeChild,
  getBinaryNodeChildren,
  type BinaryNode,
} from '@whiskeysockets/baileys';

/** Baileys' own QR timing when no qrTimeout is given (genPairQR in lib/Socket/socket.js). */
const FIRST_QR_MS = 60_000;
const LATER_QR_MS = 20_000;

/**
 * How long a registering socket can still be linked. The server hands it
 * refs (its `pair-device` iq), Baileys shows one QR per ref for qrTimeout
 * (60 s for the first and 20 s for the others by default) and closes with 408
 * once they run out. A pairing code issued on that socket dies with it.
 */
export class LinkWindow {
  private closes?: Date;

  constructor(private readonly qrTimeoutMs?: number) {}

  /** The server's pair-device iq: the registration starts with its refs. */
  open(pairDevice: BinaryNode, at = Date.now()): void {
    const refs = getBinaryNodeChildren(
      getBinaryNodeChild(pairDevice, 'pair-device'),
      'ref',
    ).length;
    if (refs === 0) return;
    const first = this.qrTimeoutMs ?? FIRST_QR_MS;
    const later = this.qrTimeoutMs ?? LATER_QR_MS;
    this.closes = new Date(at + first + (refs - 1) * later);
  }

  /** Undefined until the socket has started registering (shown its first QR). */
  get closesAt(): Date | undefined {
    return this.closes;
  }
}

/** Baileys returns the 8 characters; WhatsApp shows them, and users type them, as `ABCD-EFGH`. */
export function displayPairingCode(code: string): string {
  return `${code.slice(0, 4)}-${code.slice(4)}`;
}
