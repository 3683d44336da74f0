/**
 * SCP02 R-MAC and SCP03 S16 against the simulated UICC's issuer security domain (direct vpcd link):
 * the host side (src/gp/scp02.ts, scp03.ts) and the simulator's card side were written separately,
 * so every verified response here is a cross-check of the two. Key sets of the simulated ISD:
 * 22 (SCP02 i=75) and 23 (SCP02 i=35) offer R-MAC; 33 (SCP03 i=71) and 34 (SCP03 i=61) run S16.
 */
import { encodeCommand, type CommandApdu } from '../../src/apdu/command.js';
import { parseHex, toHex } from '../../src/apdu/hex.js';
import { ResponseApdu } from '../../src/apdu/response.js';
import { CapFile } from '../../src/gp/cap/cap.js';
import { getStatus, initializeUpdate, ISD_AID_DEFAULT, selectByAid, StatusScope } from '../../src/gp/commands.js';
import { CardStatusError } from '../../src/errors.js';
import { HostAuthenticationError, ResponseIntegrityError } from '../../src/gp/errors.js';
import { makeKeySet } from '../../src/gp/keys.js';
import { deleteAid, installApplet, listRegistry, loadCap } from '../../src/gp/manager.js';
import { GpSession } from '../../src/gp/session.js';
import type { TransmitOptions, Transport } from '../../src/transport/transport.js';
import { SimTransport } from '../../src/transport/sim.js';
import { announceSkip, simulatorJarBuilt, vector } from '../support.js';

// The simulator's TEST master key: every card's key sets are it diversified with the card's KDD (emv / kdf3).
const TEST_KEY = parseHex('404142434445464748494A4B4C4D4E4F');
const GET_KEY_INFO: CommandApdu = { cla: 0x80, ins: 0xca, p1: 0x00, p2: 0xe0, ne: 256 };
const cap = CapFile.load(vector('cap', 'jpki-applet.cap'));
const appletAid = cap.applets[0]!.aid;

/** A transport in front of the simulator that keeps the last raw response and can corrupt the next one. */
class Tap implements Transport {
  lastResponse: Uint8Array = new Uint8Array(0);
  corruptNext = false;
  constructor(private readonly inner: Transport) {}
  get description(): string {
    return this.inner.description;
  }
  get atr(): Uint8Array {
    return this.inner.atr;
  }
  async transmit(command: Uint8Array, options?: TransmitOptions): Promise<Uint8Array> {
    const response = await this.inner.transmit(command, options);
    if (this.corruptNext && response.length > 2) {
      this.corruptNext = false;
      response[0] = response[0]! ^ 0x01;
    }
    this.lastResponse = response;
    return response;
  }
  reset(options?: { cold?: boolean }): Promise<Uint8Array> {
    return this.inner.reset(options);
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

async function probe(): Promise<string | undefined> {
  if (!simulatorJarBuilt()) return 'simulator jar not built (ant simulator)';
  const t = await SimTransport.open();
  try {
    const select = new ResponseApdu(await t.transmit(encodeCommand(selectByAid(ISD_AID_DEFAULT))));
    if (select.sw !== 0x9000) return `the simulator has no issuer security domain (SELECT ISD: ${select.swHex})`;
    const iu = new ResponseApdu(await t.transmit(encodeCommand(initializeUpdate(0x33, new Uint8Array(16)))));
    if (iu.sw !== 0x9000) return `the simulator's ISD has no SCP03 S16 key set 33 (${iu.swHex})`;
    return undefined;
  } finally {
    await t.close();
  }
}

const skip = await probe().catch((e: unknown) => `simulator did not start: ${(e as Error).message}`);
if (skip !== undefined) announceSkip('SCP02 R-MAC and SCP03 S16 on the simulator', skip);
const run = skip !== undefined ? describe.skip : describe;

run('SCP02 R-MAC and SCP03 S16 on the simulator (direct link)', () => {
  let sim: SimTransport;
  let tap: Tap;
  beforeAll(async () => {
    sim = await SimTransport.open();
    tap = new Tap(sim);
  });
  afterAll(async () => {
    await sim?.close();
  });

  /** GET DATA key information (no command data) and GET STATUS of the ISD (with data), checked twice each. */
  async function exchange(session: GpSession, macLength: number, encrypted: boolean): Promise<void> {
    for (let round = 0; round < 2; round++) {
      const info = await session.send(GET_KEY_INFO);
      expect(info.swHex).toBe('9000');
      const entries = toHex(info.data);
      expect(entries.startsWith('E0')).toBe(true);
      for (const entry of ['C00401308810', 'C00401208010', 'C00401228010', 'C00401238010', 'C00401338810', 'C00401348810']) {
        expect(entries).toContain(entry);
      }
      // on the wire: data (padded to 16-byte blocks under R-ENCRYPTION), the R-MAC, SW
      const wire = encrypted ? (Math.floor(info.data.length / 16) + 1) * 16 : info.data.length;
      expect(tap.lastResponse.length).toBe(wire + macLength + 2);
      const status = await session.send(getStatus(StatusScope.ISD, true, false));
      expect(status.swHex).toBe('9000');
      expect(toHex(status.data)).toContain('4F08' + toHex(ISD_AID_DEFAULT));
    }
  }

  const hex = (text: string): number => parseInt(text, 16);
  describe.each([
    ['22', '75'],
    ['23', '35'],
  ])('SCP02 key set %s (i=%s)', (kvn, iText) => {
    const [version, i] = [hex(kvn), hex(iText)];
    test.each(['10', '11', '13'])('level %s: every response carries a chained R-MAC', async (levelText) => {
      const level = hex(levelText);
      const session = await GpSession.open(tap, {
        keys: makeKeySet(version, TEST_KEY),
        diversification: 'emv' as const,
        scp: 2,
        i,
        securityLevel: level,
      });
      expect(session.keyVersion).toBe(version);
      await exchange(session, 8, false);
      expect((await listRegistry(session)).isd.length).toBe(1);
      await session.end();
    });
  });

  test('SCP02 R-MAC: a changed response bit fails the R-MAC and closes the session', async () => {
    const session = await GpSession.open(tap, {
      keys: makeKeySet(0x22, TEST_KEY),
      diversification: 'emv' as const,
      scp: 2,
      i: 0x75,
      securityLevel: 0x11,
    });
    tap.corruptNext = true;
    await expect(session.send(GET_KEY_INFO)).rejects.toThrow(ResponseIntegrityError);
    expect(session.isOpen).toBe(false);
    await session.end();
  });

  test('SCP02 R-MAC: an error status comes bare and the chain goes on', async () => {
    const session = await GpSession.open(tap, {
      keys: makeKeySet(0x23, TEST_KEY),
      diversification: 'emv' as const,
      scp: 2,
      i: 0x35,
      securityLevel: 0x13,
    });
    const none = await session.send(getStatus(StatusScope.APPLICATIONS, true, false, parseHex('EE')));
    expect(none.swHex).toBe('6A88');
    expect(tap.lastResponse.length).toBe(2);
    await exchange(session, 8, false);
    await session.end();
  });

  test('SCP02 key set 20 (i=55) still refuses R-MAC with 6A86', async () => {
    const open = GpSession.open(tap, { keys: makeKeySet(0x20, TEST_KEY), diversification: 'emv' as const, scp: 2, i: 0x55, securityLevel: 0x11 });
    await expect(open).rejects.toThrow(HostAuthenticationError);
    await expect(
      GpSession.open(tap, { keys: makeKeySet(0x20, TEST_KEY), diversification: 'emv' as const, scp: 2, i: 0x55, securityLevel: 0x11 }),
    ).rejects.toThrow(/6A86/);
  });

  describe.each([
    ['33', '71', ['01', '03', '11', '13', '33']],
    ['34', '61', ['11', '13', '33']],
  ])('SCP03 S16 key set %s (i=%s)', (kvn, iText, levels) => {
    const [version, i] = [hex(kvn), hex(iText)];
    test.each(levels)('level %s: 16-byte cryptograms, C-MACs and R-MACs', async (levelText) => {
      const level = hex(levelText);
      const session = await GpSession.open(tap, {
        keys: makeKeySet(version, TEST_KEY),
        diversification: 'kdf3' as const,
        scp: 3,
        i,
        s16: true,
        securityLevel: level,
        sdAid: ISD_AID_DEFAULT,
      });
      expect(session.macLength).toBe(16);
      if (level & 0x10) {
        await exchange(session, 16, (level & 0x20) !== 0);
      } else {
        for (let round = 0; round < 3; round++) {
          const info = await session.send(GET_KEY_INFO);
          expect(toHex(info.data)).toContain('C00401338810');
          expect(tap.lastResponse.length).toBe(info.data.length + 2);
        }
      }
      await session.end();
    });
  });

  test('SCP03 S16: an 8-byte host challenge to key set 33, a 16-byte one to key set 30, are 6700', async () => {
    await expect(GpSession.open(tap, { keys: makeKeySet(0x33, TEST_KEY), diversification: 'kdf3' as const, scp: 3 })).rejects.toThrow(
      CardStatusError,
    );
    await expect(GpSession.open(tap, { keys: makeKeySet(0x33, TEST_KEY), diversification: 'kdf3' as const, scp: 3 })).rejects.toThrow(/6700/);
    await expect(GpSession.open(tap, { keys: makeKeySet(0x30, TEST_KEY), diversification: 'kdf3' as const, scp: 3, s16: true })).rejects.toThrow(
      /6700/,
    );
  });

  test('SCP03 S16: a changed response bit fails the 16-byte R-MAC', async () => {
    const session = await GpSession.open(tap, {
      keys: makeKeySet(0x33, TEST_KEY),
      diversification: 'kdf3' as const,
      scp: 3,
      i: 0x71,
      s16: true,
      securityLevel: 0x13,
    });
    tap.corruptNext = true;
    await expect(session.send(GET_KEY_INFO)).rejects.toThrow(ResponseIntegrityError);
    await session.end();
  });

  test('key version 00 is still SCP03 S8 i=70 (key set 30)', async () => {
    const session = await GpSession.open(tap, {
      keys: makeKeySet(0, TEST_KEY),
      diversification: 'kdf3' as const,
      scp: 3,
      i: 0x70,
      securityLevel: 0x33,
    });
    expect(session.keyVersion).toBe(0x30);
    expect(session.macLength).toBe(8);
    await exchange(session, 8, true);
    await session.end();
  });

  test.each([
    [
      'SCP02 R-MAC, key set 22, level 13',
      { keys: makeKeySet(0x22, TEST_KEY), diversification: 'emv' as const, scp: 2 as const, i: 0x75, securityLevel: 0x13 },
    ],
    [
      'SCP03 S16, key set 33, level 33',
      { keys: makeKeySet(0x33, TEST_KEY), diversification: 'kdf3' as const, scp: 3 as const, i: 0x71, s16: true, securityLevel: 0x33 },
    ],
  ])('%s: load, install, list, delete the JPKI package', async (_name, options) => {
    const session = await GpSession.open(tap, options);
    const before = await listRegistry(session);
    if (before.loadFiles.some((f) => f.aid === toHex(cap.packageAid))) await deleteAid(session, cap.packageAid, true);
    await loadCap(session, cap);
    await installApplet(session, { loadFileAid: cap.packageAid, moduleAid: appletAid });
    const registry = await listRegistry(session);
    expect(registry.applications.map((a) => a.aid)).toContain(toHex(appletAid));
    await deleteAid(session, cap.packageAid, true);
    expect((await listRegistry(session)).loadFiles.map((f) => f.aid)).not.toContain(toHex(cap.packageAid));
    await session.end();
  });
});
