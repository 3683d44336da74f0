/** Command encodings and response parsers of card content management (GP Card Specification 2.3, ch. 11). */
import { encodeCommand } from '../../src/apdu/command.js';
import { parseHex, toHex } from '../../src/apdu/hex.js';
import {
  berLength,
  buildInstallParameters,
  decodePrivileges,
  deleteObject,
  encodePrivileges,
  installForExtradition,
  installForInstall,
  installForLoad,
  loadBlockSize,
  loadCommands,
  maxCommandDataFromFci,
  parseStatusLegacy,
  parseStatusTlv,
  putKeySet,
  StatusScope,
} from '../../src/gp/commands.js';
import { GpConfigError, gpStatusMeaning } from '../../src/gp/errors.js';
import { makeKeySet } from '../../src/gp/keys.js';
import { createSecurityDomain, extradite, listRegistry, SSD_LOAD_FILE_AID, SSD_MODULE_AID } from '../../src/gp/manager.js';
import { GpSession } from '../../src/gp/session.js';
import { EmulatedCard } from './emulated-card.js';

describe('INSTALL', () => {
  test('[for load] with hash and SD', () => {
    const c = installForLoad({
      loadFileAid: parseHex('D392F0002601000000'),
      securityDomainAid: parseHex('A000000151000000'),
      loadFileHash: parseHex('AABB'),
    });
    expect(toHex(encodeCommand(c))).toBe('80E60200' + '18' + '09D392F0002601000000' + '08A000000151000000' + '02AABB' + '00' + '00' + '00');
  });
  test('[for install and make selectable]', () => {
    const c = installForInstall({
      loadFileAid: parseHex('D392F0002601000000'),
      moduleAid: parseHex('D392F000260100000001'),
      privileges: encodePrivileges([]),
    });
    expect(toHex(c.data!)).toBe('09D392F0002601000000' + '0AD392F000260100000001' + '0AD392F000260100000001' + '03000000' + '02C900' + '00');
    expect(c.p1).toBe(0x0c);
  });
  test('install parameters: C9 rules and the UICC EF template', () => {
    expect(toHex(buildInstallParameters())).toBe('C900');
    expect(toHex(buildInstallParameters({ emptyC9: 'omit' }))).toBe('');
    expect(
      toHex(buildInstallParameters({ applicationParameters: parseHex('01'), uicc: { volatileMemoryQuota: 0x400, nonVolatileMemoryQuota: 0x2000 } })),
    ).toBe('C90101' + 'EF08' + 'C7020400' + 'C8022000');
    expect(toHex(buildInstallParameters({ uicc: { toolkitParameters: parseHex('8001') } }))).toBe('C900' + 'EA028001');
    expect(() => buildInstallParameters({ uicc: { volatileMemoryQuota: 70000 } })).toThrow(GpConfigError);
  });
  test('[for extradition]', () => {
    expect(toHex(installForExtradition(parseHex('A000000151535041'), parseHex('D392F000260100000001')).data!)).toBe(
      '08A000000151535041' + '00' + '0AD392F000260100000001' + '00' + '00' + '00',
    );
  });
  test('bad AIDs are refused', () => {
    expect(() => installForLoad({ loadFileAid: parseHex('0102') })).toThrow(GpConfigError);
    expect(() => deleteObject(new Uint8Array(17))).toThrow(GpConfigError);
  });
});

describe('privileges', () => {
  test('3-byte and 1-byte encodings', () => {
    expect(toHex(encodePrivileges(['security-domain', 'authorized-management']))).toBe('804000');
    expect(toHex(encodePrivileges(['card-reset'], 1))).toBe('04');
    expect(() => encodePrivileges(['global-delete'], 1)).toThrow(/3-byte/);
    expect(() => encodePrivileges(['root'])).toThrow(/unknown privilege/);
  });
  test('decoding', () => {
    expect(decodePrivileges(parseHex('9EFE80'))).toEqual(
      expect.arrayContaining(['security-domain', 'card-lock', 'card-terminate', 'global-delete', 'receipt-generation']),
    );
    expect(decodePrivileges(parseHex('00'))).toEqual([]);
  });
});

describe('LOAD', () => {
  test('C4 header, block numbering, last-block flag', () => {
    const data = new Uint8Array(300).fill(0xab);
    const cmds = loadCommands(data, 200);
    expect(cmds.length).toBe(2);
    expect(toHex(cmds[0]!.data!.subarray(0, 3))).toBe('C48201');
    expect([cmds[0]!.p1, cmds[0]!.p2, cmds[1]!.p1, cmds[1]!.p2]).toEqual([0x00, 0, 0x80, 1]);
    expect(cmds[0]!.data!.length + cmds[1]!.data!.length).toBe(304);
  });
  test('BER lengths', () => {
    expect(toHex(berLength(0x7f))).toBe('7F');
    expect(toHex(berLength(0x80))).toBe('8180');
    expect(toHex(berLength(0x1234))).toBe('821234');
  });
  test('block size from the card maximum and the channel overhead', () => {
    expect(loadBlockSize(255, undefined, 0)).toBe(255);
    expect(loadBlockSize(255, 2, 0x01)).toBe(247);
    expect(loadBlockSize(255, 2, 0x03)).toBe(239); // 240 after padding + 8 MAC = 248
    expect(loadBlockSize(255, 3, 0x03)).toBe(239); // 240 + 8
    expect(loadBlockSize(255, 3, 0x03, 16)).toBe(223); // 224 + 16
    expect(() => loadCommands(new Uint8Array(60000), 100)).toThrow(/more than the 256/);
  });
  test('9F65 from the FCI', () => {
    expect(maxCommandDataFromFci(parseHex('6F108408A000000151000000A5049F6501EF'))).toBe(0xef);
    expect(maxCommandDataFromFci(parseHex('6F0A8408A000000151000000'))).toBeUndefined();
    expect(maxCommandDataFromFci(parseHex('FF'))).toBeUndefined();
  });
});

describe('GET STATUS parsing', () => {
  test('TLV format', () => {
    const e = parseStatusTlv(
      StatusScope.LOAD_FILES_AND_MODULES,
      parseHex('E31B' + '4F07A0000001515350' + '9F700101' + 'CE020100' + '8408A000000151535041'),
    );
    expect(e[0]).toMatchObject({ kind: 'load-file', aid: 'A0000001515350', lifeCycleName: 'LOADED', version: '1.0', modules: ['A000000151535041'] });
  });
  test('legacy format with modules', () => {
    const e = parseStatusLegacy(StatusScope.LOAD_FILES_AND_MODULES, parseHex('07A0000001515350' + '01' + '00' + '01' + '08A000000151535041'));
    expect(e[0]!.modules).toEqual(['A000000151535041']);
  });
  test('truncated data is an error', () => {
    expect(() => parseStatusLegacy(StatusScope.APPLICATIONS, parseHex('08A0000001'))).toThrow();
    expect(() => parseStatusTlv(StatusScope.APPLICATIONS, parseHex('E305' + '4F03'))).toThrow();
  });
});

describe('PUT KEY encoding', () => {
  test('SCP03: 88 || length+1 || key length || AES-CBC(DEK, key) || 03 || KCV', () => {
    const k = parseHex('000102030405060708090A0B0C0D0E0F');
    const { command, expected } = putKeySet(makeKeySet(0x31, k), 0x30, 3, parseHex('404142434445464748494A4B4C4D4E4F'));
    expect(command.p1).toBe(0x30);
    expect(command.p2).toBe(0x81);
    expect(toHex(command.data!.subarray(0, 4))).toBe('31881110');
    // pySim's published AES KCV of this key (test_globalplatform.py SCP03_KCV_Test)
    expect(toHex(expected)).toBe('31' + 'C35280'.repeat(3));
  });
});

describe('status word meanings', () => {
  test.each([
    [0x6a88, 'referenced data not found'],
    [0x6982, 'security status not satisfied'],
    [0x6a84, 'not enough memory'],
    [0x6985, 'conditions of use'],
    [0x1234, 'unknown status'],
  ])('%s', (sw, text) => {
    expect(gpStatusMeaning(sw)).toContain(text);
  });
});

describe('supplementary security domains', () => {
  test('create an SSD and extradite an application to it', async () => {
    const keys = makeKeySet(0x30, parseHex('404142434445464748494A4B4C4D4E4F'));
    const app = { aid: parseHex('D392F0002601000000'), modules: [parseHex('D392F000260100000001')] };
    const card = new EmulatedCard({ scp: 3, i: 0x70, keys, preloaded: [{ aid: SSD_LOAD_FILE_AID, modules: [SSD_MODULE_AID] }, app] });
    const session = await GpSession.open(card, { keys });
    const ssd = parseHex('A00000015153504100000001');
    await createSecurityDomain(session, ssd, { privileges: ['authorized-management'] });
    const { installApplet } = await import('../../src/gp/manager.js');
    await installApplet(session, { loadFileAid: app.aid, moduleAid: app.modules[0]! });
    await extradite(session, ssd, app.modules[0]!);
    const registry = await listRegistry(session);
    const sd = registry.applications.find((a) => a.aid === toHex(ssd))!;
    expect(sd.kind).toBe('security-domain');
    expect(sd.privileges).toEqual(expect.arrayContaining(['security-domain', 'authorized-management']));
    expect(card.apps.find((a) => toHex(a.aid) === toHex(app.modules[0]!))!.sd).toBe(toHex(ssd));
  });
});
