/** Certificate serial numbers as the test JPKI system stores them: upper-case hex, no leading zero bytes. */
import { randomBytes } from 'node:crypto';

/** A positive 16-byte serial whose first byte is neither zero nor has its top bit set. */
export function randomSerial(): string {
  const serial = randomBytes(16);
  serial[0] = (serial[0]! & 0x7f) | 0x01;
  return serial.toString('hex').toUpperCase();
}

/** Canonical form of a serial given as hex (any case, optional colons, leading zero bytes). */
export function normaliseSerial(hex: string): string {
  let s = hex.replace(/[:\s]/g, '').toUpperCase();
  if (s.length % 2 === 1) s = '0' + s;
  while (s.length > 2 && s.startsWith('00')) s = s.slice(2);
  return s;
}

/** Canonical form of a serial given as the INTEGER's content bytes. */
export function serialFromBytes(bytes: ArrayBuffer | Uint8Array): string {
  return normaliseSerial(Buffer.from(bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes)).toString('hex'));
}

export function isSerial(value: string): boolean {
  return /^[0-9A-Fa-f:]{1,64}$/.test(value);
}
