/**
 * Block-cipher primitives of the GlobalPlatform secure channels.
 *
 * Single DES is not offered by Node's default OpenSSL provider. It is computed here as two-key
 * triple DES with equal halves (K || K), which is EDE with K1 = K2 and therefore exactly DES(K):
 * the known-answer tests check this against published single-DES vectors and against node-forge.
 */
import { createCipheriv, createDecipheriv, randomBytes, timingSafeEqual } from 'node:crypto';
import { concatBytes } from '../apdu/hex.js';
import { GpCryptoError } from './errors.js';

function checkLength(name: string, bytes: Uint8Array, allowed: readonly number[]): void {
  if (!allowed.includes(bytes.length)) {
    throw new GpCryptoError(`${name} must be ${allowed.join(' or ')} bytes, got ${bytes.length}`);
  }
}

function checkBlocks(data: Uint8Array, block: number): void {
  if (data.length % block !== 0) throw new GpCryptoError(`data length ${data.length} is not a multiple of ${block}`);
}

function run(algorithm: string, key: Uint8Array, iv: Uint8Array | null, data: Uint8Array, encrypt: boolean): Uint8Array {
  const cipher = encrypt ? createCipheriv(algorithm, key, iv) : createDecipheriv(algorithm, key, iv);
  cipher.setAutoPadding(false);
  const out = Buffer.concat([cipher.update(data), cipher.final()]);
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}

/** A 16-byte (two-key) or 24-byte (three-key) triple-DES key as OpenSSL wants it. */
function tdesAlgorithm(key: Uint8Array, mode: 'ecb' | 'cbc'): string {
  checkLength('3DES key', key, [16, 24]);
  if (key.length === 16) return mode === 'ecb' ? 'des-ede-ecb' : 'des-ede-cbc';
  return mode === 'ecb' ? 'des-ede3-ecb' : 'des-ede3-cbc';
}

export const ZERO_IV_8 = new Uint8Array(8);
export const ZERO_IV_16 = new Uint8Array(16);

/** Single DES, ECB, no padding. Computed as 3DES with K || K. */
export function desEcbEncrypt(key: Uint8Array, data: Uint8Array): Uint8Array {
  checkLength('DES key', key, [8]);
  checkBlocks(data, 8);
  return run('des-ede-ecb', concatBytes(key, key), null, data, true);
}

export function desEcbDecrypt(key: Uint8Array, data: Uint8Array): Uint8Array {
  checkLength('DES key', key, [8]);
  checkBlocks(data, 8);
  return run('des-ede-ecb', concatBytes(key, key), null, data, false);
}

/** Single DES, CBC, no padding. */
export function desCbcEncrypt(key: Uint8Array, data: Uint8Array, iv: Uint8Array = ZERO_IV_8): Uint8Array {
  checkLength('DES key', key, [8]);
  checkBlocks(data, 8);
  return run('des-ede-cbc', concatBytes(key, key), iv, data, true);
}

export function tdesEcbEncrypt(key: Uint8Array, data: Uint8Array): Uint8Array {
  checkBlocks(data, 8);
  return run(tdesAlgorithm(key, 'ecb'), key, null, data, true);
}

export function tdesEcbDecrypt(key: Uint8Array, data: Uint8Array): Uint8Array {
  checkBlocks(data, 8);
  return run(tdesAlgorithm(key, 'ecb'), key, null, data, false);
}

export function tdesCbcEncrypt(key: Uint8Array, data: Uint8Array, iv: Uint8Array = ZERO_IV_8): Uint8Array {
  checkBlocks(data, 8);
  return run(tdesAlgorithm(key, 'cbc'), key, iv, data, true);
}

export function tdesCbcDecrypt(key: Uint8Array, data: Uint8Array, iv: Uint8Array = ZERO_IV_8): Uint8Array {
  checkBlocks(data, 8);
  return run(tdesAlgorithm(key, 'cbc'), key, iv, data, false);
}

function aesAlgorithm(key: Uint8Array, mode: 'ecb' | 'cbc'): string {
  checkLength('AES key', key, [16, 24, 32]);
  return `aes-${key.length * 8}-${mode}`;
}

export function aesEcbEncrypt(key: Uint8Array, data: Uint8Array): Uint8Array {
  checkBlocks(data, 16);
  return run(aesAlgorithm(key, 'ecb'), key, null, data, true);
}

export function aesCbcEncrypt(key: Uint8Array, data: Uint8Array, iv: Uint8Array = ZERO_IV_16): Uint8Array {
  checkBlocks(data, 16);
  return run(aesAlgorithm(key, 'cbc'), key, iv, data, true);
}

export function aesCbcDecrypt(key: Uint8Array, data: Uint8Array, iv: Uint8Array = ZERO_IV_16): Uint8Array {
  checkBlocks(data, 16);
  return run(aesAlgorithm(key, 'cbc'), key, iv, data, false);
}

/** ISO/IEC 9797-1 padding method 2: 80 then zeros up to the block size (always adds at least one byte). */
export function pad80(data: Uint8Array, block: number): Uint8Array {
  const length = (Math.floor(data.length / block) + 1) * block;
  const out = new Uint8Array(length);
  out.set(data);
  out[data.length] = 0x80;
  return out;
}

/** Removes ISO/IEC 9797-1 method 2 padding; throws when the padding is malformed. */
export function unpad80(data: Uint8Array): Uint8Array {
  let i = data.length - 1;
  while (i >= 0 && data[i] === 0x00) i--;
  if (i < 0 || data[i] !== 0x80) throw new GpCryptoError('bad padding: no 80 marker');
  return data.subarray(0, i);
}

function xorInto(target: Uint8Array, other: Uint8Array): void {
  for (let i = 0; i < target.length; i++) target[i]! ^= other[i]!;
}

/**
 * ISO/IEC 9797-1 MAC algorithm 3 ("retail MAC") with single-DES chaining and a final 3DES block,
 * as SCP02 uses for C-MAC and R-MAC. `data` must already be padded to 8 bytes.
 */
export function retailMac(key: Uint8Array, data: Uint8Array, iv: Uint8Array = ZERO_IV_8): Uint8Array {
  checkLength('retail MAC key', key, [16]);
  checkBlocks(data, 8);
  if (data.length === 0) throw new GpCryptoError('retail MAC of no data');
  const k1 = key.subarray(0, 8);
  let chain: Uint8Array = Uint8Array.from(iv);
  if (data.length > 8) {
    // single-DES CBC over all blocks but the last, in one call
    const head = desCbcEncrypt(k1, data.subarray(0, data.length - 8), iv);
    chain = head.subarray(head.length - 8);
  }
  const last = Uint8Array.from(data.subarray(data.length - 8));
  xorInto(last, chain);
  return tdesEcbEncrypt(key, last);
}

/** ISO/IEC 9797-1 MAC algorithm 1 with 3DES (full triple-DES CBC-MAC): the SCP02 card and host cryptograms. */
export function tdesCbcMac(key: Uint8Array, data: Uint8Array, iv: Uint8Array = ZERO_IV_8): Uint8Array {
  const out = tdesCbcEncrypt(key, data, iv);
  return out.subarray(out.length - 8);
}

function shiftLeft(block: Uint8Array): Uint8Array {
  const out = new Uint8Array(block.length);
  for (let i = 0; i < block.length; i++) {
    out[i] = ((block[i]! << 1) & 0xff) | (i + 1 < block.length ? block[i + 1]! >> 7 : 0);
  }
  return out;
}

function cmacSubkeys(key: Uint8Array): [Uint8Array, Uint8Array] {
  const l = aesEcbEncrypt(key, new Uint8Array(16));
  const k1 = shiftLeft(l);
  if (l[0]! & 0x80) k1[15]! ^= 0x87;
  const k2 = shiftLeft(k1);
  if (k1[0]! & 0x80) k2[15]! ^= 0x87;
  return [k1, k2];
}

/** AES-CMAC (NIST SP 800-38B, RFC 4493): the full 16-byte tag. */
export function aesCmac(key: Uint8Array, message: Uint8Array): Uint8Array {
  checkLength('AES key', key, [16, 24, 32]);
  const [k1, k2] = cmacSubkeys(key);
  const blocks = Math.max(1, Math.ceil(message.length / 16));
  const complete = message.length > 0 && message.length % 16 === 0;
  const last = new Uint8Array(16);
  const lastStart = (blocks - 1) * 16;
  if (complete) {
    last.set(message.subarray(lastStart));
    xorInto(last, k1);
  } else {
    const tail = message.subarray(lastStart);
    last.set(tail);
    last[tail.length] = 0x80;
    xorInto(last, k2);
  }
  const input = new Uint8Array(blocks * 16);
  input.set(message.subarray(0, lastStart));
  input.set(last, lastStart);
  const out = aesCbcEncrypt(key, input);
  return out.subarray(out.length - 16);
}

/** Key check value of a 3DES key: the first three bytes of 3DES-ECB over eight zero bytes. */
export function kcvDes3(key: Uint8Array): Uint8Array {
  const k = key.length === 8 ? concatBytes(key, key) : key;
  return tdesEcbEncrypt(k, new Uint8Array(8)).subarray(0, 3);
}

/** Key check value of an AES key (Amendment D): the first three bytes of AES over sixteen 01 bytes. */
export function kcvAes(key: Uint8Array): Uint8Array {
  return aesEcbEncrypt(key, new Uint8Array(16).fill(0x01)).subarray(0, 3);
}

/** Constant-time comparison of two byte strings (false when the lengths differ). */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  return timingSafeEqual(a, b);
}

export function randomBytesArray(length: number): Uint8Array {
  return Uint8Array.from(randomBytes(length));
}
