/**
 * Key diversification and session keys against GlobalPlatformPro's published test data
 * (library/src/test/java/pro/javacard/gp/test/TestPlaintextKeys.java and TestSCP03.java).
 */
import { readFileSync } from 'node:fs';
import { concatBytes, parseHex, toHex } from '../../src/apdu/hex.js';
import { aesCmac, kcvAes, kcvDes3, tdesEcbEncrypt } from '../../src/gp/crypto.js';
import { GpConfigError } from '../../src/gp/errors.js';
import { describeKeySet, diversifyKey, diversifyKeySet, makeKeySet, parseKeyHex, type Diversification } from '../../src/gp/keys.js';
import { scp02SessionKeys } from '../../src/gp/scp02.js';
import { scp03Kdf, scp03SessionKeys } from '../../src/gp/scp03.js';
import { vector } from '../support.js';

interface Kcvs {
  enc: string;
  mac: string;
  dek: string;
}
interface GpproVectors {
  kdd: string;
  key16: string;
  key24: string;
  key32: string;
  diversification: { method: Diversification; key: 'key16' | 'key24' | 'key32'; kcvType: 'des3' | 'aes'; kcv: Kcvs }[];
  kdf3External: { master: string; kdd: string; enc: string };
  scp02SessionKeys: { sequenceCounter: string; kcv: Kcvs & { rmac: string } };
  scp02KeyEncryption: { sequenceCounter: string; encryptedKey: string };
  scp03SessionKeys: { context: string; kcv: { enc: string; mac: string; rmac: string } };
  scp03KdfZeros: { kcv: string };
}

const v = JSON.parse(readFileSync(vector('gp', 'gppro-keys.json'), 'utf8')) as GpproVectors;
const key16 = parseHex(v.key16);

describe('key diversification (GlobalPlatformPro TestPlaintextKeys)', () => {
  test.each(v.diversification.map((d) => [d.method, d.key, d] as const))('%s with %s', (_m, _k, d) => {
    const master = parseHex(v[d.key]);
    const keys = diversifyKeySet(makeKeySet(1, master), parseHex(v.kdd), d.method);
    const kcv = d.kcvType === 'des3' ? kcvDes3 : kcvAes;
    expect(toHex(kcv(keys.enc))).toBe(d.kcv.enc);
    expect(toHex(kcv(keys.mac))).toBe(d.kcv.mac);
    expect(toHex(kcv(keys.dek))).toBe(d.kcv.dek);
  });
  test('KDF3 external vector (TestSCP03.testKDF3)', () => {
    expect(toHex(diversifyKey(parseHex(v.kdf3External.master), 'enc', parseHex(v.kdf3External.kdd), 'kdf3'))).toBe(v.kdf3External.enc);
  });
  test('none leaves the keys alone; other methods need a 10-byte KDD', () => {
    expect(diversifyKey(key16, 'enc', new Uint8Array(3), 'none')).toBe(key16);
    expect(() => diversifyKey(key16, 'enc', new Uint8Array(9), 'emv')).toThrow(GpConfigError);
    expect(() => diversifyKey(parseHex(v.key32), 'enc', parseHex(v.kdd), 'visa2')).toThrow(GpConfigError);
  });
});

describe('session keys (GlobalPlatformPro TestPlaintextKeys)', () => {
  test('SCP02 from sequence counter 0000', () => {
    const s = scp02SessionKeys({ enc: key16, mac: key16, dek: key16 }, parseHex(v.scp02SessionKeys.sequenceCounter));
    expect(toHex(kcvDes3(s.enc))).toBe(v.scp02SessionKeys.kcv.enc);
    expect(toHex(kcvDes3(s.mac))).toBe(v.scp02SessionKeys.kcv.mac);
    expect(toHex(kcvDes3(s.dek))).toBe(v.scp02SessionKeys.kcv.dek);
    expect(toHex(kcvDes3(s.rmac))).toBe(v.scp02SessionKeys.kcv.rmac);
  });
  test('SCP02 key encryption with the session DEK', () => {
    const s = scp02SessionKeys({ enc: key16, mac: key16, dek: key16 }, parseHex(v.scp02KeyEncryption.sequenceCounter));
    expect(toHex(tdesEcbEncrypt(s.dek, key16))).toBe(v.scp02KeyEncryption.encryptedKey);
  });
  test('SCP03 with the KDD as context', () => {
    const context = parseHex(v.scp03SessionKeys.context);
    // the context is host challenge || card challenge; split anywhere, the KDF sees the concatenation
    const s = scp03SessionKeys({ enc: key16, mac: key16, dek: key16 }, context.subarray(0, 4), context.subarray(4));
    expect(toHex(kcvAes(s.enc))).toBe(v.scp03SessionKeys.kcv.enc);
    expect(toHex(kcvAes(s.mac))).toBe(v.scp03SessionKeys.kcv.mac);
    expect(toHex(kcvAes(s.rmac))).toBe(v.scp03SessionKeys.kcv.rmac);
  });
  test('counter-mode PRF input layout (scp3_kdf with zero blocks)', () => {
    expect(toHex(kcvAes(aesCmac(key16, concatBytes(new Uint8Array(16), Uint8Array.of(1), new Uint8Array(16)))))).toBe(v.scp03KdfZeros.kcv);
  });
  test('KDF output longer than one block uses counters 1 and 2', () => {
    const out = scp03Kdf(key16, 4, new Uint8Array(16), 256);
    expect(out.length).toBe(32);
    expect(toHex(out.subarray(0, 16))).not.toBe(toHex(out.subarray(16)));
  });
});

describe('key sets', () => {
  test('bad keys are typed errors that do not echo key material', () => {
    expect(() => parseKeyHex('ENC', '4041zz')).toThrow(GpConfigError);
    try {
      parseKeyHex('ENC', '40414243');
    } catch (e) {
      expect((e as Error).message).not.toContain('40414243');
    }
    expect(() => makeKeySet(200, key16)).toThrow(GpConfigError);
    expect(() => makeKeySet(1, key16, parseHex(v.key24))).toThrow(GpConfigError);
  });
  test('a description shows KCVs only', () => {
    const d = describeKeySet(makeKeySet(0x30, key16), 'aes');
    expect(d).not.toContain('4041');
    expect(d).toContain('KVN 30');
  });
});
