/** Vendor profiles: the shipped examples parse, and mistakes are file:line:column errors. */
import { readdirSync } from 'node:fs';
import { toHex } from '../../src/apdu/hex.js';
import { ScriptError } from '../../src/errors.js';
import { atrMatches, simulatorProfile } from '../../src/gp/card-profile.js';
import { loadProfile, parseProfile } from '../../src/gp/profile.js';
import { vector } from '../support.js';

const env = {
  GP_MASTER_KEY: '404142434445464748494A4B4C4D4E4F',
  GP_ENC: '404142434445464748494A4B4C4D4E4F',
  GP_MAC: '404142434445464748494A4B4C4D4E4F',
  GP_DEK: '404142434445464748494A4B4C4D4E4F',
};

describe('shipped profiles', () => {
  test.each(readdirSync(vector('profiles')).filter((f) => f.endsWith('.yaml')))('%s parses', (f) => {
    const p = loadProfile(vector('profiles', f), env);
    expect(p.name).toBe(f.replace(/\.yaml$/, ''));
  });
  test('simulator-scp03 values', () => {
    const p = loadProfile(vector('profiles', 'simulator-scp03.yaml'));
    expect(p.scp).toBe(3);
    expect(p.i).toBe(0x70);
    expect(p.securityLevel).toBe(0x03);
    expect(toHex(p.isdAid)).toBe('A000000151000000');
    expect(toHex(p.applet.packageAid!)).toBe('D392F0002601000000');
  });
  test('the built-in simulator profile is simulator-scp03.yaml, value for value', () => {
    const file = vector('profiles', 'simulator-scp03.yaml');
    expect(simulatorProfile(file)).toEqual(loadProfile(file, {}));
  });
  test('the vendor example takes its master key from the environment', () => {
    const p = loadProfile(vector('profiles', 'example-uicc-emv.yaml'), env);
    expect(p.diversification).toBe('emv');
    expect(p.install.privilegeEncoding).toBe(1);
    expect(p.install.nonVolatileMemoryQuota).toBe(0x2000);
    expect(() => loadProfile(vector('profiles', 'example-uicc-emv.yaml'), {})).toThrow(/GP_MASTER_KEY is not set/);
  });
});

describe('profile errors', () => {
  const base = 'name: x\nscp: 3\nkeys:\n  version: 1\n  enc: 404142434445464748494A4B4C4D4E4F\n';
  const fail = (text: string): ScriptError => {
    try {
      parseProfile(text, 'p.yaml');
    } catch (e) {
      return e as ScriptError;
    }
    throw new Error('no error');
  };
  test('unknown key with its position', () => {
    const e = fail(base + 'colour: red\n');
    expect(e).toBeInstanceOf(ScriptError);
    expect(e.message).toMatch(/^p\.yaml:6:1: unknown key 'colour'/);
  });
  test('bad key length does not echo the key', () => {
    const e = fail('name: x\nscp: 3\nkeys:\n  version: 1\n  enc: 4041424344\n');
    expect(e.message).toMatch(/p\.yaml:5:8: keys.enc must be 16, 24 or 32 bytes/);
    expect(e.message).not.toContain('4041424344');
  });
  test('SCP02 with AES-256 keys', () => {
    expect(fail('name: x\nscp: 2\nkeys:\n  version: 1\n  enc: ' + '40'.repeat(32) + '\n').message).toMatch(/SCP02 needs 16-byte/);
  });
  test('invalid security level for the protocol', () => {
    expect(fail(base + 'security-level: "20"\n').message).toMatch(/R-ENCRYPTION needs R-MAC/);
  });
  test('missing scp', () => {
    expect(fail('name: x\nkeys:\n  version: 1\n').message).toMatch(/missing 'scp'/);
  });
  test('ATR patterns', () => {
    expect(atrMatches('3B8X80', Uint8Array.of(0x3b, 0x8f, 0x80))).toBe(true);
    expect(atrMatches('3B8X80', Uint8Array.of(0x3b, 0x8f, 0x81))).toBe(false);
  });
});
