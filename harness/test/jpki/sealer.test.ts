import { readFileSync } from 'node:fs';
import { putContentCommands } from '../../src/apdu/jpki-commands.js';
import { ContentTarget, diversifyContentKeys, sealContent, tagMatches } from '../../src/jpki/sp-tsm/sealer.js';
import { keyImportLayout } from '../../src/jpki/sp-tsm/key-import.js';
import { parseInformation } from '../../src/jpki/client/info.js';
import { vector } from '../support.js';

const keys = {
  encryption: Buffer.from('000102030405060708090A0B0C0D0E0F', 'hex'),
  mac: Buffer.from('F0E0D0C0B0A090807060504030201000', 'hex'),
};
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex').toUpperCase();

describe('sealed personalisation content', () => {
  // Expected values come from the applet test suite's independent Java sealer (JDK AES).
  test('matches the Java implementation: a PIN, counter 7', () => {
    expect(hex(sealContent(keys, ContentTarget.Pin, Buffer.from('1234'), 7))).toBe(
      '00000007593AD2648DDF6FD2174A2A6380BABA6F37A360D83E344136D39FC2A6CAC4ED42BB400B3A3B5D03419DC3C8B8CF93C40D',
    );
  });

  test('matches the Java implementation: 40 bytes, counter 01020304', () => {
    const content = Uint8Array.from({ length: 40 }, (_, i) => i);
    expect(hex(sealContent(keys, ContentTarget.Certificate, content, 0x01020304))).toBe(
      '01020304CE16DF0DD2211F29BA6067C4B7C136140FB06EF22FBF408E060FF1F9C0DEC15164740C16CD77DAFA1358' +
        '10039C7FD09A508E5B09E782EAE43217E9BEA7677BA93958F0E594D967B37F1D1C0A85FA9737',
    );
  });

  test('the tag binds target and content', () => {
    const envelope = sealContent(keys, ContentTarget.Pin, Buffer.from('1234'), 1);
    expect(tagMatches(keys, ContentTarget.Pin, envelope)).toBe(true);
    expect(tagMatches(keys, ContentTarget.Certificate, envelope)).toBe(false);
    const flipped = Uint8Array.from(envelope);
    flipped[5]! ^= 1;
    expect(tagMatches(keys, ContentTarget.Pin, flipped)).toBe(false);
  });

  test('block commands number the blocks and flag the last one', () => {
    const envelope = new Uint8Array(500);
    const commands = putContentCommands(ContentTarget.Certificate, envelope);
    expect(commands.map((c) => hex(c.subarray(0, 5)))).toEqual(['84DB0A00E0', '84DB0A01E0', '84DB0A8234']);
  });

  test('rejects wrong key sizes and counters', () => {
    expect(() => sealContent({ encryption: Buffer.alloc(8), mac: keys.mac }, ContentTarget.Pin, Buffer.from('1'), 1)).toThrow(RangeError);
    expect(() => sealContent(keys, ContentTarget.Pin, Buffer.from('1'), -1)).toThrow(RangeError);
  });
});

describe('key import layout', () => {
  test('lays out the test key as e, n, p, q, dp, dq, qinv', () => {
    const layout = keyImportLayout(readFileSync(vector('certs', 'test-auth.key.pem')));
    expect(layout.length).toBe(900);
    expect(hex(layout.subarray(0, 4))).toBe('03010001');
    expect(layout[4]! & 0x80).toBe(0x80);
  });
});

describe('information record', () => {
  test('decodes a personalised record', () => {
    const record = Buffer.from(
      'E03A' +
        '80010F' +
        '810103' +
        '820100' +
        '830101' +
        '8404AABBCCDD' +
        '85041234ABCD' +
        '860D3335313132353030303030305A' +
        '87020100' +
        '880100' +
        '890400000004',
      'hex',
    );
    record[1] = record.length - 2;
    const info = parseInformation(record);
    expect(info).toMatchObject({
      lifecycle: 'personalised',
      pinTriesLeft: 3,
      pinPolicy: 'pin-required',
      keyPresent: true,
      certificateSerial: '1234ABCD',
      certificateNotAfter: '2035-11-25T00:00:00Z',
      version: '1.0',
      interface: 'contact',
      contentCounter: 4,
    });
  });
  test('rejects a truncated record', () => {
    expect(() => parseInformation(Buffer.from('E00580010F81', 'hex'))).toThrow(/E0|truncated/);
  });
});

describe('per-card content keys', () => {
  test('differ per card and per purpose, and are reproducible', () => {
    const a = diversifyContentKeys(keys, Buffer.from('00004A504B4953494D01', 'hex'));
    const b = diversifyContentKeys(keys, Buffer.from('00004A504B4953494D02', 'hex'));
    expect(hex(a.encryption)).not.toBe(hex(b.encryption));
    expect(hex(a.encryption)).not.toBe(hex(a.mac));
    expect(hex(diversifyContentKeys(keys, Buffer.from('00004A504B4953494D01', 'hex')).mac)).toBe(hex(a.mac));
    expect(a.encryption.length).toBe(16);
    expect(() => diversifyContentKeys(keys, new Uint8Array(0))).toThrow(RangeError);
  });
});
