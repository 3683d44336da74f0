import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseHex, toHex } from '../src/apdu/hex.js';
import { TraceMismatchError, UsageError } from '../src/errors.js';
import { redactCommand } from '../src/apdu/redact.js';
import { parseTrace, TraceRecorder, TraceTransport } from '../src/transport/trace.js';

const TRACE = `# a recorded session
atr 3B8880014A504B492D53494D6B
=> 00A4040C0AD392F000260100000001
<= 9000
=> 00 B0 00 00 04
<= 308203B8 9000
reset cold
atr 3B00
=> 0020008004********
<= 63C2
`;

async function rejection(p: Promise<unknown>): Promise<TraceMismatchError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof TraceMismatchError) return e;
    throw e;
  }
  throw new Error('expected a TraceMismatchError');
}

describe('trace replay', () => {
  test('replays responses and resets in order, with the ATR', async () => {
    const t = TraceTransport.fromText(TRACE, 'rec.trace');
    expect(toHex(t.atr)).toBe('3B8880014A504B492D53494D6B');
    expect(toHex(await t.transmit(parseHex('00A4040C0AD392F000260100000001')))).toBe('9000');
    expect(toHex(await t.transmit(parseHex('00B0000004')))).toBe('308203B89000');
    expect(toHex(await t.reset({ cold: true }))).toBe('3B00');
    expect(toHex(await t.transmit(parseHex('002000800431323334')))).toBe('63C2');
    expect(() => t.assertConsumed()).not.toThrow();
  });

  test('a different command names the trace line and the first differing byte', async () => {
    const t = TraceTransport.fromText(TRACE, 'rec.trace');
    const e = await rejection(t.transmit(parseHex('00A4040C0AD392F000260100000002')));
    expect(e.traceLine).toBe(3);
    expect(e.message).toBe(
      'rec.trace:3: command mismatch (first difference at byte 14): ' +
        'expected => 00A4040C0AD392F000260100000001, got => 00A4040C0AD392F000260100000002',
    );
    expect(e.exitCode).toBe(3);
  });

  test('a command of another length is a mismatch too', async () => {
    const t = TraceTransport.fromText(TRACE, 'rec.trace');
    const e = await rejection(t.transmit(parseHex('00A4040C0AD392F00026010000000100')));
    expect(e.message).toMatch(/length 16, the trace has 15 bytes/);
  });

  test('a command after the end of the trace is an unexpected extra', async () => {
    const t = TraceTransport.fromText('=> 00A4040C\n<= 9000\n', 'short.trace');
    await t.transmit(parseHex('00A4040C'));
    const e = await rejection(t.transmit(parseHex('00B00000')));
    expect(e.message).toBe('short.trace: unexpected extra command => 00B00000 after the end of the trace');
  });

  test('commands the run never sent are reported as missing', async () => {
    const t = TraceTransport.fromText(TRACE, 'rec.trace');
    await t.transmit(parseHex('00A4040C0AD392F000260100000001'));
    expect(() => t.assertConsumed()).toThrow(/rec\.trace:5: missing command: .*'=> 00B0000004' \(2 commands and 1 reset left\)/);
  });

  test('a reset where the trace has a command (and vice versa) is a mismatch', async () => {
    const t = TraceTransport.fromText(TRACE, 'rec.trace');
    expect((await rejection(t.reset({ cold: true }))).message).toMatch(/rec\.trace:3: the run did 'reset cold' where the trace has '=> 00A4/);
    const u = TraceTransport.fromText('reset warm\n=> 00A4040C\n<= 9000\n');
    expect((await rejection(u.reset({ cold: true }))).message).toMatch(/'reset cold' where the trace has 'reset warm'/);
  });

  test('* nibbles match any byte: a redacted secret replays with any PIN of its length', async () => {
    const t = TraceTransport.fromText('=> 0020008004********\n<= 9000\n=> 0020008004********\n<= 9000\n');
    await expect(t.transmit(parseHex('002000800431323334'))).resolves.toBeDefined();
    await expect(t.transmit(parseHex('0020008005313233343536'))).rejects.toThrow(TraceMismatchError);
  });

  test('malformed traces are usage errors with file:line', () => {
    expect(() => parseTrace('=> 00A4040C\n', 'x.trace')).toThrow(/x\.trace:1: the command has no '<=' response/);
    expect(() => parseTrace('<= 9000\n', 'x.trace')).toThrow(/x\.trace:1: a response without a command/);
    expect(() => parseTrace('=> 00A4\n<= 9000\n', 'x.trace')).toThrow(/x\.trace:1: a command line/);
    expect(() => parseTrace('send 00A4040C\n', 'x.trace')).toThrow(UsageError);
    expect(() => parseTrace('=> 00A4040C\n<= 9G00\n', 'x.trace')).toThrow(/x\.trace:2: not hex/);
  });
});

describe('trace recording', () => {
  test('records exchanges and resets so that a replay reproduces them; secrets are starred', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'jpki-trace-'));
    const file = path.join(dir, 'out.trace');
    const card = TraceTransport.fromText(TRACE);
    const recorder = new TraceRecorder(card, file);
    await recorder.transmit(parseHex('00A4040C0AD392F000260100000001'));
    await recorder.transmit(parseHex('00B0000004'));
    await recorder.reset({ cold: true });
    await recorder.transmit(parseHex('002000800431323334'), { secret: true });
    await recorder.close();
    const text = readFileSync(file, 'utf8');
    expect(text).toContain('=> 0020008004********\n<= 63C2\n');
    expect(text).not.toContain('31323334');
    const replay = TraceTransport.fromFile(file);
    expect(toHex(replay.atr)).toBe('3B8880014A504B492D53494D6B');
    await replay.transmit(parseHex('00A4040C0AD392F000260100000001'));
    expect(toHex(await replay.transmit(parseHex('00B0000004')))).toBe('308203B89000');
    expect(toHex(await replay.reset({ cold: true }))).toBe('3B00');
    expect(toHex(await replay.transmit(parseHex('002000800439393939')))).toBe('63C2');
    replay.assertConsumed();
  });

  test('--show-secrets records the PIN as sent', async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'jpki-trace-')), 'out.trace');
    const recorder = new TraceRecorder(TraceTransport.fromText('=> 002000800431323334\n<= 9000\n'), file, { showSecrets: true });
    await recorder.transmit(parseHex('002000800431323334'), { secret: true });
    await recorder.close();
    expect(readFileSync(file, 'utf8')).toContain('=> 002000800431323334');
  });

  test('redactCommand keeps the header and Lc, short and extended', () => {
    expect(redactCommand(parseHex('002000800431323334'))).toBe('0020008004********');
    expect(redactCommand(parseHex('00200080'))).toBe('00200080');
    expect(redactCommand(parseHex('00DA000000000201020304'))).toBe('00DA0000000002' + '********');
  });
});
