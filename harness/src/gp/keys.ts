/**
 * Static key sets of a security domain and the ways vendors diversify them per card.
 *
 * A key set is identified on the card by its key version number (KVN). The three keys are ENC (secure
 * channel encryption / authentication), MAC and DEK (key and sensitive-data encryption).
 */
import { concatBytes, parseHex, toHex } from '../apdu/hex.js';
import { aesCmac, kcvAes, kcvDes3, tdesEcbEncrypt } from './crypto.js';
import { GpConfigError } from './errors.js';

export type KeyPurpose = 'enc' | 'mac' | 'dek';

export interface StaticKeys {
  readonly enc: Uint8Array;
  readonly mac: Uint8Array;
  readonly dek: Uint8Array;
}

export interface KeySet extends StaticKeys {
  /** Key version number, 0 means "the first key set the card has" in INITIALIZE UPDATE. */
  readonly version: number;
}

/**
 * Per-card key derivation from master keys with the key diversification data (KDD, the first
 * 10 bytes of the INITIALIZE UPDATE response):
 * - `none`: the keys are used as given;
 * - `emv`: EMV CPS / GP "CPG 2.02" method: 3DES-ECB of KDD[4..9] || F0 || n || KDD[4..9] || 0F || n;
 * - `visa2`: KDD[0..1] || KDD[4..7] || F0 || n || KDD[0..1] || KDD[4..7] || 0F || n;
 * - `kdf3`: AES-CMAC in counter mode over i || 00 00 00 n 00 || KDD (SCP03 cards).
 * n is 1 for ENC, 2 for MAC, 3 for DEK.
 */
export type Diversification = 'none' | 'emv' | 'visa2' | 'kdf3';

export const DIVERSIFICATIONS: readonly Diversification[] = ['none', 'emv', 'visa2', 'kdf3'];

const PURPOSE_NUMBER: Readonly<Record<KeyPurpose, number>> = { enc: 1, mac: 2, dek: 3 };

/** The GlobalPlatform default test key, 40..4F. Never for cards that hold real credentials. */
export const GP_DEFAULT_TEST_KEY = parseHex('404142434445464748494A4B4C4D4E4F');

/**
 * TEST ONLY: the master key of the simulated cards' security domains (docs/gp-simulator.md). Every
 * simulated card's ISD key sets (and the SSDs it creates) hold this key diversified with the card's
 * key diversification data: `kdf3` for SCP03 (AES) key sets, `emv` for SCP02 (3DES) key sets.
 */
export const SIMULATOR_TEST_MASTER_KEY = GP_DEFAULT_TEST_KEY;

/** How the simulated card diversifies its key sets for a protocol. */
export function simulatorDiversification(scp: 2 | 3): Diversification {
  return scp === 3 ? 'kdf3' : 'emv';
}

function checkKey(name: string, key: Uint8Array): void {
  if (![16, 24, 32].includes(key.length)) {
    throw new GpConfigError(`${name} key must be 16, 24 or 32 bytes, got ${key.length}`);
  }
}

export function makeKeySet(version: number, enc: Uint8Array, mac: Uint8Array = enc, dek: Uint8Array = enc): KeySet {
  if (!Number.isInteger(version) || version < 0 || version > 0x7f) {
    throw new GpConfigError(`key version must be 0..127, got ${version}`);
  }
  checkKey('ENC', enc);
  checkKey('MAC', mac);
  checkKey('DEK', dek);
  if (enc.length !== mac.length || enc.length !== dek.length) {
    throw new GpConfigError('ENC, MAC and DEK keys must have the same length');
  }
  return { version, enc: Uint8Array.from(enc), mac: Uint8Array.from(mac), dek: Uint8Array.from(dek) };
}

/** Parses a key from hex, with a readable error that never echoes the key itself. */
/**
 * The one reader of key text, for profiles, scenario steps and the command line alike: hex (test keys
 * only), or `env:NAME` to take the hex from the environment so that real keys stay out of files,
 * shell history and process listings. Errors are GpConfigErrors naming `name`.
 */
export function resolveKeyText(name: string, text: string, env: NodeJS.ProcessEnv = process.env): Uint8Array {
  const m = /^env:([A-Za-z_][A-Za-z0-9_]*)$/.exec(text);
  const hex = m ? env[m[1]!] : text;
  if (hex === undefined) throw new GpConfigError(`${name}: environment variable ${m![1]} is not set`);
  let key: Uint8Array;
  try {
    key = parseHex(hex);
  } catch (e) {
    throw new GpConfigError(`${name}: ${(e as Error).message}`);
  }
  if (![16, 24, 32].includes(key.length)) throw new GpConfigError(`${name} must be 16, 24 or 32 bytes, got ${key.length}`);
  return key;
}

export function parseKeyHex(name: string, text: string): Uint8Array {
  let key: Uint8Array;
  try {
    key = parseHex(text);
  } catch (e) {
    throw new GpConfigError(`${name} key: ${(e as Error).message}`);
  }
  checkKey(name, key);
  return key;
}

function emvData(kdd: Uint8Array, n: number): Uint8Array {
  const d = new Uint8Array(16);
  d.set(kdd.subarray(4, 10), 0);
  d[6] = 0xf0;
  d[7] = n;
  d.set(kdd.subarray(4, 10), 8);
  d[14] = 0x0f;
  d[15] = n;
  return d;
}

function visa2Data(kdd: Uint8Array, n: number): Uint8Array {
  const d = new Uint8Array(16);
  d.set(kdd.subarray(0, 2), 0);
  d.set(kdd.subarray(4, 8), 2);
  d[6] = 0xf0;
  d[7] = n;
  d.set(kdd.subarray(0, 2), 8);
  d.set(kdd.subarray(4, 8), 10);
  d[14] = 0x0f;
  d[15] = n;
  return d;
}

function kdf3(master: Uint8Array, n: number, kdd: Uint8Array): Uint8Array {
  const out: Uint8Array[] = [];
  for (let i = 1; out.length * 16 < master.length; i++) {
    out.push(aesCmac(master, concatBytes(Uint8Array.of(i, 0, 0, 0, n, 0), kdd)));
  }
  return concatBytes(...out).subarray(0, master.length);
}

/** Derives one card key from a master key. */
export function diversifyKey(master: Uint8Array, purpose: KeyPurpose, kdd: Uint8Array, method: Diversification): Uint8Array {
  if (method === 'none') return master;
  if (kdd.length !== 10) throw new GpConfigError(`key diversification data must be 10 bytes, got ${kdd.length}`);
  const n = PURPOSE_NUMBER[purpose];
  switch (method) {
    case 'emv':
    case 'visa2':
      if (master.length !== 16) throw new GpConfigError(`${method} diversification needs 16-byte 3DES master keys`);
      return tdesEcbEncrypt(master, method === 'emv' ? emvData(kdd, n) : visa2Data(kdd, n));
    case 'kdf3':
      return kdf3(master, n, kdd);
    default:
      throw new GpConfigError(`unknown diversification '${String(method)}' (expected ${DIVERSIFICATIONS.join(', ')})`);
  }
}

export function diversifyKeySet(keys: KeySet, kdd: Uint8Array, method: Diversification): KeySet {
  if (method === 'none') return keys;
  return {
    version: keys.version,
    enc: diversifyKey(keys.enc, 'enc', kdd, method),
    mac: diversifyKey(keys.mac, 'mac', kdd, method),
    dek: diversifyKey(keys.dek, 'dek', kdd, method),
  };
}

/** Key check value for logs and PUT KEY: 3DES for 16-byte keys of SCP02, AES otherwise. */
export function keyCheckValue(key: Uint8Array, type: 'des3' | 'aes'): Uint8Array {
  return type === 'des3' ? kcvDes3(key) : kcvAes(key);
}

/** A description of a key set safe to log: version and KCVs, never key bytes. */
export function describeKeySet(keys: KeySet, type: 'des3' | 'aes'): string {
  const kcv = (k: Uint8Array): string => toHex(keyCheckValue(k, type));
  return (
    `KVN ${keys.version.toString(16).padStart(2, '0').toUpperCase()} ${type.toUpperCase()} ENC kcv ${kcv(keys.enc)} MAC kcv ${kcv(keys.mac)} ` +
    `DEK kcv ${kcv(keys.dek)}`
  );
}
