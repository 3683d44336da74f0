/**
 * Known-answer tests of the block-cipher primitives.
 * Sources: RFC 4493 section 4 (AES-CMAC); FIPS 81 appendix B (single DES ECB and CBC);
 * node-forge's independent DES as a cross-check of the "3DES with equal halves" single DES.
 */
import { readFileSync } from 'node:fs';
import forge from 'node-forge';
import { parseHex, toHex } from '../../src/apdu/hex.js';
import {
  aesCmac,
  desCbcEncrypt,
  desEcbDecrypt,
  desEcbEncrypt,
  kcvAes,
  kcvDes3,
  pad80,
  retailMac,
  tdesCbcEncrypt,
  unpad80,
} from '../../src/gp/crypto.js';
import { GpCryptoError } from '../../src/gp/errors.js';
import { vector } from '../support.js';

interface CmacVectors {
  key: string;
  cases: { message: string; mac: string }[];
}
interface DesVectors {
  key: string;
  iv: string;
  plaintext: string;
  ecb: string;
  cbc: string;
}

const cmac = JSON.parse(readFileSync(vector('gp', 'rfc4493-aes-cmac.json'), 'utf8')) as CmacVectors;
const des = JSON.parse(readFileSync(vector('gp', 'des.json'), 'utf8')) as DesVectors;

function forgeDesEcb(key: Uint8Array, data: Uint8Array): string {
  const cipher = forge.cipher.createCipher('DES-ECB', forge.util.createBuffer(Buffer.from(key).toString('binary')));
  (cipher.mode as unknown as { pad: boolean }).pad = false;
  cipher.start({});
  cipher.update(forge.util.createBuffer(Buffer.from(data).toString('binary')));
  cipher.finish();
  return forge.util.bytesToHex(cipher.output.getBytes()).toUpperCase();
}

describe('AES-CMAC (RFC 4493 section 4)', () => {
  test.each(cmac.cases.map((c, i) => [i, c.message.length / 2, c] as const))('example %i (%i bytes)', (_i, _n, c) => {
    expect(toHex(aesCmac(parseHex(cmac.key), parseHex(c.message)))).toBe(c.mac);
  });
  test('a changed message bit changes the tag', () => {
    const m = parseHex(cmac.cases[2]!.message);
    m[39]! ^= 0x01;
    expect(toHex(aesCmac(parseHex(cmac.key), m))).not.toBe(cmac.cases[2]!.mac);
  });
  test('rejects a key of the wrong length', () => {
    expect(() => aesCmac(new Uint8Array(15), new Uint8Array(0))).toThrow(GpCryptoError);
  });
});

describe('single DES without a DES provider (FIPS 81 appendix B)', () => {
  const key = parseHex(des.key);
  test('ECB', () => {
    expect(toHex(desEcbEncrypt(key, parseHex(des.plaintext)))).toBe(des.ecb);
    expect(toHex(desEcbDecrypt(key, parseHex(des.ecb)))).toBe(des.plaintext);
  });
  test('CBC', () => {
    expect(toHex(desCbcEncrypt(key, parseHex(des.plaintext), parseHex(des.iv)))).toBe(des.cbc);
  });
  test('agrees with node-forge DES on random keys and blocks', () => {
    for (let i = 0; i < 20; i++) {
      const k = Uint8Array.from(forge.random.getBytesSync(8), (c) => c.charCodeAt(0));
      const d = Uint8Array.from(forge.random.getBytesSync(16), (c) => c.charCodeAt(0));
      expect(toHex(desEcbEncrypt(k, d))).toBe(forgeDesEcb(k, d));
    }
  });
  test('3DES with equal halves is single DES', () => {
    expect(toHex(tdesCbcEncrypt(parseHex(des.key + des.key), parseHex(des.plaintext), parseHex(des.iv)))).toBe(des.cbc);
  });
  test('rejects keys and data of the wrong size', () => {
    expect(() => desEcbEncrypt(new Uint8Array(7), new Uint8Array(8))).toThrow(GpCryptoError);
    expect(() => desEcbEncrypt(key, new Uint8Array(9))).toThrow(GpCryptoError);
  });
});

describe('padding, retail MAC and key check values', () => {
  test('pad80 always pads, unpad80 inverts it', () => {
    expect(toHex(pad80(parseHex('0102'), 8))).toBe('0102800000000000');
    expect(toHex(pad80(new Uint8Array(8), 8))).toBe('0000000000000000' + '8000000000000000');
    expect(toHex(unpad80(parseHex('0102800000000000')))).toBe('0102');
    expect(() => unpad80(parseHex('0102000000000000'))).toThrow(GpCryptoError);
  });
  test('retail MAC with K1 = K2 equals a single-DES CBC-MAC', () => {
    const k = parseHex(des.key);
    const data = parseHex(des.plaintext);
    const cbc = desCbcEncrypt(k, data);
    expect(toHex(retailMac(parseHex(des.key + des.key), data))).toBe(toHex(cbc.subarray(16)));
  });
  test('KCV of the GP test key (3DES and AES)', () => {
    // 3DES KCV of 404142…4F is 8BAF47 (GlobalPlatformPro TestPlaintextKeys, the SCP01 static DEK)
    expect(toHex(kcvDes3(parseHex('404142434445464748494A4B4C4D4E4F')))).toBe('8BAF47');
    // pySim test_globalplatform.py SCP03_KCV_Test
    expect(toHex(kcvAes(parseHex('000102030405060708090A0B0C0D0E0F')))).toBe('C35280');
  });
});
