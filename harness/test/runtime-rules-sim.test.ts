import { SimTransport } from '../src/transport/sim.js';
import { parseHex as hex, toHex } from '../src/apdu/hex.js';
import { announceSkip, simulatorJarBuilt } from './support.js';

/**
 * Rules of the simulated card's runtime as a PC/SC client sees them (the same bytes go through pcscd):
 * status words of SELECT and of unsupported classes, one channel for the JPKI applet, and the control
 * commands that cut power at a chosen transaction commit.
 */
const ready = simulatorJarBuilt();
if (!ready) announceSkip('runtime rules over the sim transport', 'build/jpki-simulator.jar is missing (run ant simulator)');
const maybe = ready ? describe : describe.skip;

const JPKI = 'D392F000260100000001';

maybe('runtime rules of the simulated card', () => {
  let transport: SimTransport;
  const send = async (apdu: string): Promise<string> => toHex(await transport.transmit(hex(apdu)));
  beforeAll(async () => {
    transport = await SimTransport.open();
  });
  afterAll(async () => {
    await transport?.close();
  });

  test('SELECT of the visual application (absent) while the JPKI applet is selected: 6A82, the applet stays', async () => {
    expect(await send('00A4040C0A' + JPKI)).toBe('9000');
    expect(await send('00A4040C0AD3921000310001010402')).toBe('6A82');
    expect(await send('00A4020C020006')).toBe('9000');
    expect((await send('00B0000004')).slice(0, 8)).toBe('4A504B49');
  });

  test.each(['F0', 'FE', '20', '3F', 'D0'])('CLA %s is not supported: 6E00', async (cla) => {
    expect(await send(cla + 'B0000004')).toBe('6E00');
  });

  test('the JPKI applet is selectable on one logical channel only', async () => {
    expect(await send('00A4040C0A' + JPKI)).toBe('9000');
    expect(await send('0070000001')).toBe('019000');
    expect(await send('01A4040C0A' + JPKI)).toBe('6985');
    expect(await send('01708001')).toBe('9000');
    // from a channel where it is selected, MANAGE CHANNEL cannot hand it to a new channel
    expect(await send('0070000001')).toBe('019000');
    expect(await send('00A4040008A000000151000000')).toMatch(/9000$/);
    expect(await send('01A4040C0A' + JPKI)).toBe('9000');
    expect(await send('01700002')).toBe('6985');
    expect(await send('822A00BC0330313200')).toBe('6881');
    expect(await send('01708001')).toBe('9000');
  });

  test('power loss at the n-th commit of the next command: FF 70 03 nn arms it, FF 70 04 00 counts commits', async () => {
    expect(await send('FF70030200')).toBe('9000');
    expect((await send('FF70000000')).slice(0, 2)).toBe('02');
    // a SELECT commits nothing: the arming expires with it
    expect(await send('00A4040C0A' + JPKI)).toBe('9000');
    expect(await send('FF70040000')).toBe('009000');
    expect((await send('FF70000000')).slice(0, 2)).toBe('00');
    expect(await send('FF70030000')).toBe('6A86');
  });
});
