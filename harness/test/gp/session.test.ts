/**
 * The session state machine and card content management against the test-only card emulator
 * (card side of SCP02/SCP03 written separately in emulated-card.ts).
 */
import { parseHex, toHex } from '../../src/apdu/hex.js';
import { CapFile } from '../../src/gp/cap/cap.js';
import { encodePrivileges, ISD_AID_DEFAULT, loadBlockSize } from '../../src/gp/commands.js';
import { CardStatusError } from '../../src/errors.js';
import { CardCryptogramError, ResponseIntegrityError, SecureChannelClosedError, SecureChannelProtocolError } from '../../src/gp/errors.js';
import { makeKeySet, type KeySet } from '../../src/gp/keys.js';
import { deleteAid, installApplet, listRegistry, loadCap, storeApplicationData, putKeys, setApplicationLocked } from '../../src/gp/manager.js';
import { GpSession } from '../../src/gp/session.js';
import { vector } from '../support.js';
import { EmulatedCard } from './emulated-card.js';

const des = makeKeySet(0x20, parseHex('404142434445464748494A4B4C4D4E4F'));
const aes = makeKeySet(
  0x30,
  parseHex('000102030405060708090A0B0C0D0E0F'),
  parseHex('101112131415161718191A1B1C1D1E1F'),
  parseHex('202122232425262728292A2B2C2D2E2F'),
);
const cap = CapFile.load(vector('cap', 'jpki-applet.cap'));
const appletAid = cap.applets[0]!.aid;

interface Variant {
  name: string;
  scp: 2 | 3;
  i: number;
  level: number;
  keys: KeySet;
}
const variants: Variant[] = [
  { name: 'SCP02 i=15 C-MAC', scp: 2, i: 0x15, level: 0x01, keys: des },
  { name: 'SCP02 i=55 C-MAC+C-DEC', scp: 2, i: 0x55, level: 0x03, keys: des },
  { name: 'SCP02 i=15 C-MAC+C-DEC+R-MAC', scp: 2, i: 0x15, level: 0x13, keys: des },
  { name: 'SCP03 i=00 C-MAC', scp: 3, i: 0x00, level: 0x01, keys: aes },
  { name: 'SCP03 i=10 C-MAC+C-DEC (pseudo-random challenge)', scp: 3, i: 0x10, level: 0x03, keys: aes },
  { name: 'SCP03 i=60 C-MAC+R-MAC', scp: 3, i: 0x60, level: 0x11, keys: aes },
  { name: 'SCP03 i=70 all four', scp: 3, i: 0x70, level: 0x33, keys: aes },
  { name: 'SCP03 i=71 S16 all four', scp: 3, i: 0x71, level: 0x33, keys: aes },
];

describe.each(variants.map((v) => [v.name, v] as const))('%s: load, install, list, personalise, lock, delete', (_n, v) => {
  test('full card-management cycle', async () => {
    const card = new EmulatedCard({ scp: v.scp, i: v.i, keys: v.keys, maxCommandData: 239 });
    const session = await GpSession.open(card, { keys: v.keys, scp: v.scp, i: v.i, securityLevel: v.level, s16: (v.i & 0x01) === 1 && v.scp === 3 });
    expect(card.exclusiveDepth).toBe(1);
    expect(session.maxCommandData).toBe(239);
    const loaded = await loadCap(session, cap, { cardPackages: [parseHex('A0000000620001')] });
    expect(loaded.missingImports.length).toBeGreaterThan(0);
    expect(loaded.blockSize).toBe(loadBlockSize(239, v.scp, v.level, session.macLength));
    expect(loaded.blocks).toBe(Math.ceil((cap.loadFileDataBlock().length + 4) / loaded.blockSize));
    await installApplet(session, {
      loadFileAid: cap.packageAid,
      moduleAid: appletAid,
      privileges: encodePrivileges([]),
      parameters: { applicationParameters: parseHex('0102') },
    });
    expect(toHex(card.apps[0]!.params)).toBe('C9020102');
    const registry = await listRegistry(session);
    expect(registry.isd[0]!.aid).toBe(toHex(ISD_AID_DEFAULT));
    expect(registry.applications.map((a) => a.aid)).toEqual([toHex(appletAid)]);
    expect(registry.applications[0]!.lifeCycleName).toBe('SELECTABLE');
    expect(registry.loadFiles[0]!.modules).toEqual([toHex(appletAid)]);
    await storeApplicationData(session, appletAid, [parseHex('A0'), parseHex('B1B2')]);
    expect(card.apps[0]!.storeData.map(toHex)).toEqual(['A0', 'B1B2']);
    await setApplicationLocked(session, appletAid, true);
    expect((await listRegistry(session)).applications[0]!.lifeCycleName).toBe('LOCKED');
    await setApplicationLocked(session, appletAid, false);
    await expect(deleteAid(session, cap.packageAid)).rejects.toThrow(CardStatusError);
    await deleteAid(session, cap.packageAid, true);
    expect(card.apps).toEqual([]);
    expect(card.loadFiles).toEqual([]);
    await session.end();
    expect(card.exclusiveDepth).toBe(0);
  });
});

describe('session errors', () => {
  test('wrong keys: CardCryptogramError, and no EXTERNAL AUTHENTICATE is sent', async () => {
    const card = new EmulatedCard({ scp: 3, i: 0x70, keys: aes });
    const wrong = makeKeySet(0x30, parseHex('000102030405060708090A0B0C0D0E0E'));
    await expect(GpSession.open(card, { keys: wrong })).rejects.toThrow(CardCryptogramError);
    expect(card.wire.some((w) => w.command.startsWith('8482'))).toBe(false);
    expect(card.exclusiveDepth).toBe(0);
  });
  test('unknown key version: CardStatusError 6A88 with its meaning', async () => {
    const card = new EmulatedCard({ scp: 2, i: 0x15, keys: des });
    await expect(GpSession.open(card, { keys: makeKeySet(0x21, des.enc) })).rejects.toThrow(/6A88 \(referenced data not found/);
  });
  test('SCP mismatch is a protocol error', async () => {
    const card = new EmulatedCard({ scp: 2, i: 0x15, keys: des });
    await expect(GpSession.open(card, { keys: des, scp: 3 })).rejects.toThrow(SecureChannelProtocolError);
  });
  test('R-MAC on a card whose i does not offer it is refused before sending', async () => {
    const card = new EmulatedCard({ scp: 3, i: 0x00, keys: aes });
    await expect(GpSession.open(card, { keys: aes, securityLevel: 0x11 })).rejects.toThrow(/does not support R-MAC/);
  });
  test('a tampered response under R-MAC fails and closes the session', async () => {
    const card = new EmulatedCard({ scp: 3, i: 0x70, keys: aes });
    const session = await GpSession.open(card, { keys: aes, securityLevel: 0x13 });
    const original = card.transmit.bind(card);
    card.transmit = async (c: Uint8Array) => {
      const r = await original(c);
      r[0]! ^= 0x01;
      return r;
    };
    await expect(listRegistry(session)).rejects.toThrow(ResponseIntegrityError);
    await expect(listRegistry(session)).rejects.toThrow(SecureChannelClosedError);
  });
  test('a card that rejects a C-MAC answers 6982 and the session is closed', async () => {
    const card = new EmulatedCard({ scp: 2, i: 0x15, keys: des });
    const session = await GpSession.open(card, { keys: des });
    const original = card.transmit.bind(card);
    card.transmit = async (c: Uint8Array) => {
      const tampered = Uint8Array.from(c);
      tampered[5]! ^= 0x01; // first data byte, covered by the C-MAC
      return original(tampered);
    };
    await expect(listRegistry(session)).rejects.toThrow(/6982/);
    expect(session.isOpen).toBe(false);
  });
});

describe('GET STATUS variants', () => {
  test('paging on 6310 collects every entry', async () => {
    const card = new EmulatedCard({ scp: 3, i: 0x70, keys: aes, pageSize: 1 });
    const session = await GpSession.open(card, { keys: aes });
    await loadCap(session, cap);
    for (const suffix of ['01', '02', '03']) {
      await installApplet(session, { loadFileAid: cap.packageAid, moduleAid: appletAid, applicationAid: parseHex(toHex(appletAid) + suffix) });
    }
    const registry = await listRegistry(session);
    expect(registry.applications.length).toBe(3);
    expect(card.wire.filter((w) => w.command.startsWith('84F24003')).length).toBe(2);
  });
  test('legacy format when the card refuses TLV', async () => {
    const card = new EmulatedCard({ scp: 2, i: 0x55, keys: des, legacyStatusOnly: true });
    const session = await GpSession.open(card, { keys: des, i: 0x55 });
    await loadCap(session, cap);
    await installApplet(session, { loadFileAid: cap.packageAid, moduleAid: appletAid, privileges: encodePrivileges([], 1) });
    const registry = await listRegistry(session);
    expect(registry.applications[0]!.aid).toBe(toHex(appletAid));
    expect(registry.loadFiles[0]!.modules).toEqual([toHex(appletAid)]);
  });
});

describe('PUT KEY', () => {
  test.each([
    [
      'SCP02',
      2,
      0x15,
      des,
      makeKeySet(
        0x21,
        parseHex('11111111111111112222222222222222'),
        parseHex('33333333333333334444444444444444'),
        parseHex('55555555555555556666666666666666'),
      ),
    ],
    [
      'SCP03',
      3,
      0x70,
      aes,
      makeKeySet(
        0x31,
        parseHex('0F0E0D0C0B0A09080706050403020100'),
        parseHex('1F1E1D1C1B1A19181716151413121110'),
        parseHex('2F2E2D2C2B2A29282726252423222120'),
      ),
    ],
  ] as const)('%s: rotate the key set and open a session with the new keys', async (_n, scp, i, old, next) => {
    const card = new EmulatedCard({ scp, i, keys: old });
    const session = await GpSession.open(card, { keys: old, i });
    await putKeys(session, next, old.version);
    expect(card.keySets.has(old.version)).toBe(false);
    await expect(GpSession.open(card, { keys: old, i })).rejects.toThrow(CardStatusError);
    const again = await GpSession.open(card, { keys: next, i });
    expect(again.keyVersion).toBe(next.version);
  });
});

describe('the session as a Transport', () => {
  test('raw APDUs are wrapped and responses unwrapped; a reset ends the session', async () => {
    const card = new EmulatedCard({ scp: 3, i: 0x70, keys: aes });
    const session = await GpSession.open(card, { keys: aes, securityLevel: 0x33 });
    const r = await session.transmit(parseHex('80F28000024F0000'));
    expect(toHex(r.subarray(r.length - 2))).toBe('9000');
    expect(toHex(r)).toContain(toHex(ISD_AID_DEFAULT));
    expect(card.wire.at(-1)!.command.startsWith('84F28000')).toBe(true);
    await session.reset();
    await expect(session.transmit(parseHex('80F28000024F00'))).rejects.toThrow(SecureChannelClosedError);
  });
});
