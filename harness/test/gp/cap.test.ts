/** CAP parsing against the reference CAP of this repository's applet, and malformed inputs. */
import { readFileSync } from 'node:fs';
import { deflateRawSync } from 'node:zlib';
import { concatBytes, toHex } from '../../src/apdu/hex.js';
import { CapFile, packageName } from '../../src/gp/cap/cap.js';
import { referenceCapStatus } from '../../src/gp/cap/reference.js';
import { CapFormatError } from '../../src/gp/errors.js';
import { packageRoot } from '../../src/package-root.js';
import { announceSkip, vector } from '../support.js';

const capPath = vector('cap', 'jpki-applet.cap');
const meta = JSON.parse(readFileSync(`${capPath}.json`, 'utf8')) as { packageAid: string; appletAid: string; version: string };

/** Builds a ZIP archive (stored or deflated entries) for malformed-input tests. */
function zip(entries: { name: string; data: Uint8Array; deflate?: boolean }[]): Uint8Array {
  const locals: Uint8Array[] = [];
  const centrals: Uint8Array[] = [];
  let offset = 0;
  for (const e of entries) {
    const body = e.deflate ? new Uint8Array(deflateRawSync(e.data)) : e.data;
    const name = Buffer.from(e.name);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(e.deflate ? 8 : 0, 8);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(e.data.length, 22);
    local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(e.deflate ? 8 : 0, 10);
    central.writeUInt32LE(body.length, 20);
    central.writeUInt32LE(e.data.length, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, body);
    centrals.push(central, name);
    offset += 30 + name.length + body.length;
  }
  const cd = concatBytes(...centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return concatBytes(...locals, cd, end);
}

describe('reference CAP of the JPKI applet', () => {
  const cap = CapFile.load(capPath);
  test('package AID, version and applet AID', () => {
    expect(toHex(cap.packageAid)).toBe(meta.packageAid);
    expect(`${cap.packageVersion.major}.${cap.packageVersion.minor}`).toBe(meta.version);
    expect(cap.applets.map((a) => toHex(a.aid))).toEqual([meta.appletAid]);
    // CAP format 2.1 headers carry no package name; 2.2 and later do
    expect(cap.capVersion.major).toBe(2);
    if (cap.capVersion.minor >= 2) expect(cap.packageName).toBe('org.jpkisim.applet');
  });
  test('imports javacard.framework, with names', () => {
    const info = cap.describe();
    expect(info.imports.map((i) => i.name)).toContain('javacard.framework');
    // a card that lists no platform package says nothing about them: nothing to warn about
    expect(cap.missingImports([])).toEqual([]);
    expect(cap.missingImports(cap.imports.map((i) => i.aid))).toEqual([]);
    // a card that lists some platform packages lists those it has: the others are missing
    const framework = cap.imports.find((i) => packageName(i.aid) === 'javacard.framework')!;
    expect(cap.missingImports([framework.aid]).length).toBe(cap.imports.length - 1);
  });
  test('fits a constrained UICC: load file within 10 KB, GlobalPlatform API 1.2 at most, no Java Card 3 packages', () => {
    expect(cap.loadFileDataBlock().length).toBeLessThanOrEqual(10 * 1024);
    const info = cap.describe();
    const gp = info.imports.find((i) => i.name === 'org.globalplatform');
    expect(gp).toBeDefined();
    const [major, minor] = gp!.version.split('.').map(Number);
    expect(major! * 100 + minor!).toBeLessThanOrEqual(102);
    // Built with the 2.2.2 converter against the 2.2.2 API: javacard.framework 1.3 at most.
    const framework = info.imports.find((i) => i.name === 'javacard.framework');
    const [fMajor, fMinor] = framework!.version.split('.').map(Number);
    expect(fMajor! * 100 + fMinor!).toBeLessThanOrEqual(103);
  });
  test('load order: Header first, Descriptor and Debug only on request', () => {
    const order = cap.loadOrder();
    expect(order[0]).toBe('Header');
    expect(order[1]).toBe('Directory');
    expect(order).not.toContain('Descriptor');
    expect(cap.loadOrder({ includeDescriptor: true })).toContain('Descriptor');
    const block = cap.loadFileDataBlock();
    expect(block.length).toBe(order.reduce((n, c) => n + cap.components.get(c)!.length, 0));
    expect(toHex(block.subarray(3, 7))).toBe('DECAFFED');
  });
  test('load file hash is SHA-256 of the data block', () => {
    expect(cap.loadFileHash().length).toBe(32);
    expect(cap.loadFileHash('sha1').length).toBe(20);
  });
  test('is current with applet/src (staleness check)', () => {
    const status = referenceCapStatus(packageRoot());
    expect(status.present).toBe(true);
    if (!status.current)
      announceSkip('reference CAP freshness', 'test-vectors/cap/jpki-applet.cap is STALE: run scripts/cap-reference.sh build with JC_HOME set');
    expect(status.sourceHash).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('malformed CAP files are CapFormatError', () => {
  const good = CapFile.load(capPath);
  const entries = [...good.components.entries()].map(([name, data]) => ({ name: `org/x/javacard/${name}.cap`, data, deflate: true }));
  test('a rebuilt archive with deflated entries parses the same', () => {
    const cap = CapFile.parse(zip(entries));
    expect(toHex(cap.packageAid)).toBe(meta.packageAid);
  });
  test('not a ZIP', () => {
    expect(() => CapFile.parse(Uint8Array.of(1, 2, 3, 4))).toThrow(CapFormatError);
  });
  test('missing Header', () => {
    expect(() => CapFile.parse(zip(entries.filter((e) => !e.name.endsWith('Header.cap'))))).toThrow(/no Header/);
  });
  test('component size mismatch', () => {
    const bad = entries.map((e) => (e.name.endsWith('Method.cap') ? { ...e, data: e.data.subarray(0, e.data.length - 1) } : e));
    expect(() => CapFile.parse(zip(bad))).toThrow(CapFormatError);
  });
  test('bad magic', () => {
    const bad = entries.map((e) => (e.name.endsWith('Header.cap') ? { ...e, data: Uint8Array.from(e.data, (b, i) => (i === 3 ? 0 : b)) } : e));
    expect(() => CapFile.parse(zip(bad))).toThrow(/DECAFFED/);
  });
  test('two packages in one file', () => {
    expect(() => CapFile.parse(zip([...entries, { name: 'org/y/javacard/Header.cap', data: entries[0]!.data }]))).toThrow(/more than one package/);
  });
  test('an unreadable file', () => {
    expect(() => CapFile.load('/nonexistent/x.cap')).toThrow(CapFormatError);
  });
});
