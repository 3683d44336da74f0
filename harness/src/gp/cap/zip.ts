/** A minimal ZIP reader for CAP files: central directory, stored and deflated entries. */
import { inflateRawSync } from 'node:zlib';
import { CapFormatError } from '../errors.js';

export interface ZipEntry {
  readonly name: string;
  readonly data: Uint8Array;
}

function u16(b: Uint8Array, o: number): number {
  return b[o]! | (b[o + 1]! << 8);
}
function u32(b: Uint8Array, o: number): number {
  return (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16)) + b[o + 3]! * 0x1000000;
}

export function readZip(bytes: Uint8Array): ZipEntry[] {
  // End of central directory: signature 06054b50, searched from the end (a comment may follow it).
  let eocd = -1;
  for (let i = bytes.length - 22; i >= Math.max(0, bytes.length - 22 - 0xffff); i--) {
    if (u32(bytes, i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new CapFormatError('not a ZIP file (no end of central directory): a CAP file is a JAR/ZIP archive');
  const count = u16(bytes, eocd + 10);
  let offset = u32(bytes, eocd + 16);
  const entries: ZipEntry[] = [];
  for (let n = 0; n < count; n++) {
    if (offset + 46 > bytes.length || u32(bytes, offset) !== 0x02014b50) throw new CapFormatError('ZIP central directory is damaged');
    const method = u16(bytes, offset + 10);
    const compressedSize = u32(bytes, offset + 20);
    const size = u32(bytes, offset + 24);
    const nameLength = u16(bytes, offset + 28);
    const extraLength = u16(bytes, offset + 30);
    const commentLength = u16(bytes, offset + 32);
    const local = u32(bytes, offset + 42);
    const name = Buffer.from(bytes.subarray(offset + 46, offset + 46 + nameLength)).toString('utf8');
    offset += 46 + nameLength + extraLength + commentLength;
    if (name.endsWith('/')) continue;
    if (local + 30 > bytes.length || u32(bytes, local) !== 0x04034b50) throw new CapFormatError(`ZIP entry ${name}: bad local header`);
    const start = local + 30 + u16(bytes, local + 26) + u16(bytes, local + 28);
    if (start + compressedSize > bytes.length) throw new CapFormatError(`ZIP entry ${name} is truncated`);
    const raw = bytes.subarray(start, start + compressedSize);
    let data: Uint8Array;
    if (method === 0) data = raw;
    else if (method === 8) {
      try {
        data = new Uint8Array(inflateRawSync(raw));
      } catch (e) {
        throw new CapFormatError(`ZIP entry ${name} does not inflate: ${(e as Error).message}`);
      }
    } else throw new CapFormatError(`ZIP entry ${name}: compression method ${method} is not supported`);
    if (data.length !== size) throw new CapFormatError(`ZIP entry ${name}: size ${data.length}, directory says ${size}`);
    entries.push({ name, data });
  }
  return entries;
}
