/**
 * Server side of the Noise XX handshake and transport cipher, mirrored from lib/Utils/noise-handler.js:
 * ClientHello -> ServerHello{ephemeral, static, CertChain} -> ClientFinish{static, ClientPayload}; then
 * AES-GCM transport frames carrying encoded binary nodes.
 */
import {
  aesDecryptGCM,
  aesEncryptGCM,
  hkdf,
  NOISE_MODE,
  sha256,
} from '@whiskeysockets/baileys';

const gcmIv = (counter: number): Buffer => {
  const iv = Buffer.alloc(12);
  iv.writeUInt32BE(counter, 8);
  return iv;
};

/** Post-handshake cipher: independent counters per direction, no associated data. */
export class TransportCipher {
  private writeCounter = 0;
  private readCounter = 0;

  constructor(
    private readonly encryptKey: Uint8Array,
    private readonly decryptKey: Uint8Array,
  ) {}

  encrypt(plaintext: Uint8Array): Buffer {
    return aesEncryptGCM(
      plaintext,
      this.encryptKey,
      gcmIv(this.writeCounter++),
      Buffer.alloc(0),
    );
  }

  decrypt(ciphertext: Uint8Array): Buffer {
    return aesDecryptGCM(
      ciphertext,
      this.decryptKey,
      gcmIv(this.readCounter++),
      Buffer.alloc(0),
    );
  }
}

/** The symmetric state both Noise parties keep in lock-step during the handshake. */
export class NoiseSymmetricState {
  private hash: Buffer;
  private salt: Buffer;
  private key: Buffer;
  private counter = 0;

  constructor() {
    const mode = Buffer.from(NOISE_MODE);
    this.hash = mode.byteLength === 32 ? mode : sha256(mode);
    this.salt = this.hash;
    this.key = this.hash;
  }

  mixHash(data: Uint8Array): void {
    this.hash = sha256(Buffer.concat([this.hash, data]));
  }

  mixKey(sharedSecret: Uint8Array): void {
    const [salt, key] = this.expand(sharedSecret);
    this.salt = salt;
    this.key = key;
    this.counter = 0;
  }

  encryptAndHash(plaintext: Uint8Array): Buffer {
    const ciphertext = aesEncryptGCM(
      plaintext,
      this.key,
      gcmIv(this.counter++),
      this.hash,
    );
    this.mixHash(ciphertext);
    return ciphertext;
  }

  decryptAndHash(ciphertext: Uint8Array): Buffer {
    const plaintext = aesDecryptGCM(
      ciphertext,
      this.key,
      gcmIv(this.counter++),
      this.hash,
    );
    this.mixHash(ciphertext);
    return plaintext;
  }

  /** The client writes with the first half and reads with the second; the server mirrors it. */
  split(): TransportCipher {
    const [clientWrite, clientRead] = this.expand(new Uint8Array(0));
    return new TransportCipher(clientRead, clientWrite);
  }

  private expand(input: Uint8Array): [Buffer, Buffer] {
    const output = Buffer.from(hkdf(input, 64, { salt: this.salt, info: '' }));
    return [output.subarray(0, 32), output.subarray(32)];
  }
}
