/**
 * GlobalPlatform card content management commands (Card Specification 2.3, chapter 11) as plain
 * command APDUs, and the parsers of their responses. Nothing here sends anything: `GpSession` does.
 */
import type { CommandApdu } from '../apdu/command.js';
import { concatBytes, parseHex, toHex } from '../apdu/hex.js';
import { aesCbcEncrypt, kcvAes, kcvDes3, tdesEcbEncrypt } from './crypto.js';
import { GpConfigError, SecureChannelProtocolError } from './errors.js';

export const GP_CLA = 0x80;
export const ISD_AID_DEFAULT = parseHex('A000000151000000');

export function lv(bytes: Uint8Array): Uint8Array {
  if (bytes.length > 255) throw new GpConfigError(`field of ${bytes.length} bytes does not fit a one-byte length`);
  return concatBytes(Uint8Array.of(bytes.length), bytes);
}

/** BER-TLV length encoding (1, 2 or 3 bytes). */
export function berLength(n: number): Uint8Array {
  if (n < 0x80) return Uint8Array.of(n);
  if (n < 0x100) return Uint8Array.of(0x81, n);
  if (n < 0x10000) return Uint8Array.of(0x82, n >> 8, n & 0xff);
  throw new GpConfigError(`TLV length ${n} too large`);
}

export function tlv(tag: number, value: Uint8Array): Uint8Array {
  const t = tag > 0xff ? Uint8Array.of(tag >> 8, tag & 0xff) : Uint8Array.of(tag);
  return concatBytes(t, berLength(value.length), value);
}

export function checkAid(name: string, aid: Uint8Array): void {
  if (aid.length < 5 || aid.length > 16) throw new GpConfigError(`${name} AID must be 5..16 bytes, got ${aid.length}`);
}

export function selectByAid(aid: Uint8Array): CommandApdu {
  return { cla: 0x00, ins: 0xa4, p1: 0x04, p2: 0x00, data: aid, ne: 256 };
}

export function initializeUpdate(keyVersion: number, hostChallenge: Uint8Array, channel = 0): CommandApdu {
  return { cla: GP_CLA | channel, ins: 0x50, p1: keyVersion, p2: 0x00, data: hostChallenge, ne: 256 };
}

// ---- privileges -------------------------------------------------------------------------------

/** Privilege names (Card Specification 2.3 Table 11-7) and their bit in the 3-byte encoding. */
export const PRIVILEGES: Readonly<Record<string, readonly [number, number]>> = {
  'security-domain': [0, 0x80],
  'dap-verification': [0, 0xc0],
  'delegated-management': [0, 0xa0],
  'card-lock': [0, 0x10],
  'card-terminate': [0, 0x08],
  'card-reset': [0, 0x04],
  'default-selected': [0, 0x04],
  'cvm-management': [0, 0x02],
  'mandated-dap': [0, 0xc1],
  'trusted-path': [1, 0x80],
  'authorized-management': [1, 0x40],
  'token-verification': [1, 0x20],
  'global-delete': [1, 0x10],
  'global-lock': [1, 0x08],
  'global-registry': [1, 0x04],
  'final-application': [1, 0x02],
  'global-service': [1, 0x01],
  'receipt-generation': [2, 0x80],
  'ciphered-load-file-data-block': [2, 0x40],
  'contactless-activation': [2, 0x20],
  'contactless-self-activation': [2, 0x10],
};

/** Encodes privileges by name, in the 1-byte (GP 2.1.1) or 3-byte (GP 2.2+) form a card expects. */
export function encodePrivileges(names: readonly string[], encoding: 1 | 3 = 3): Uint8Array {
  const bytes = new Uint8Array(3);
  for (const name of names) {
    const p = PRIVILEGES[name.toLowerCase()];
    if (p === undefined) throw new GpConfigError(`unknown privilege '${name}' (known: ${Object.keys(PRIVILEGES).join(', ')})`);
    bytes[p[0]]! |= p[1];
  }
  if (encoding === 1) {
    if (bytes[1] !== 0 || bytes[2] !== 0) throw new GpConfigError(`privileges ${names.join(', ')} need the 3-byte encoding`);
    return bytes.subarray(0, 1);
  }
  return bytes;
}

export function decodePrivileges(bytes: Uint8Array): string[] {
  const b0 = bytes[0] ?? 0;
  const out: string[] = [];
  if (b0 & 0x80) out.push('security-domain');
  if (b0 & 0x40) out.push('dap-verification');
  if (b0 & 0x20) out.push('delegated-management');
  if (b0 & 0x10) out.push('card-lock');
  if (b0 & 0x08) out.push('card-terminate');
  if (b0 & 0x04) out.push('card-reset');
  if (b0 & 0x02) out.push('cvm-management');
  if (b0 & 0x01) out.push('mandated-dap');
  for (const [name, [i, mask]] of Object.entries(PRIVILEGES)) {
    if (i > 0 && ((bytes[i] ?? 0) & mask) === mask) out.push(name);
  }
  return out;
}

// ---- INSTALL -----------------------------------------------------------------------------------

export interface InstallForLoadOptions {
  readonly loadFileAid: Uint8Array;
  readonly securityDomainAid?: Uint8Array;
  readonly loadFileHash?: Uint8Array;
  readonly loadParameters?: Uint8Array;
  readonly token?: Uint8Array;
}

export function installForLoad(o: InstallForLoadOptions): CommandApdu {
  checkAid('load file', o.loadFileAid);
  const data = concatBytes(
    lv(o.loadFileAid),
    lv(o.securityDomainAid ?? new Uint8Array(0)),
    lv(o.loadFileHash ?? new Uint8Array(0)),
    lv(o.loadParameters ?? new Uint8Array(0)),
    lv(o.token ?? new Uint8Array(0)),
  );
  return { cla: GP_CLA, ins: 0xe6, p1: 0x02, p2: 0x00, data, ne: 256 };
}

/** System-specific install parameters a UICC needs (ETSI TS 102 226 8.2.1.3.2). */
export interface UiccInstallParameters {
  /** Tag C7 inside EF: volatile memory quota in bytes. */
  readonly volatileMemoryQuota?: number;
  /** Tag C8 inside EF: non-volatile memory quota in bytes. */
  readonly nonVolatileMemoryQuota?: number;
  /** Further raw TLVs inside EF (hex), e.g. D7/D8 reserved memory. */
  readonly systemSpecificExtra?: Uint8Array;
  /**
   * Raw content of the EA template, the UICC system-specific parameters (ETSI TS 102 226): 80 toolkit
   * application parameters, 81 UICC access parameters (access domain), 82 administrative access.
   */
  readonly toolkitParameters?: Uint8Array;
  /** Further raw TLVs appended after EF/EA (UICC access parameters and other vendor-specific templates). */
  readonly accessParameters?: Uint8Array;
}

export interface InstallParametersOptions {
  /** The application-specific parameters that reach the applet's install() (tag C9). */
  readonly applicationParameters?: Uint8Array;
  /** When there are no application parameters: send `C9 00` (most cards) or nothing. */
  readonly emptyC9?: 'c900' | 'omit';
  readonly uicc?: UiccInstallParameters;
}

export function buildInstallParameters(o: InstallParametersOptions = {}): Uint8Array {
  const parts: Uint8Array[] = [];
  const app = o.applicationParameters ?? new Uint8Array(0);
  if (app.length > 0 || (o.emptyC9 ?? 'c900') === 'c900') parts.push(tlv(0xc9, app));
  const u = o.uicc;
  if (u !== undefined) {
    const ef: Uint8Array[] = [];
    const quota = (tag: number, n: number | undefined): void => {
      if (n === undefined) return;
      if (!Number.isInteger(n) || n < 0 || n > 0xffff) throw new GpConfigError(`memory quota ${n} must be 0..65535`);
      ef.push(tlv(tag, Uint8Array.of(n >> 8, n & 0xff)));
    };
    quota(0xc7, u.volatileMemoryQuota);
    quota(0xc8, u.nonVolatileMemoryQuota);
    if (u.systemSpecificExtra !== undefined) ef.push(u.systemSpecificExtra);
    if (ef.length > 0) parts.push(tlv(0xef, concatBytes(...ef)));
    if (u.toolkitParameters !== undefined) parts.push(tlv(0xea, u.toolkitParameters));
    if (u.accessParameters !== undefined) parts.push(u.accessParameters);
  }
  return concatBytes(...parts);
}

export interface InstallForInstallOptions {
  readonly loadFileAid: Uint8Array;
  readonly moduleAid: Uint8Array;
  readonly applicationAid?: Uint8Array;
  readonly privileges?: Uint8Array;
  readonly installParameters?: Uint8Array;
  readonly token?: Uint8Array;
  /** Make selectable in the same command (P1 0C), the usual case. */
  readonly makeSelectable?: boolean;
}

export function installForInstall(o: InstallForInstallOptions): CommandApdu {
  checkAid('load file', o.loadFileAid);
  checkAid('module', o.moduleAid);
  const app = o.applicationAid ?? o.moduleAid;
  checkAid('application', app);
  const data = concatBytes(
    lv(o.loadFileAid),
    lv(o.moduleAid),
    lv(app),
    lv(o.privileges ?? Uint8Array.of(0)),
    lv(o.installParameters ?? buildInstallParameters()),
    lv(o.token ?? new Uint8Array(0)),
  );
  return { cla: GP_CLA, ins: 0xe6, p1: o.makeSelectable === false ? 0x04 : 0x0c, p2: 0x00, data, ne: 256 };
}

export function installForMakeSelectable(applicationAid: Uint8Array, privileges: Uint8Array = Uint8Array.of(0)): CommandApdu {
  checkAid('application', applicationAid);
  const data = concatBytes(Uint8Array.of(0, 0), lv(applicationAid), lv(privileges), Uint8Array.of(0, 0));
  return { cla: GP_CLA, ins: 0xe6, p1: 0x08, p2: 0x00, data, ne: 256 };
}

export function installForPersonalization(applicationAid: Uint8Array): CommandApdu {
  checkAid('application', applicationAid);
  return { cla: GP_CLA, ins: 0xe6, p1: 0x20, p2: 0x00, data: concatBytes(Uint8Array.of(0, 0), lv(applicationAid), Uint8Array.of(0, 0, 0)), ne: 256 };
}

/** INSTALL [for extradition]: moves an application (or an SSD) under another security domain. */
export function installForExtradition(securityDomainAid: Uint8Array, applicationAid: Uint8Array, token: Uint8Array = new Uint8Array(0)): CommandApdu {
  checkAid('security domain', securityDomainAid);
  checkAid('application', applicationAid);
  const data = concatBytes(lv(securityDomainAid), Uint8Array.of(0), lv(applicationAid), Uint8Array.of(0), Uint8Array.of(0), lv(token));
  return { cla: GP_CLA, ins: 0xe6, p1: 0x10, p2: 0x00, data, ne: 256 };
}

// ---- LOAD --------------------------------------------------------------------------------------

/** The LOAD data: C4 tag with BER length, then the load file data block (GP 11.6.2.3). */
export function loadFileWithTag(loadFileDataBlock: Uint8Array): Uint8Array {
  return concatBytes(Uint8Array.of(0xc4), berLength(loadFileDataBlock.length), loadFileDataBlock);
}

/** Splits the tagged load file into LOAD commands of at most `blockSize` data bytes; P1 80 marks the last. */
export function loadCommands(loadFileDataBlock: Uint8Array, blockSize: number): CommandApdu[] {
  if (!Number.isInteger(blockSize) || blockSize < 1 || blockSize > 65535) throw new GpConfigError(`LOAD block size ${blockSize} is not valid`);
  const all = loadFileWithTag(loadFileDataBlock);
  const count = Math.ceil(all.length / blockSize);
  if (count > 256) throw new GpConfigError(`load file needs ${count} LOAD blocks, more than the 256 P2 can number: use a larger block size`);
  const out: CommandApdu[] = [];
  for (let i = 0; i < count; i++) {
    const last = i === count - 1;
    out.push({ cla: GP_CLA, ins: 0xe8, p1: last ? 0x80 : 0x00, p2: i, data: all.subarray(i * blockSize, (i + 1) * blockSize), ne: 256 });
  }
  return out;
}

/**
 * The largest LOAD block that, once protected, still fits the card's maximum command data length
 * (FCI tag 9F65, 255 when the card does not say).
 */
export function loadBlockSize(maxCommandData: number, scp: 2 | 3 | undefined, securityLevel: number, s: 8 | 16 = 8): number {
  if (scp === undefined || !(securityLevel & 0x01)) return maxCommandData;
  const mac = scp === 3 ? s : 8;
  if (!(securityLevel & 0x02)) return maxCommandData - mac;
  const block = scp === 3 ? 16 : 8;
  // padding always adds at least one byte
  return Math.floor((maxCommandData - mac) / block) * block - 1;
}

// ---- DELETE, SET STATUS ------------------------------------------------------------------------

export function deleteObject(aid: Uint8Array, relatedObjects = false): CommandApdu {
  checkAid('object', aid);
  return { cla: GP_CLA, ins: 0xe4, p1: 0x00, p2: relatedObjects ? 0x80 : 0x00, data: tlv(0x4f, aid), ne: 256 };
}

export const StatusScope = { ISD: 0x80, APPLICATIONS: 0x40, LOAD_FILES: 0x20, LOAD_FILES_AND_MODULES: 0x10 } as const;
export type StatusScopeValue = (typeof StatusScope)[keyof typeof StatusScope];

/** SET STATUS (GP 11.10): lock (83) / unlock (07) an application, or change the card state. */
export function setStatus(scope: StatusScopeValue, state: number, aid?: Uint8Array): CommandApdu {
  if (aid !== undefined) checkAid('application', aid);
  return { cla: GP_CLA, ins: 0xf0, p1: scope, p2: state, ...(aid !== undefined ? { data: aid } : {}) };
}

export const LifeCycle = { APP_LOCKED: 0x83, APP_SELECTABLE: 0x07, APP_INSTALLED: 0x03, CARD_LOCKED: 0x7f, CARD_SECURED: 0x0f } as const;

// ---- GET STATUS --------------------------------------------------------------------------------

export function getStatus(scope: StatusScopeValue, tlvFormat: boolean, next: boolean, aidFilter: Uint8Array = new Uint8Array(0)): CommandApdu {
  return { cla: GP_CLA, ins: 0xf2, p1: scope, p2: (tlvFormat ? 0x02 : 0x00) | (next ? 0x01 : 0x00), data: tlv(0x4f, aidFilter), ne: 256 };
}

export interface RegistryEntry {
  readonly kind: 'isd' | 'application' | 'security-domain' | 'load-file';
  readonly aid: string;
  readonly lifeCycle: number;
  readonly lifeCycleName: string;
  readonly privileges: readonly string[];
  readonly privilegesHex: string;
  readonly modules: readonly string[];
  readonly version?: string;
  readonly associatedSecurityDomain?: string;
  readonly loadFile?: string;
}

export function lifeCycleName(kind: RegistryEntry['kind'], state: number): string {
  if (kind === 'isd') {
    return (
      ({ 0x01: 'OP_READY', 0x07: 'INITIALIZED', 0x0f: 'SECURED', 0x7f: 'CARD_LOCKED', 0xff: 'TERMINATED' } as Record<number, string>)[state] ??
      `card state ${state.toString(16)}`
    );
  }
  if (kind === 'load-file') return state === 0x01 ? 'LOADED' : `state ${state.toString(16)}`;
  if (state & 0x80) return 'LOCKED';
  if (kind === 'security-domain') {
    return ({ 0x03: 'INSTALLED', 0x07: 'SELECTABLE', 0x0f: 'PERSONALIZED' } as Record<number, string>)[state] ?? `state ${state.toString(16)}`;
  }
  if (state === 0x03) return 'INSTALLED';
  if (state === 0x07) return 'SELECTABLE';
  if ((state & 0x07) === 0x07) return `SELECTABLE (application-specific ${state.toString(16).toUpperCase()})`;
  return `state ${state.toString(16)}`;
}

interface Tlv {
  tag: number;
  value: Uint8Array;
}

/** Parses a sequence of BER-TLVs (1- or 2-byte tags, lengths up to 3 bytes). */
export function parseTlvs(bytes: Uint8Array): Tlv[] {
  const out: Tlv[] = [];
  let o = 0;
  while (o < bytes.length) {
    let tag = bytes[o++]!;
    if ((tag & 0x1f) === 0x1f) {
      if (o >= bytes.length) throw new SecureChannelProtocolError('truncated TLV tag');
      tag = (tag << 8) | bytes[o++]!;
    }
    if (o >= bytes.length) throw new SecureChannelProtocolError('truncated TLV length');
    let len = bytes[o++]!;
    if (len === 0x81) len = bytes[o++]!;
    else if (len === 0x82) {
      len = (bytes[o]! << 8) | bytes[o + 1]!;
      o += 2;
    } else if (len > 0x80) throw new SecureChannelProtocolError(`unsupported TLV length byte ${len.toString(16)}`);
    if (o + len > bytes.length) throw new SecureChannelProtocolError(`TLV ${tag.toString(16)} runs past the data`);
    out.push({ tag, value: bytes.subarray(o, o + len) });
    o += len;
  }
  return out;
}

function kindOf(scope: StatusScopeValue, privileges: Uint8Array): RegistryEntry['kind'] {
  if (scope === StatusScope.ISD) return 'isd';
  if (scope === StatusScope.LOAD_FILES || scope === StatusScope.LOAD_FILES_AND_MODULES) return 'load-file';
  return (privileges[0] ?? 0) & 0x80 ? 'security-domain' : 'application';
}

/** GET STATUS response in the TLV format (P2 02): E3 templates. */
export function parseStatusTlv(scope: StatusScopeValue, data: Uint8Array): RegistryEntry[] {
  const out: RegistryEntry[] = [];
  for (const e of parseTlvs(data)) {
    if (e.tag !== 0xe3) throw new SecureChannelProtocolError(`GET STATUS: expected E3 templates, got tag ${e.tag.toString(16)}`);
    let aid: Uint8Array = new Uint8Array(0);
    let lc = 0;
    let priv: Uint8Array = new Uint8Array(0);
    const modules: string[] = [];
    let version: string | undefined;
    let sd: string | undefined;
    let elf: string | undefined;
    for (const f of parseTlvs(e.value)) {
      if (f.tag === 0x4f) aid = f.value;
      else if (f.tag === 0x9f70) lc = f.value[0] ?? 0;
      else if (f.tag === 0xc5) priv = f.value;
      else if (f.tag === 0x84) modules.push(toHex(f.value));
      else if (f.tag === 0xce) version = [...f.value].join('.');
      else if (f.tag === 0xcc) sd = toHex(f.value);
      else if (f.tag === 0xc4) elf = toHex(f.value);
    }
    out.push({
      ...registryEntry(scope, aid, lc, priv, modules),
      ...(version !== undefined ? { version } : {}),
      ...(sd !== undefined ? { associatedSecurityDomain: sd } : {}),
      ...(elf !== undefined ? { loadFile: elf } : {}),
    });
  }
  return out;
}

/** What both GET STATUS formats say of an entry: its kind, AID, life cycle and privileges. */
function registryEntry(scope: StatusScopeValue, aid: Uint8Array, lc: number, priv: Uint8Array, modules: string[]): RegistryEntry {
  const kind = kindOf(scope, priv);
  return {
    kind,
    aid: toHex(aid),
    lifeCycle: lc,
    lifeCycleName: lifeCycleName(kind, lc),
    privileges: decodePrivileges(priv),
    privilegesHex: toHex(priv),
    modules,
  };
}

/** GET STATUS response in the legacy format (P2 00). */
export function parseStatusLegacy(scope: StatusScopeValue, data: Uint8Array): RegistryEntry[] {
  const out: RegistryEntry[] = [];
  let o = 0;
  while (o < data.length) {
    const n = data[o]!;
    if (o + 1 + n + 2 > data.length) throw new SecureChannelProtocolError('GET STATUS (legacy format): truncated entry');
    const aid = data.subarray(o + 1, o + 1 + n);
    const lc = data[o + 1 + n]!;
    const priv = data.subarray(o + 2 + n, o + 3 + n);
    o += 3 + n;
    const modules: string[] = [];
    if (scope === StatusScope.LOAD_FILES_AND_MODULES) {
      const count = data[o++] ?? 0;
      for (let i = 0; i < count; i++) {
        const m = data[o]!;
        modules.push(toHex(data.subarray(o + 1, o + 1 + m)));
        o += 1 + m;
      }
    }
    out.push(registryEntry(scope, aid, lc, priv, modules));
  }
  return out;
}

// ---- PUT KEY -----------------------------------------------------------------------------------

export interface NewKeys {
  readonly version: number;
  readonly enc: Uint8Array;
  readonly mac: Uint8Array;
  readonly dek: Uint8Array;
}

/**
 * PUT KEY for a whole key set (three keys, key identifiers 1..3), each component encrypted with the DEK
 * (SCP02: the session DEK, 3DES-ECB; SCP03: the static DEK, AES-CBC) and followed by its KCV.
 * `replaceVersion` 0 adds a new key set. Returns the command and the KCVs the card must echo.
 */
export function putKeySet(keys: NewKeys, replaceVersion: number, scp: 2 | 3, dek: Uint8Array): { command: CommandApdu; expected: Uint8Array } {
  const parts: Uint8Array[] = [Uint8Array.of(keys.version)];
  const kcvs: Uint8Array[] = [Uint8Array.of(keys.version)];
  for (const key of [keys.enc, keys.mac, keys.dek]) {
    if (scp === 2) {
      if (key.length !== 16) throw new GpConfigError('SCP02 key sets hold 16-byte 3DES keys');
      const kcv = kcvDes3(key);
      parts.push(Uint8Array.of(0x80, 0x10), tdesEcbEncrypt(dek, key), Uint8Array.of(0x03), kcv);
      kcvs.push(kcv);
    } else {
      if (![16, 24, 32].includes(key.length)) throw new GpConfigError('SCP03 key sets hold 16, 24 or 32-byte AES keys');
      const kcv = kcvAes(key);
      const encrypted = aesCbcEncrypt(dek, key);
      parts.push(Uint8Array.of(0x88, encrypted.length + 1, key.length), encrypted, Uint8Array.of(0x03), kcv);
      kcvs.push(kcv);
    }
  }
  return {
    command: { cla: GP_CLA, ins: 0xd8, p1: replaceVersion, p2: 0x81, data: concatBytes(...parts), ne: 256 },
    expected: concatBytes(...kcvs),
  };
}

/** STORE DATA (GP 11.11), one block; P1 80 marks the last, bits 6-5 the data structure. */
export function storeData(data: Uint8Array, blockNumber: number, last: boolean, p1Flags = 0x00): CommandApdu {
  return { cla: GP_CLA, ins: 0xe2, p1: p1Flags | (last ? 0x80 : 0x00), p2: blockNumber & 0xff, data, ne: 256 };
}

/** The maximum command data length a card announces in its FCI (tag 9F65 inside A5 inside 6F). */
export function maxCommandDataFromFci(fci: Uint8Array): number | undefined {
  const find = (bytes: Uint8Array): number | undefined => {
    let items: Tlv[];
    try {
      items = parseTlvs(bytes);
    } catch {
      return undefined;
    }
    for (const t of items) {
      if (t.tag === 0x9f65) return t.value.reduce((n, b) => n * 256 + b, 0);
      if (t.tag === 0x6f || t.tag === 0xa5 || t.tag === 0x73) {
        const inner = find(t.value);
        if (inner !== undefined) return inner;
      }
    }
    return undefined;
  };
  return find(fci);
}
