import { HarnessError } from '../errors.js';
import { concatBytes, toHex } from './hex.js';

/** An ISO 7816-4 command APDU. `ne` is the expected response length: undefined for none, 256 (short) or 65536 (extended) for "all". */
export interface CommandApdu {
  readonly cla: number;
  readonly ins: number;
  readonly p1: number;
  readonly p2: number;
  readonly data?: Uint8Array;
  readonly ne?: number;
}

/** Fields that do not make a command APDU (a byte out of range, data too long): the caller's input, exit code 2. */
export class ApduEncodingError extends HarnessError {
  readonly exitCode = 2;
}

function checkByte(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 0 || value > 0xff) {
    throw new ApduEncodingError(`${name} must be a byte, got ${value}`);
  }
}

/**
 * Encodes a command in the short form when it fits (Nc ≤ 255, Ne ≤ 256) and in the
 * extended form otherwise, or always when `extended` is set. Cases 1–4 per ISO 7816-3.
 */
export function encodeCommand(command: CommandApdu, options: { extended?: boolean } = {}): Uint8Array {
  checkByte('CLA', command.cla);
  checkByte('INS', command.ins);
  checkByte('P1', command.p1);
  checkByte('P2', command.p2);
  const header = Uint8Array.of(command.cla, command.ins, command.p1, command.p2);
  const data = command.data ?? new Uint8Array(0);
  const nc = data.length;
  const ne = command.ne;
  if (nc > 65535) throw new ApduEncodingError(`command data too long: ${nc} bytes`);
  if (ne !== undefined && (!Number.isInteger(ne) || ne < 1 || ne > 65536)) {
    throw new ApduEncodingError(`Ne must be 1..65536, got ${ne}`);
  }
  const extended = options.extended === true || nc > 255 || (ne !== undefined && ne > 256);
  if (!extended) {
    const lc = nc > 0 ? Uint8Array.of(nc) : new Uint8Array(0);
    const le = ne !== undefined ? Uint8Array.of(ne === 256 ? 0 : ne) : new Uint8Array(0);
    return concatBytes(header, lc, data, le);
  }
  const lc = nc > 0 ? Uint8Array.of(0, nc >> 8, nc & 0xff) : new Uint8Array(0);
  let le = new Uint8Array(0);
  if (ne !== undefined) {
    const v = ne === 65536 ? 0 : ne;
    le = nc > 0 ? Uint8Array.of(v >> 8, v & 0xff) : Uint8Array.of(0, v >> 8, v & 0xff);
  }
  return concatBytes(header, lc, data, le);
}

/** A short description for logs: the header and the body length, never the body. */
export function describeCommand(bytes: Uint8Array): string {
  return `${toHex(bytes.subarray(0, 4))} (${bytes.length} bytes)`;
}

/**
 * Decodes a command APDU (short or extended form, cases 1–4) into its parts; the inverse of
 * encodeCommand. `extended` tells which form the bytes used.
 */
export function decodeCommand(bytes: Uint8Array): CommandApdu & { readonly extended: boolean } {
  if (bytes.length < 4) throw new ApduEncodingError(`a command APDU has at least 4 bytes, got ${bytes.length}`);
  const [cla, ins, p1, p2] = [bytes[0]!, bytes[1]!, bytes[2]!, bytes[3]!];
  const body = bytes.subarray(4);
  const head = { cla, ins, p1, p2 };
  if (body.length === 0) return { ...head, extended: false };
  if (body.length === 1) return { ...head, ne: body[0] === 0 ? 256 : body[0]!, extended: false };
  if (body[0] !== 0 || body.length === 1 + body[0] || body.length === 2 + body[0]) {
    // short form: Lc data [Le]
    const nc = body[0]!;
    if (nc === 0) throw new ApduEncodingError('short Lc of 0 is not allowed');
    if (body.length === 1 + nc) return { ...head, data: body.subarray(1), extended: false };
    if (body.length === 2 + nc) {
      const le = body[1 + nc]!;
      return { ...head, data: body.subarray(1, 1 + nc), ne: le === 0 ? 256 : le, extended: false };
    }
    throw new ApduEncodingError(`Lc says ${nc} data bytes but the body has ${body.length} bytes`);
  }
  // extended form: 00 then either Le (2 bytes) or Lc (2 bytes) data [Le (2 bytes)]
  if (body.length === 3) {
    const le = (body[1]! << 8) | body[2]!;
    return { ...head, ne: le === 0 ? 65536 : le, extended: true };
  }
  const nc = (body[1]! << 8) | body[2]!;
  if (nc === 0) throw new ApduEncodingError('extended Lc of 0 is not allowed');
  if (body.length === 3 + nc) return { ...head, data: body.subarray(3, 3 + nc), extended: true };
  if (body.length === 5 + nc) {
    const le = (body[3 + nc]! << 8) | body[4 + nc]!;
    return { ...head, data: body.subarray(3, 3 + nc), ne: le === 0 ? 65536 : le, extended: true };
  }
  throw new ApduEncodingError(`extended Lc says ${nc} data bytes but the body has ${body.length} bytes`);
}
