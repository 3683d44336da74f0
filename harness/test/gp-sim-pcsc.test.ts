import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ResponseApdu } from '../src/apdu/response.js';
import { toHex } from '../src/apdu/hex.js';
import { CapFile } from '../src/gp/cap/cap.js';
import { CardStatusError } from '../src/errors.js';
import { parseInformation } from '../src/jpki/client/info.js';
import { AppletAdministration } from '../src/jpki/sp-tsm/personalise.js';
import { attestCard, testContentKeysFor } from '../src/jpki/test-ca/test-material.js';
import { makeKeySet, SIMULATOR_TEST_MASTER_KEY, simulatorDiversification } from '../src/gp/keys.js';
import { deleteAid, extradite, installApplet, listRegistry, loadCap, putKeys, setApplicationLocked } from '../src/gp/manager.js';
import { GpSession } from '../src/gp/session.js';
import { SimulatorProcess } from '../src/sim/simulator-process.js';
import { PcscTransport } from '../src/transport/pcsc.js';
import { announceSkip, openOwnCard, portListening, simulatorJarBuilt, vector } from './support.js';

/**
 * The simulated UICC's GlobalPlatform side through the real PC/SC stack: harness (GpSession) →
 * node-pcsclite → pcscd → vpcd → simulator. Independent witnesses: opensc-tool and scriptor.
 * vpcd's second slot (port 35964, "Virtual PCD 00 01"); GPSIM_VPCD_SLOT=0 picks the first.
 */
const SLOT = Number(process.env.GPSIM_VPCD_SLOT ?? '1');
const SLOT_PORT = 35963 + SLOT;
const READER = `Virtual PCD 00 0${SLOT}`;
const JPKI_PACKAGE = 'D392F0002601000000';
const JPKI_AID = 'D392F000260100000001';
const SSD_AID = 'A000000151535041534901';
const ISD_AID = 'A000000151000000';
/** This suite's own ATR: the slot is shared, and only this card may be tested here. */
const ATR = '3B8880014A504B492D47503219';

const pcscdUp = existsSync('/run/pcscd/pcscd.comm');
const vpcdUp = pcscdUp && (await portListening(SLOT_PORT));
const reason = !simulatorJarBuilt()
  ? 'build/jpki-simulator.jar is missing (run ant simulator)'
  : !pcscdUp
    ? 'pcscd is not running'
    : !vpcdUp
      ? `nothing listens on vpcd port ${SLOT_PORT}`
      : undefined;
if (reason) announceSkip('GlobalPlatform card content management through pcscd', reason);
const maybe = reason ? describe.skip : describe;

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'hex'));
// The simulator's TEST master: sessions with it diversify with the card's KDD; other keys are used as given.
const testKeys = (version = 0) => makeKeySet(version, SIMULATOR_TEST_MASTER_KEY);
const isMaster = (k: { enc: Uint8Array }): boolean => Buffer.from(k.enc).equals(Buffer.from(SIMULATOR_TEST_MASTER_KEY));

function tool(name: string): string | undefined {
  try {
    execFileSync('which', [name], { stdio: 'ignore' });
    return name;
  } catch {
    return undefined;
  }
}

maybe('simulated ISD through pcscd + vpcd', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'gpsim-'));
  const stateFile = path.join(dir, 'card.state');
  let simulator: SimulatorProcess | undefined;
  let transport: PcscTransport | undefined;

  const startCard = async (fresh: boolean): Promise<PcscTransport> => {
    simulator = SimulatorProcess.start({ connect: `127.0.0.1:${SLOT_PORT}`, stateFile, fresh, atr: ATR }).process;
    transport = await openOwnCard(READER, ATR);
    return transport;
  };
  const stopCard = async (): Promise<void> => {
    await transport?.close();
    transport = undefined;
    await simulator?.stop();
    simulator = undefined;
  };
  /** Runs another PC/SC client while this process lets go of the reader (the harness holds the card exclusively). */
  const withReaderReleased = async <T>(run: () => T): Promise<T> => {
    await transport?.close();
    transport = undefined;
    try {
      return run();
    } finally {
      transport = await openOwnCard(READER, ATR);
    }
  };
  const plain = async (apdu: string): Promise<ResponseApdu> => new ResponseApdu(await transport!.transmit(hex(apdu)));
  const session = async (
    options: { level?: number; keys?: ReturnType<typeof testKeys>; scp?: 2 | 3; i?: number; sdAid?: string } = {},
  ): Promise<GpSession> =>
    GpSession.open(transport!, {
      keys: options.keys ?? testKeys(),
      diversification: isMaster(options.keys ?? testKeys()) ? simulatorDiversification(options.scp ?? 3) : 'none',
      securityLevel: options.level ?? 0x03,
      ...(options.scp !== undefined ? { scp: options.scp } : {}),
      ...(options.i !== undefined ? { i: options.i } : {}),
      ...(options.sdAid !== undefined ? { sdAid: hex(options.sdAid) } : {}),
    });

  beforeAll(async () => {
    await startCard(true);
  }, 60000);
  afterAll(async () => {
    await stopCard();
    rmSync(dir, { recursive: true, force: true });
  });

  test('GET STATUS lists the ISD, the JPKI package and its instance', async () => {
    const s = await session();
    const registry = await listRegistry(s);
    await s.end();
    expect(registry.isd.map((e) => e.aid)).toEqual([ISD_AID]);
    expect(registry.isd[0]!.lifeCycleName).toBe('SECURED');
    expect(registry.applications.map((e) => e.aid)).toContain(JPKI_AID);
    const pkg = registry.loadFiles.find((e) => e.aid === JPKI_PACKAGE);
    expect(pkg?.modules).toEqual([JPKI_AID]);
    expect(pkg?.version).toBe('1.0');
  });

  test('delete, then load the reference CAP over SCP03 (C-MAC + C-DEC, SHA-256 hash) and install it again', async () => {
    const cap = CapFile.load(vector('cap', 'jpki-applet.cap'));
    const s = await session({ level: 0x03 });
    await deleteAid(s, hex(JPKI_PACKAGE), true);
    expect((await plain('00A4040C0A' + JPKI_AID)).sw).not.toBe(0x9000);
    const load = await loadCap(s, cap);
    expect(load.blocks).toBeGreaterThan(1);
    await installApplet(s, { loadFileAid: cap.packageAid, moduleAid: hex(JPKI_AID), parameters: {} });
    await s.end();
    expect((await plain('00A4040C0A' + JPKI_AID)).sw).toBe(0x9000);
    const token = await plain('00A4020C020006');
    expect(token.sw).toBe(0x9000);
    const read = await plain('00B0000000');
    expect(Buffer.from(read.data).toString('latin1')).toMatch(/^JPKIAPICCTOKEN2/);
  });

  test('the same over SCP02 (i=55, key version 20)', async () => {
    const cap = CapFile.load(vector('cap', 'jpki-applet.cap'));
    const s = await session({ keys: testKeys(0x20), scp: 2, i: 0x55, level: 0x01 });
    expect(s.scp).toBe(2);
    await deleteAid(s, hex(JPKI_PACKAGE), true);
    await loadCap(s, cap, { hash: 'sha1' });
    await installApplet(s, { loadFileAid: cap.packageAid, moduleAid: hex(JPKI_AID), parameters: {} });
    const registry = await listRegistry(s);
    await s.end();
    expect(registry.applications.map((e) => e.aid)).toContain(JPKI_AID);
  });

  test('refusals surface as GP status words', async () => {
    const s = await session();
    await expect(deleteAid(s, hex('A0000009999999'))).rejects.toMatchObject({ sw: 0x6a88 });
    await expect(deleteAid(s, hex(JPKI_PACKAGE))).rejects.toMatchObject({ sw: 0x6985 });
    await expect(deleteAid(s, hex(ISD_AID))).rejects.toMatchObject({ sw: 0x6985 });
    await expect(installApplet(s, { loadFileAid: hex('D392F0002601009999'), moduleAid: hex(JPKI_AID), parameters: {} })).rejects.toBeInstanceOf(
      CardStatusError,
    );
    const malformed = await s.send({ cla: 0x80, ins: 0xe8, p1: 0x80, p2: 0x00, data: hex('C40100'), ne: 256 });
    expect(malformed.sw).toBe(0x6985);
    await s.end();
    // outside a session: security status not satisfied
    expect((await plain('80F24002024F0000')).sw).toBe(0x6982);
  });

  test('SET STATUS locks and unlocks the applet', async () => {
    let s = await session();
    await setApplicationLocked(s, hex(JPKI_AID), true);
    await s.end();
    expect((await plain('00A4040C0A' + JPKI_AID)).sw).toBe(0x6a82);
    s = await session();
    await setApplicationLocked(s, hex(JPKI_AID), false);
    await s.end();
    expect((await plain('00A4040C0A' + JPKI_AID)).sw).toBe(0x9000);
  });

  test('SSD and extradition: the applet opens its channel with the SP keys', async () => {
    let s = await session();
    await installApplet(s, {
      loadFileAid: hex('A0000001515350'),
      moduleAid: hex('A000000151535041'),
      applicationAid: hex(SSD_AID),
      privileges: hex('808000'),
      parameters: {},
    });
    await extradite(s, hex(SSD_AID), hex(JPKI_AID));
    await s.end();
    const spKey = hex('5350544B45595350544B45595350544B');
    s = await session({ sdAid: SSD_AID });
    await putKeys(s, { version: 0x30, enc: spKey, mac: spKey, dek: spKey }, 0x30);
    await s.end();
    // the JPKI applet's GPSystem.getSecureChannel() is now the SSD's: the issuer's keys no longer open it
    await expect(session({ sdAid: JPKI_AID })).rejects.toThrow();
    const sp = await session({ sdAid: JPKI_AID, keys: makeKeySet(0x30, spKey) });
    expect(sp.isOpen).toBe(true);
    await sp.end();
  });

  test('PUT KEY adds an SCP03 key set that opens sessions', async () => {
    const key = hex('00112233445566778899AABBCCDDEEFF');
    let s = await session();
    await putKeys(s, { version: 0x31, enc: key, mac: key, dek: key }, 0);
    await s.end();
    s = await session({ keys: makeKeySet(0x31, key) });
    expect(s.keyVersion).toBe(0x31);
    await s.end();
  });

  const opensc = tool('opensc-tool');
  (opensc ? test : test.skip)('opensc-tool reaches the ISD and the JPKI applet', async () => {
    const out = await withReaderReleased(() =>
      execFileSync(
        'opensc-tool',
        [
          '-r',
          READER,
          '-s',
          '00A4040008' + ISD_AID + '00',
          '-s',
          '80CA006600',
          '-s',
          '00A4040C0A' + JPKI_AID,
          '-s',
          '00A4020C020006',
          '-s',
          '00B0000004',
        ],
        { encoding: 'utf8' },
      ),
    );
    const sws = [...out.matchAll(/SW1=0x([0-9a-f]{2}), SW2=0x([0-9a-f]{2})/gi)].map((m) => (m[1]! + m[2]!).toUpperCase());
    expect(sws).toEqual(['9000', '9000', '9000', '9000', '9000']);
    expect(out).toMatch(/4A 50 4B 49/);
  });

  const scriptor = tool('scriptor');
  (scriptor ? test : test.skip)('scriptor runs a script against the card', async () => {
    const script = path.join(dir, 'gp.script');
    writeFileSync(
      script,
      [
        'reset',
        '00 A4 04 00 08 A0 00 00 01 51 00 00 00 00',
        '80 CA 00 E0 00',
        '80 F2 40 02 02 4F 00 00',
        '00 A4 04 0C 0A D3 92 F0 00 26 01 00 00 00 01',
        'exit',
        '',
      ].join('\n'),
    );
    const out = await withReaderReleased(() => execFileSync('scriptor', ['-r', READER, script], { encoding: 'utf8' }));
    const flat = out.replace(/\s+/g, ' ');
    expect(flat).toContain('< OK: ' + ATR.match(/../g)!.join(' '));
    // SELECT ISD: FCI with the ISD AID and 9F65; GET DATA key information template; GET STATUS outside a session;
    // SELECT of the applet
    expect(flat).toMatch(/< 6F 10 84 08 A0 00 00 01 51 00 00 00 A5 04 9F 65 01 FF 90 00 : Normal processing/);
    expect(flat).toMatch(/< E0 7E C0 04 01 30 88 10 .* 90 00 : Normal processing/);
    expect(flat).toMatch(/< 69 82 : Command not allowed/);
    expect(flat.match(/90 00 : Normal processing/g)).toHaveLength(3);
  });

  test('the card survives a simulator restart with its state file', async () => {
    await stopCard();
    await startCard(false);
    const key = hex('00112233445566778899AABBCCDDEEFF');
    const s = await session({ keys: makeKeySet(0x31, key) });
    const registry = await listRegistry(s);
    await s.end();
    expect(registry.applications.map((e) => e.aid)).toEqual(expect.arrayContaining([JPKI_AID, SSD_AID]));
    expect(registry.applications.find((e) => e.aid === JPKI_AID)?.associatedSecurityDomain).toBe(SSD_AID);
    expect((await plain('00A4040C0A' + JPKI_AID)).sw).toBe(0x9000);
  });

  test('power loss injected into a command: no answer, the card leaves the slot, the transaction is rolled back', async () => {
    const lifecycle = async (): Promise<string> => {
      expect((await plain('00A4040C0A' + JPKI_AID)).sw).toBe(0x9000);
      const r = await plain('80CA010100');
      expect(r.sw).toBe(0x9000);
      return parseInformation(r.data).lifecycle;
    };
    expect(await lifecycle()).toBe('pre-personalised');
    // SET LIFE CYCLE (terminated) commits a transaction in the applet; its channel opens with the SP keys.
    // The command must carry the SP-TSM's authorisation: content keys first, by key transport.
    const spKey = hex('5350544B45595350544B45595350544B');
    const { attestation } = await attestCard(transport!);
    const contentKeys = testContentKeysFor(attestation);
    let sp = await session({ sdAid: JPKI_AID, keys: makeKeySet(0x30, spKey) });
    await AppletAdministration.open(sp, contentKeys, attestation);
    await sp.end();
    sp = await session({ sdAid: JPKI_AID, keys: makeKeySet(0x30, spKey) });
    const admin = await AppletAdministration.open(sp, contentKeys);
    const counterBefore = admin.counter;
    expect(toHex((await plain('FF70000000')).data)).toBe('01');
    expect((await plain('FF70010000')).sw).toBe(0x9000);
    expect(toHex((await plain('FF70000000')).data)).toBe('03');
    const torn = await admin.terminate().then(
      () => 'answered',
      (e: unknown) => (e as Error).message,
    );
    expect(torn).not.toMatch(/^answered/);
    await sp.end().catch(() => undefined);
    await transport!.close().catch(() => undefined);
    transport = await openOwnCard(READER, ATR);
    expect(toHex((await plain('FF70000000')).data)).toBe('01');
    expect(await lifecycle()).toBe('pre-personalised');
    // the same command without a power loss goes through: the counter did not move either
    sp = await session({ sdAid: JPKI_AID, keys: makeKeySet(0x30, spKey) });
    const again = await AppletAdministration.open(sp, contentKeys);
    expect(again.counter).toBe(counterBefore);
    await again.terminate();
    await sp.end();
    expect(await lifecycle()).toBe('terminated');
  });
});
