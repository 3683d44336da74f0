/**
 * Java Card CAP files (Java Card Virtual Machine Specification, chapter 6): the ZIP, every component,
 * the package AID and version, applet AIDs, imports, and the load file data block in load order.
 */
import { createHash } from 'node:crypto';
import { readWholeFile } from '../../read-file.js';
import { concatBytes, toHex } from '../../apdu/hex.js';
import { CapFormatError } from '../errors.js';
import { readZip } from './zip.js';

export const COMPONENT_NAMES = [
  'Header',
  'Directory',
  'Applet',
  'Import',
  'ConstantPool',
  'Class',
  'Method',
  'StaticField',
  'RefLocation',
  'Export',
  'Descriptor',
  'Debug',
  'StaticResources',
] as const;
export type ComponentName = (typeof COMPONENT_NAMES)[number];

/** Component tags (JCVM specification Table 6-1). */
export const COMPONENT_TAGS: Readonly<Record<ComponentName, number>> = {
  Header: 1,
  Directory: 2,
  Applet: 3,
  Import: 4,
  ConstantPool: 5,
  Class: 6,
  Method: 7,
  StaticField: 8,
  RefLocation: 9,
  Export: 10,
  Descriptor: 11,
  Debug: 12,
  StaticResources: 13,
};

/** The order in which components are sent to the card (JCVM 6.2; Descriptor and Debug last and optional). */
export const LOAD_ORDER: readonly ComponentName[] = [
  'Header',
  'Directory',
  'Import',
  'Applet',
  'Class',
  'Method',
  'StaticField',
  'Export',
  'ConstantPool',
  'RefLocation',
  'StaticResources',
  'Descriptor',
  'Debug',
];

export interface PackageRef {
  readonly aid: Uint8Array;
  readonly major: number;
  readonly minor: number;
}

export interface CapApplet {
  readonly aid: Uint8Array;
  readonly installMethodOffset: number;
}

export interface LoadFileOptions {
  /** Include the Descriptor component (some cards want it, most do not). */
  readonly includeDescriptor?: boolean;
  /** Include the Debug component. */
  readonly includeDebug?: boolean;
}

/** Well-known packages, for readable import lists. */
export const KNOWN_PACKAGES: ReadonlyMap<string, string> = new Map([
  ['A0000000620001', 'java.lang'],
  ['A0000000620002', 'java.io'],
  ['A0000000620003', 'java.rmi'],
  ['A0000000620101', 'javacard.framework'],
  ['A000000062010101', 'javacard.framework.service'],
  ['A0000000620102', 'javacard.security'],
  ['A0000000620201', 'javacardx.crypto'],
  ['A0000000620202', 'javacardx.biometry'],
  ['A0000000620203', 'javacardx.external'],
  ['A0000000620204', 'javacardx.biometry1toN'],
  ['A0000000620205', 'javacardx.security'],
  ['A000000062020801', 'javacardx.framework.util.intx'],
  ['A0000000620209', 'javacardx.apdu'],
  ['A00000015100', 'org.globalplatform'],
  ['A0000000090003FFFFFFFF8910710001', 'sim.access'],
  ['A0000000090003FFFFFFFF8910710002', 'sim.toolkit'],
  ['A0000000090005FFFFFFFF8911000000', 'uicc.access'],
  ['A0000000090005FFFFFFFF8912000000', 'uicc.toolkit'],
  ['A0000000090005FFFFFFFF8913000000', 'uicc.system'],
]);

export function packageName(aid: Uint8Array): string | undefined {
  return KNOWN_PACKAGES.get(toHex(aid));
}

function readAid(b: Uint8Array, offset: number, what: string): [Uint8Array, number] {
  const length = b[offset];
  if (length === undefined || length < 5 || length > 16 || offset + 1 + length > b.length) {
    throw new CapFormatError(`${what}: AID length ${length ?? 'missing'} is not 5..16 or runs past the component`);
  }
  return [b.slice(offset + 1, offset + 1 + length), offset + 1 + length];
}

/** A parsed CAP file. */
export class CapFile {
  /** Raw components (including their tag and size bytes), by name. */
  readonly components: ReadonlyMap<ComponentName, Uint8Array>;
  readonly packageAid: Uint8Array;
  readonly packageVersion: { readonly major: number; readonly minor: number };
  readonly packageName: string | undefined;
  readonly capVersion: { readonly major: number; readonly minor: number };
  readonly flags: number;
  readonly applets: readonly CapApplet[];
  readonly imports: readonly PackageRef[];
  readonly source: string;

  private constructor(source: string, components: Map<ComponentName, Uint8Array>) {
    this.source = source;
    this.components = components;
    const header = components.get('Header')!;
    if (header.length < 3 + 4 + 3 + 2 || header[3] !== 0xde || header[4] !== 0xca || header[5] !== 0xff || header[6] !== 0xed) {
      throw new CapFormatError(`${source}: Header component lacks the DECAFFED magic`);
    }
    this.capVersion = { minor: header[7]!, major: header[8]! };
    this.flags = header[9]!;
    const pkgMinor = header[10]!;
    const pkgMajor = header[11]!;
    const [aid, afterAid] = readAid(header, 12, `${source}: Header package AID`);
    this.packageAid = aid;
    this.packageVersion = { major: pkgMajor, minor: pkgMinor };
    let name: string | undefined;
    if (afterAid < header.length) {
      const n = header[afterAid]!;
      if (n > 0 && afterAid + 1 + n <= header.length)
        name = Buffer.from(header.subarray(afterAid + 1, afterAid + 1 + n))
          .toString('utf8')
          .replaceAll('/', '.');
    }
    this.packageName = name;

    const applets: CapApplet[] = [];
    const applet = components.get('Applet');
    if (applet !== undefined) {
      let o = 4;
      for (let i = 0; i < (applet[3] ?? 0); i++) {
        const [appletAid, next] = readAid(applet, o, `${source}: Applet component`);
        if (next + 2 > applet.length) throw new CapFormatError(`${source}: Applet component is truncated`);
        applets.push({ aid: appletAid, installMethodOffset: (applet[next]! << 8) | applet[next + 1]! });
        o = next + 2;
      }
    }
    this.applets = applets;

    const imports: PackageRef[] = [];
    const imp = components.get('Import')!;
    let o = 4;
    for (let i = 0; i < (imp[3] ?? 0); i++) {
      if (o + 2 > imp.length) throw new CapFormatError(`${source}: Import component is truncated`);
      const minor = imp[o]!;
      const major = imp[o + 1]!;
      const [importAid, next] = readAid(imp, o + 2, `${source}: Import component`);
      imports.push({ aid: importAid, major, minor });
      o = next;
    }
    this.imports = imports;
  }

  /** Parses CAP bytes (a ZIP archive with one package's components). */
  static parse(bytes: Uint8Array, source = 'CAP file'): CapFile {
    const entries = readZip(bytes);
    const components = new Map<ComponentName, Uint8Array>();
    let folder: string | undefined;
    for (const entry of entries) {
      const m = /^(.*\/)?javacard\/([A-Za-z]+)\.cap$/.exec(entry.name);
      if (!m) continue;
      const name = m[2] as ComponentName;
      if (!COMPONENT_NAMES.includes(name)) continue;
      const dir = m[1] ?? '';
      if (folder !== undefined && dir !== folder) throw new CapFormatError(`${source}: components of more than one package (${folder} and ${dir})`);
      folder = dir;
      const data = entry.data;
      if (data.length < 3) throw new CapFormatError(`${source}: ${name} component is shorter than its tag and size`);
      if (data[0] !== COMPONENT_TAGS[name])
        throw new CapFormatError(`${source}: ${name} component has tag ${data[0]}, expected ${COMPONENT_TAGS[name]}`);
      const size = (data[1]! << 8) | data[2]!;
      if (size + 3 !== data.length) throw new CapFormatError(`${source}: ${name} component says ${size} bytes, has ${data.length - 3}`);
      components.set(name, data);
    }
    for (const required of ['Header', 'Directory', 'Import', 'ConstantPool', 'Method', 'RefLocation'] as const) {
      if (!components.has(required)) throw new CapFormatError(`${source}: no ${required} component (not a CAP file, or a damaged one)`);
    }
    return new CapFile(source, components);
  }

  static load(file: string): CapFile {
    const bytes = readWholeFile(file, (reason) => new CapFormatError(`cannot read ${file}: ${reason}`));
    return CapFile.parse(bytes, file);
  }

  /** The components that go to the card, in load order. */
  loadOrder(options: LoadFileOptions = {}): ComponentName[] {
    return LOAD_ORDER.filter((n) => {
      if (!this.components.has(n)) return false;
      if (n === 'Descriptor') return options.includeDescriptor === true;
      if (n === 'Debug') return options.includeDebug === true;
      return true;
    });
  }

  /** The load file data block: the components concatenated in load order. */
  loadFileDataBlock(options: LoadFileOptions = {}): Uint8Array {
    return concatBytes(...this.loadOrder(options).map((n) => this.components.get(n)!));
  }

  /** Hash of the load file data block for INSTALL [for load] (SHA-256 by default, SHA-1 for older cards). */
  loadFileHash(algorithm: 'sha256' | 'sha1' = 'sha256', options: LoadFileOptions = {}): Uint8Array {
    return new Uint8Array(createHash(algorithm).update(this.loadFileDataBlock(options)).digest());
  }

  /**
   * Imports the card does not list among its load files. Cards differ in what GET STATUS shows: some
   * list the platform packages in ROM (java.lang, javacard.*, javacardx.*, org.globalplatform), many
   * list none of them. A card that lists none of them says nothing about them, so they are only
   * checked on a card that lists at least one; the CAP's other imports are checked always.
   */
  missingImports(cardPackages: readonly Uint8Array[]): PackageRef[] {
    const present = new Set(cardPackages.map(toHex));
    const listsPlatform = [...present].some(isPlatformPackage);
    return this.imports.filter((p) => {
      const aid = toHex(p.aid);
      return !present.has(aid) && (listsPlatform || !isPlatformPackage(aid));
    });
  }

  /** A plain description for `cap info`. */
  describe(options: LoadFileOptions = {}): CapInfo {
    return {
      file: this.source,
      package: {
        aid: toHex(this.packageAid),
        version: `${this.packageVersion.major}.${this.packageVersion.minor}`,
        ...(this.packageName !== undefined ? { name: this.packageName } : {}),
      },
      capFormat: `${this.capVersion.major}.${this.capVersion.minor}`,
      applets: this.applets.map((a) => toHex(a.aid)),
      imports: this.imports.map((p) => ({
        aid: toHex(p.aid),
        version: `${p.major}.${p.minor}`,
        ...(packageName(p.aid) !== undefined ? { name: packageName(p.aid)! } : {}),
      })),
      components: COMPONENT_NAMES.filter((n) => this.components.has(n)).map((n) => ({ name: n, size: this.components.get(n)!.length })),
      loadOrder: this.loadOrder(options),
      loadFileSize: this.loadFileDataBlock(options).length,
      sha256: toHex(this.loadFileHash('sha256', options)),
    };
  }
}

export interface CapInfo {
  readonly file: string;
  readonly package: { readonly aid: string; readonly version: string; readonly name?: string };
  readonly capFormat: string;
  readonly applets: readonly string[];
  readonly imports: readonly { readonly aid: string; readonly version: string; readonly name?: string }[];
  readonly components: readonly { readonly name: ComponentName; readonly size: number }[];
  readonly loadOrder: readonly ComponentName[];
  readonly loadFileSize: number;
  readonly sha256: string;
}

/** The Java Card platform RID (java.lang, javacard.*, javacardx.*) and the GlobalPlatform API package (org.globalplatform). */
const PLATFORM_PACKAGE_PREFIXES = ['A000000062', 'A00000015100'];

/** Whether an AID (hex) is a platform package that a card keeps in ROM. */
export function isPlatformPackage(aidHex: string): boolean {
  return PLATFORM_PACKAGE_PREFIXES.some((prefix) => aidHex.toUpperCase().startsWith(prefix));
}
