/**
 * The edge's byte framing (server side of lib/Utils/noise-handler.js): the client opens with a 4-byte intro
 * ("WA", 6, DICT_VERSION), optionally preceded by edge routing info; then every frame is a 3-byte big-endian
 * length followed by the payload.
 */
import type { RawData } from 'ws';

const FRAME_LENGTH_BYTES = 3;
const WA_INTRO_LENGTH = 4;
const EDGE_ROUTING_PREFIX = 'ED';
const EDGE_ROUTING_FIXED_LENGTH = 7;

export const encodeFrame = (payload: Uint8Array): Buffer => {
  const frame = Buffer.alloc(FRAME_LENGTH_BYTES + payload.byteLength);
  frame.writeUIntBE(payload.byteLength, 0, FRAME_LENGTH_BYTES);
  frame.set(payload, FRAME_LENGTH_BYTES);
  return frame;
};

export const toBuffer = (data: RawData): Buffer => {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
};

/** Splits the client's byte stream into frames, dropping the one-time intro header first. */
export class FrameReader {
  private pending: Buffer = Buffer.alloc(0);
  private introSkipped = false;

  push(chunk: Buffer): Buffer[] {
    this.pending = Buffer.concat([this.pending, chunk]);
    if (!this.introSkipped && !this.skipIntro()) return [];
    const frames: Buffer[] = [];
    while (this.pending.length >= FRAME_LENGTH_BYTES) {
      const size = this.pending.readUIntBE(0, FRAME_LENGTH_BYTES);
      if (this.pending.length < FRAME_LENGTH_BYTES + size) break;
      frames.push(
        this.pending.subarray(FRAME_LENGTH_BYTES, FRAME_LENGTH_BYTES + size),
      );
      this.pending = this.pending.subarray(FRAME_LENGTH_BYTES + size);
    }
    return frames;
  }

  /** The intro is "WA" 6 3, or "ED" 0 1 len(3) routingInfo followed by it when the client has routing info. */
  private skipIntro(): boolean {
    let introLength = WA_INTRO_LENGTH;
    if (
      this.pending.subarray(0, 2).toString('latin1') === EDGE_ROUTING_PREFIX
    ) {
      if (this.pending.length < EDGE_ROUTING_FIXED_LENGTH) return false;
      const routingLength = this.pending.readUIntBE(4, 3);
      introLength = EDGE_ROUTING_FIXED_LENGTH + routingLength + WA_INTRO_LENGTH;
    }
    if (this.pending.length < introLength) return false;
    this.pending = this.pending.subarray(introLength);
    this.introSkipped = true;
    return true;
  }
}
