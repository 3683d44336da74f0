/**
 * Card content management over an open GpSession: list, load, install, delete, lock/unlock,
 * key rotation, personalization. Every card refusal is a CardStatusError with the GP meaning.
 */
import { toHex } from '../apdu/hex.js';
import type { CapFile, LoadFileOptions } from './cap/cap.js';
import {
  buildInstallParameters,
  deleteObject,
  encodePrivileges,
  getStatus,
  installForExtradition,
  installForInstall,
  installForLoad,
  installForPersonalization,
  LifeCycle,
  loadBlockSize,
  loadCommands,
  parseStatusLegacy,
  parseStatusTlv,
  parseTlvs,
  putKeySet,
  setStatus,
  StatusScope,
  storeData,
  type InstallParametersOptions,
  type NewKeys,
  type RegistryEntry,
  type StatusScopeValue,
} from './commands.js';
import { CardStatusError } from '../errors.js';
import { GpError, gpStatusError } from './errors.js';
import type { GpSession } from './session.js';

/** GET STATUS of one scope, paging on 6310, falling back to the legacy format when the card refuses TLV. */
export async function getStatusEntries(
  session: GpSession,
  scope: StatusScopeValue,
  format: 'auto' | 'tlv' | 'legacy' = 'auto',
): Promise<RegistryEntry[]> {
  const run = async (tlvFormat: boolean): Promise<RegistryEntry[] | number> => {
    const out: RegistryEntry[] = [];
    let next = false;
    for (let page = 0; page < 256; page++) {
      const r = await session.send(getStatus(scope, tlvFormat, next));
      if (r.sw === 0x6a88) return out; // nothing of this kind
      if (r.sw !== 0x9000 && r.sw !== 0x6310) return r.sw;
      out.push(...(tlvFormat ? parseStatusTlv(scope, r.data) : parseStatusLegacy(scope, r.data)));
      if (r.sw === 0x9000) return out;
      next = true;
    }
    throw new GpError('GET STATUS: more than 256 pages');
  };
  if (format !== 'legacy') {
    const r = await run(true);
    if (typeof r !== 'number') return r;
    if (format === 'tlv' || (r !== 0x6a86 && r !== 0x6d00 && r !== 0x6a80)) throw gpStatusError('GET STATUS', r);
  }
  const legacy = await run(false);
  if (typeof legacy === 'number') throw gpStatusError('GET STATUS (legacy format)', legacy);
  return legacy;
}

export interface Registry {
  readonly isd: readonly RegistryEntry[];
  readonly applications: readonly RegistryEntry[];
  readonly loadFiles: readonly RegistryEntry[];
}

/** The card's registry: ISD, applications and security domains, load files with their modules. */
export async function listRegistry(session: GpSession, format: 'auto' | 'tlv' | 'legacy' = 'auto'): Promise<Registry> {
  const isd = await getStatusEntries(session, StatusScope.ISD, format);
  const applications = await getStatusEntries(session, StatusScope.APPLICATIONS, format);
  return { isd, applications, loadFiles: await listLoadFiles(session, format) };
}

/**
 * The load files with their modules (only the load files where the card cannot list modules): all an
 * install needs to know of the registry, in one GET STATUS sequence instead of three.
 */
export async function listLoadFiles(session: GpSession, format: 'auto' | 'tlv' | 'legacy' = 'auto'): Promise<RegistryEntry[]> {
  try {
    return await getStatusEntries(session, StatusScope.LOAD_FILES_AND_MODULES, format);
  } catch (e) {
    if (!(e instanceof CardStatusError)) throw e;
    return getStatusEntries(session, StatusScope.LOAD_FILES, format);
  }
}

export interface LoadOptions extends LoadFileOptions {
  /** Security domain the load file is associated with (empty: the one of the session). */
  readonly securityDomainAid?: Uint8Array;
  /** Hash of the load file data block in INSTALL [for load]: sha256 (default), sha1 or none. */
  readonly hash?: 'sha256' | 'sha1' | 'none';
  /** LOAD block size; by default derived from the card's 9F65 (or 255) and the secure-channel overhead. */
  readonly blockSize?: number;
  /** Card packages, to warn about imports the card lacks (from listRegistry().loadFiles). */
  readonly cardPackages?: readonly Uint8Array[];
}

export interface LoadResult {
  readonly blocks: number;
  readonly blockSize: number;
  readonly bytes: number;
  /** Milliseconds per LOAD command, in order. */
  readonly blockMilliseconds: readonly number[];
  readonly totalMilliseconds: number;
  readonly missingImports: readonly string[];
}

function now(): bigint {
  return process.hrtime.bigint();
}

/** INSTALL [for load] and the LOAD sequence of a CAP file's load file. */
export async function loadCap(session: GpSession, cap: CapFile, options: LoadOptions = {}): Promise<LoadResult> {
  const block = cap.loadFileDataBlock(options);
  const hashKind = options.hash ?? 'sha256';
  const missing = options.cardPackages ? cap.missingImports(options.cardPackages).map((p) => toHex(p.aid)) : [];
  await session.sendOk(
    `INSTALL [for load] ${toHex(cap.packageAid)}`,
    installForLoad({
      loadFileAid: cap.packageAid,
      ...(options.securityDomainAid !== undefined ? { securityDomainAid: options.securityDomainAid } : {}),
      ...(hashKind !== 'none' ? { loadFileHash: cap.loadFileHash(hashKind, options) } : {}),
    }),
  );
  const size = options.blockSize ?? loadBlockSize(session.maxCommandData ?? 255, session.scp, session.securityLevel, session.macLength);
  return sendLoad(session, block, size, missing);
}

/** The LOAD commands alone (after an INSTALL [for load]); exported for benchmarks of raw load files. */
export async function sendLoad(
  session: GpSession,
  loadFileDataBlock: Uint8Array,
  blockSize: number,
  missingImports: readonly string[] = [],
): Promise<LoadResult> {
  const commands = loadCommands(loadFileDataBlock, blockSize);
  const times: number[] = [];
  const start = now();
  for (const command of commands) {
    const t = now();
    await session.sendOk(`LOAD block ${command.p2}`, command);
    times.push(Number(now() - t) / 1e6);
  }
  return {
    blocks: commands.length,
    blockSize,
    bytes: loadFileDataBlock.length,
    blockMilliseconds: times,
    totalMilliseconds: Number(now() - start) / 1e6,
    missingImports,
  };
}

export interface InstallOptions {
  readonly loadFileAid: Uint8Array;
  readonly moduleAid: Uint8Array;
  readonly applicationAid?: Uint8Array;
  readonly privileges?: Uint8Array;
  readonly parameters?: InstallParametersOptions;
  readonly makeSelectable?: boolean;
}

export async function installApplet(session: GpSession, o: InstallOptions): Promise<void> {
  await session.sendOk(
    `INSTALL [for install] ${toHex(o.applicationAid ?? o.moduleAid)}`,
    installForInstall({
      loadFileAid: o.loadFileAid,
      moduleAid: o.moduleAid,
      ...(o.applicationAid !== undefined ? { applicationAid: o.applicationAid } : {}),
      ...(o.privileges !== undefined ? { privileges: o.privileges } : {}),
      installParameters: buildInstallParameters(o.parameters),
      ...(o.makeSelectable !== undefined ? { makeSelectable: o.makeSelectable } : {}),
    }),
  );
}

export async function deleteAid(session: GpSession, aid: Uint8Array, relatedObjects = false): Promise<void> {
  await session.sendOk(`DELETE ${toHex(aid)}`, deleteObject(aid, relatedObjects));
}

export async function setApplicationLocked(session: GpSession, aid: Uint8Array, locked: boolean): Promise<void> {
  await session.sendOk(
    `SET STATUS ${locked ? 'lock' : 'unlock'} ${toHex(aid)}`,
    setStatus(StatusScope.APPLICATIONS, locked ? LifeCycle.APP_LOCKED : LifeCycle.APP_SELECTABLE, aid),
  );
}

export async function extradite(session: GpSession, securityDomainAid: Uint8Array, applicationAid: Uint8Array): Promise<void> {
  await session.sendOk(
    `INSTALL [for extradition] ${toHex(applicationAid)} to ${toHex(securityDomainAid)}`,
    installForExtradition(securityDomainAid, applicationAid),
  );
}

/**
 * The key set versions of the session's security domain, from its Key Information Template (GET DATA
 * 00E0, GP Card Specification 11.3.3.1: one C0 per key, its second byte the key version).
 */
export async function keySetVersions(session: GpSession): Promise<number[]> {
  const answer = await session.sendOk('GET DATA (key information)', { cla: 0x80, ins: 0xca, p1: 0x00, p2: 0xe0, data: new Uint8Array(0), ne: 256 });
  const template = parseTlvs(answer).find((t) => t.tag === 0xe0);
  const versions = new Set<number>();
  for (const key of parseTlvs(template?.value ?? new Uint8Array(0))) if (key.tag === 0xc0 && key.value.length >= 2) versions.add(key.value[1]!);
  return [...versions];
}

/** PUT KEY of a whole key set; checks the KCVs the card returns. `replaceVersion` 0 adds a new set. */
export async function putKeys(session: GpSession, keys: NewKeys, replaceVersion = 0): Promise<void> {
  const { command, expected } = putKeySet(keys, replaceVersion, session.scp, session.keyEncryptionKey);
  const answer = await session.sendOk(`PUT KEY (version ${keys.version.toString(16).padStart(2, '0').toUpperCase()})`, command);
  if (answer.length > 0 && toHex(answer) !== toHex(expected)) {
    throw new GpError(`PUT KEY: the card answered key check values ${toHex(answer)}, expected ${toHex(expected)}`);
  }
}

/** INSTALL [for personalization] then STORE DATA blocks to an application through its security domain. */
export async function storeApplicationData(
  session: GpSession,
  applicationAid: Uint8Array,
  blocks: readonly Uint8Array[],
  p1Flags = 0x00,
): Promise<Uint8Array[]> {
  await session.sendOk(`INSTALL [for personalization] ${toHex(applicationAid)}`, installForPersonalization(applicationAid));
  const answers: Uint8Array[] = [];
  for (let i = 0; i < blocks.length; i++) {
    answers.push(await session.sendOk(`STORE DATA block ${i}`, storeData(blocks[i]!, i, i === blocks.length - 1, p1Flags)));
  }
  return answers;
}

/** Executable load file and module of security domains on GP cards (GP CS 2.3, the SSD package). */
export const SSD_LOAD_FILE_AID = Uint8Array.of(0xa0, 0x00, 0x00, 0x01, 0x51, 0x53, 0x50);
export const SSD_MODULE_AID = Uint8Array.of(0xa0, 0x00, 0x00, 0x01, 0x51, 0x53, 0x50, 0x41);

export interface SecurityDomainOptions {
  /** Privileges besides security-domain (e.g. authorized-management for an SP-TSM domain). */
  readonly privileges?: readonly string[];
  readonly privilegeEncoding?: 1 | 3;
  /** Install parameters for the SSD (C9 content), e.g. its SCP and key parameters as the card wants them. */
  readonly parameters?: Uint8Array;
  /** The card's install-parameter rules (C9 even when empty, the UICC system parameters EF/C7/C8): a card that wants them refuses an SSD without. */
  readonly installParameters?: Omit<InstallParametersOptions, 'applicationParameters'>;
  readonly loadFileAid?: Uint8Array;
  readonly moduleAid?: Uint8Array;
}

/** Creates a supplementary security domain (the SP-TSM's domain under the MNO-TSM's ISD). */
export async function createSecurityDomain(session: GpSession, aid: Uint8Array, o: SecurityDomainOptions = {}): Promise<void> {
  await installApplet(session, {
    loadFileAid: o.loadFileAid ?? SSD_LOAD_FILE_AID,
    moduleAid: o.moduleAid ?? SSD_MODULE_AID,
    applicationAid: aid,
    privileges: encodePrivileges(['security-domain', ...(o.privileges ?? [])], o.privilegeEncoding ?? 3),
    parameters: { ...o.installParameters, ...(o.parameters !== undefined ? { applicationParameters: o.parameters } : {}) },
  });
}
