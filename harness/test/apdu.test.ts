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
