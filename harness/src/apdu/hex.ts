/** Hex helpers. Spaces are allowed between bytes on input; output is upper case without spaces. */
import { HarnessError } from '../errors.js';

const HEX_DIGITS = /^[0-9a-fA-F]*$/;

/** Text that should be hex and is not: the caller's input, so a usage error (exit code 2). */
export class HexFormatError extends HarnessError {
  readonly exitCode = 2;
}

export function parseHex(text: string): Uint8Array {
  const compact = text.replace(/[\s:]/g, '');
  if (!HEX_DIGITS.test(compact)) {
    const bad = compact.match(/[^0-9a-fA-F]/)?.[0] ?? '?';
    throw new HexFormatError(`not hex: unexpected character '${bad}'`);
  }
  if (compact.length % 2 !== 0) {
    throw new HexFormatError(`odd number of hex digits (${compact.length})`);
  }
  return Uint8Array.from(Buffer.from(compact, 'hex'));
}

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex').toUpperCase();
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
