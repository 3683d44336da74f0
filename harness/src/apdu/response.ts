import { toHex } from './hex.js';

/** A response APDU: data and the two status bytes. */
export class ResponseApdu {
  readonly data: Uint8Array;
  readonly sw: number;

  constructor(bytes: Uint8Array) {
    if (bytes.length < 2) {
      throw new RangeError(`a response needs at least SW1 SW2, got ${bytes.length} bytes`);
    }
    this.data = bytes.subarray(0, bytes.length - 2);
    this.sw = (bytes[bytes.length - 2]! << 8) | bytes[bytes.length - 1]!;
  }

  get sw1(): number {
    return this.sw >> 8;
  }

  get sw2(): number {
    return this.sw & 0xff;
  }

  get swHex(): string {
    return formatSw(this.sw);
  }

  get ok(): boolean {
    return this.sw === 0x9000;
  }

  toString(): string {
    return this.data.length > 0 ? `${toHex(this.data)} ${this.swHex}` : this.swHex;
  }
}

export function formatSw(sw: number): string {
  return sw.toString(16).toUpperCase().padStart(4, '0');
}
