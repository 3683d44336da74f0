import { parseHex, toHex } from '../src/apdu/hex.js';
import { encodeCommand } from '../src/apdu/command.js';
import { TraceTransport } from '../src/transport/trace.js';
import {
  atrSupportsExtendedLength,
  ChainingTransport,
  IsoTransport,
  LoggingTransport,
  standardStack,
  TimingTransport,
} from '../src/transport/wrappers.js';

describe('GET RESPONSE on 61xx', () => {
  const trace = `=> 00B0000000\n<= 0102 6104\n=> 00C0000004\n<= 03040506 6102\n=> 00C0000002\n<= 0708 9000\n`;

  test('fetches and concatenates every part; the SW is the last one', async () => {
    const t = TraceTransport.fromText(trace);
    expect(toHex(await new IsoTransport(t).transmit(parseHex('00B0000000')))).toBe('01020304050607089000');
    t.assertConsumed();
  });

  test('switched off, 61xx comes back as it is', async () => {
    const t = TraceTransport.fromText(trace);
    expect(toHex(await new IsoTransport(t, { getResponse: false }).transmit(parseHex('00B0000000')))).toBe('01026104');
  });

  test('GET RESPONSE keeps the logical channel of the command', async () => {
    const t = TraceTransport.fromText('=> 01CA00FE00\n<= 6102\n=> 01C0000002\n<= AABB9000\n');
    expect(toHex(await new IsoTransport(t).transmit(parseHex('01CA00FE00')))).toBe('AABB9000');
  });

  test('GET RESPONSE on a further logical channel (4–19) keeps it too', async () => {
    const t = TraceTransport.fromText('=> 43CA00FE00\n<= 6101\n=> 43C0000001\n<= AA9000\n');
    expect(toHex(await new IsoTransport(t).transmit(parseHex('43CA00FE00')))).toBe('AA9000');
  });

  test('a card that never stops answering 61xx is an error, not a hang', async () => {
    const t = TraceTransport.fromText('=> 00CA000000\n<= 6101\n' + '=> 00C0000001\n<= 006101\n'.repeat(3));
    await expect(new IsoTransport(t, { maxGetResponse: 2 }).transmit(parseHex('00CA000000'))).rejects.toThrow(/kept answering 61xx/);
  });
});

describe('re-send on 6Cxx', () => {
  test('re-sends with Le = SW2', async () => {
    const t = TraceTransport.fromText('=> 00B0000000\n<= 6C10\n=> 00B0000010\n<= 00112233445566778899AABBCCDDEEFF9000\n');
    expect(toHex(await new IsoTransport(t).transmit(parseHex('00B0000000')))).toBe('00112233445566778899AABBCCDDEEFF9000');
    t.assertConsumed();
  });
  test('adds an Le to a command that had none', async () => {
    const t = TraceTransport.fromText('=> 80CA9F7F\n<= 6C2D\n=> 80CA9F7F2D\n<= 9000\n');
    expect(toHex(await new IsoTransport(t).transmit(parseHex('80CA9F7F')))).toBe('9000');
  });
  test('switched off, 6Cxx comes back as it is', async () => {
    const t = TraceTransport.fromText('=> 00B0000000\n<= 6C10\n');
    expect(toHex(await new IsoTransport(t, { resendOnWrongLength: false }).transmit(parseHex('00B0000000')))).toBe('6C10');
  });
  test('6Cxx then 61xx: both handled', async () => {
    const t = TraceTransport.fromText('=> 00B0000000\n<= 6C04\n=> 00B0000004\n<= 61 02\n=> 00C0000002\n<= AABB9000\n');
    expect(toHex(await new IsoTransport(t).transmit(parseHex('00B0000000')))).toBe('AABB9000');
  });
});

describe('command chaining and extended length', () => {
  const data = Uint8Array.from({ length: 300 }, (_, i) => i & 0xff);
  const extended = encodeCommand({ cla: 0x00, ins: 0xdb, p1: 0x3f, p2: 0xff, data });

  test('long data on a card without extended length goes as a chain, CLA bit 0x10 on all but the last block', async () => {
    const first = '10DB3FFFFF' + toHex(data.subarray(0, 255));
    const last = '00DB3FFF2D' + toHex(data.subarray(255));
    const t = TraceTransport.fromText(`=> ${first}\n<= 9000\n=> ${last}\n<= 9000\n`);
    expect(toHex(await new ChainingTransport(t, { extendedLength: false }).transmit(extended))).toBe('9000');
    t.assertConsumed();
  });

  test('a block refused mid-chain ends the chain with that answer', async () => {
    const first = '10DB3FFF64' + toHex(data.subarray(0, 100));
    const t = TraceTransport.fromText(`=> ${first}\n<= 6A80\n`);
    expect(toHex(await new ChainingTransport(t, { extendedLength: false, blockSize: 100 }).transmit(extended))).toBe('6A80');
    t.assertConsumed();
  });

  test('a card with extended length gets the extended APDU unchanged', async () => {
    const t = TraceTransport.fromText(`=> ${toHex(extended)}\n<= 9000\n`);
    expect(toHex(await new ChainingTransport(t, { extendedLength: true }).transmit(extended))).toBe('9000');
  });

  test('an extended Le on a card without extended length becomes a short Le 00', async () => {
    const t = TraceTransport.fromText('=> 00B0000000\n<= 9000\n');
    await new ChainingTransport(t, { extendedLength: false }).transmit(parseHex('00B00000000400'));
    t.assertConsumed();
  });

  test('short APDUs pass untouched', async () => {
    const t = TraceTransport.fromText('=> 00A4040C0AD392F000260100000001\n<= 9000\n');
    await new ChainingTransport(t, { extendedLength: false }).transmit(parseHex('00A4040C0AD392F000260100000001'));
    t.assertConsumed();
  });

  test('the ATR card-capabilities byte tells whether extended length is supported', () => {
    // T=1 ATR with historical bytes 80 73 C0 21 C0 (card capabilities, third byte bit 0x40 set: extended Lc/Le)
    expect(atrSupportsExtendedLength(parseHex('3B 85 80 01 80 73 C0 21 C0 00'))).toBe(true);
    expect(atrSupportsExtendedLength(parseHex('3B 85 80 01 80 73 C0 21 80 00'))).toBe(false);
    expect(atrSupportsExtendedLength(parseHex('3B8880014A504B492D53494D6B'))).toBe(false);
    expect(atrSupportsExtendedLength(new Uint8Array(0))).toBe(false);
  });
});

describe('logging and timing', () => {
  test('logging shows every wire exchange, secret bodies starred unless shown', async () => {
    const lines: string[] = [];
    const t = TraceTransport.fromText('=> 002000800431323334\n<= 6102\n=> 00C0000002\n<= AABB9000\n');
    const stack = standardStack(t, { log: (l) => lines.push(l) });
    await stack.transmit(parseHex('002000800431323334'), { secret: true });
    expect(lines[0]).toBe('=> 0020008004********');
    expect(lines[1]).toMatch(/^<= 6102 {2}\(\d+\.\d{3} ms\)$/);
    expect(lines[2]).toBe('=> 00C0000002');
    expect(lines.join('\n')).not.toContain('31323334');
    const shown: string[] = [];
    await new LoggingTransport(TraceTransport.fromText('=> 002000800431323334\n<= 9000\n'), (l) => shown.push(l), { showSecrets: true }).transmit(
      parseHex('002000800431323334'),
      { secret: true },
    );
    expect(shown[0]).toBe('=> 002000800431323334');
  });

  test('timing counts every exchange with a positive duration', async () => {
    const seen: number[] = [];
    const t = new TimingTransport(TraceTransport.fromText('=> 00A4040C\n<= 9000\n=> 00A4040C\n<= 9000\n'), (e) => seen.push(e.nanoseconds));
    await t.transmit(parseHex('00A4040C'));
    await t.transmit(parseHex('00A4040C'));
    expect(t.count).toBe(2);
    expect(seen).toHaveLength(2);
    expect(seen.every((n) => n > 0)).toBe(true);
    expect(t.totalNanoseconds).toBe(seen[0]! + seen[1]!);
  });
});
