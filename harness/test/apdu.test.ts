import { encodeCommand, ApduEncodingError } from '../src/apdu/command.js';
import { parseHex, toHex } from '../src/apdu/hex.js';
import { ResponseApdu } from '../src/apdu/response.js';

describe('command APDU encoding (ISO 7816-4 cases)', () => {
  test('case 1: header only', () => {
    expect(toHex(encodeCommand({ cla: 0x00, ins: 0xa4, p1: 0x04, p2: 0x0c }))).toBe('00A4040C');
  });
  test('case 2 short: Le 256 is encoded as 00', () => {
    expect(toHex(encodeCommand({ cla: 0, ins: 0xb0, p1: 0, p2: 0, ne: 256 }))).toBe('00B0000000');
  });
  test('case 3 short: the JPKI SELECT', () => {
    const apdu = encodeCommand({ cla: 0, ins: 0xa4, p1: 4, p2: 0x0c, data: parseHex('D392F000260100000001') });
    expect(toHex(apdu)).toBe('00A4040C0AD392F000260100000001');
  });
  test('case 4 short', () => {
    expect(toHex(encodeCommand({ cla: 0x80, ins: 0x2a, p1: 0, p2: 0x80, data: parseHex('0102'), ne: 256 }))).toBe('802A0080020102' + '00');
  });
  test('case 3 extended when data exceeds 255 bytes', () => {
    const apdu = encodeCommand({ cla: 0, ins: 0xd6, p1: 0, p2: 0, data: new Uint8Array(300) });
    expect(toHex(apdu.subarray(0, 7))).toBe('00D60000' + '00012C');
    expect(apdu.length).toBe(7 + 300);
  });
  test('case 2 extended: Le 65536 is 0000', () => {
    expect(toHex(encodeCommand({ cla: 0, ins: 0xb0, p1: 0, p2: 0, ne: 65536 }, { extended: true }))).toBe('00B00000000000');
  });
  test('rejects a data field larger than extended length allows', () => {
    expect(() => encodeCommand({ cla: 0, ins: 0xd6, p1: 0, p2: 0, data: new Uint8Array(65536) })).toThrow(ApduEncodingError);
  });
  test('rejects out-of-range header bytes', () => {
    expect(() => encodeCommand({ cla: 0x100, ins: 0, p1: 0, p2: 0 })).toThrow(ApduEncodingError);
  });
});

describe('hex', () => {
  test('accepts spaces and colons, either case', () => {
    expect(toHex(parseHex('d3 92:F0'))).toBe('D392F0');
  });
  test('rejects odd length and non-hex characters', () => {
    expect(() => parseHex('ABC')).toThrow();
    expect(() => parseHex('ZZ')).toThrow();
  });
});

describe('response APDU', () => {
  test('splits data and status word', () => {
    const r = new ResponseApdu(parseHex('01029000'));
    expect(toHex(r.data)).toBe('0102');
    expect(r.sw).toBe(0x9000);
  });
});

import { decodeCommand } from '../src/apdu/command.js';
import { digestInfo, hashMessage } from '../src/apdu/digest-info.js';
import { signCommand, verifyPinCommand } from '../src/runner/actions.js';

describe('command APDU decoding (inverse of encoding)', () => {
  const cases: [string, Parameters<typeof encodeCommand>[0], boolean][] = [
    ['case 1', { cla: 0, ins: 0xa4, p1: 4, p2: 0x0c }, false],
    ['case 2 short', { cla: 0, ins: 0xb0, p1: 1, p2: 2, ne: 0x10 }, false],
    ['case 2 short, Le 256', { cla: 0, ins: 0xb0, p1: 0, p2: 0, ne: 256 }, false],
    ['case 3 short', { cla: 0, ins: 0xa4, p1: 2, p2: 0x0c, data: parseHex('000A') }, false],
    ['case 4 short', { cla: 0x80, ins: 0x2a, p1: 0, p2: 0x80, data: parseHex('3031'), ne: 256 }, false],
    ['case 2 extended', { cla: 0, ins: 0xb0, p1: 0, p2: 0, ne: 1000 }, true],
    ['case 3 extended', { cla: 0, ins: 0xd6, p1: 0, p2: 0, data: new Uint8Array(300).fill(7) }, true],
    ['case 4 extended', { cla: 0, ins: 0x2a, p1: 0, p2: 0x80, data: new Uint8Array(256).fill(1), ne: 65536 }, true],
  ];
  test.each(cases)('%s round-trips', (_, command, extended) => {
    const decoded = decodeCommand(encodeCommand(command));
    expect(decoded.extended).toBe(extended);
    expect([decoded.cla, decoded.ins, decoded.p1, decoded.p2]).toEqual([command.cla, command.ins, command.p1, command.p2]);
    expect(decoded.ne).toBe(command.ne);
    expect(decoded.data ? toHex(decoded.data) : undefined).toBe(command.data ? toHex(command.data) : undefined);
  });
  test('a body whose Lc disagrees with its length is refused', () => {
    expect(() => decodeCommand(parseHex('00A4020C05000A'))).toThrow(/Lc says 5/);
    expect(() => decodeCommand(parseHex('00D60000000003AABB'))).toThrow(ApduEncodingError);
    expect(() => decodeCommand(parseHex('00A4'))).toThrow(ApduEncodingError);
  });
});

describe('JPKI high-level commands', () => {
  test('VERIFY carries the PIN as ASCII digits', () => {
    expect(toHex(verifyPinCommand('1234'))).toBe('002000800431323334');
  });
  test('an empty VERIFY has no data (asks for the tries left)', () => {
    expect(toHex(verifyPinCommand(''))).toBe('00200080');
  });
  test.each([
    ['sha1', 20, '3021300906052B0E03021A05000414'],
    ['sha256', 32, '3031300D060960864801650304020105000420'],
    ['sha384', 48, '3041300D060960864801650304020205000430'],
    ['sha512', 64, '3051300D060960864801650304020305000440'],
  ] as const)('%s DigestInfo is the DER prefix and the digest, and parses as DER', (hash, length, prefix) => {
    const digest = hashMessage(hash, new TextEncoder().encode('abc'));
    expect(digest.length).toBe(length);
    const info = digestInfo(hash, digest);
    expect(toHex(info)).toBe(prefix + toHex(digest));
    // DER: SEQUENCE whose length covers the rest exactly
    expect(info[0]).toBe(0x30);
    expect(info[1]).toBe(info.length - 2);
  });
  test('the SHA-256 of "abc" is the FIPS 180-2 value', () => {
    expect(toHex(hashMessage('sha256', new TextEncoder().encode('abc')))).toBe('BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD');
  });
  test('a digest of the wrong length is refused', () => {
    expect(() => digestInfo('sha256', new Uint8Array(20))).toThrow(/32 bytes/);
  });
  test('COMPUTE DIGITAL SIGNATURE is 80 2A 00 80 Lc DigestInfo 00', () => {
    const info = digestInfo('sha1', new Uint8Array(20));
    expect(toHex(signCommand(info))).toBe('802A008023' + toHex(info) + '00');
  });
});
