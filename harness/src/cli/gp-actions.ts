/**
 * The work behind `cap info`, `gp …` and `install`, loaded only when one of them runs (the command
 * definitions in gp-commands.ts stay light, so that `--help` does not load the GP layer).
 */
import path from 'node:path';
import { parseHex, toHex } from '../apdu/hex.js';
import { UsageError } from '../errors.js';
import { CapFile } from '../gp/cap/cap.js';
import { parseSecurityLevel } from '../gp/channel.js';
import { encodePrivileges } from '../gp/commands.js';
import { GpConfigError, GpError } from '../gp/errors.js';
import { describeKeySet, makeKeySet, resolveKeyText, type Diversification, type KeySet } from '../gp/keys.js';
import { listLoadFiles, loadCap, installApplet, type Registry } from '../gp/manager.js';
import { atrMatches, simulatorProfile, SIMULATOR_PROFILE_FILE, type CardProfile } from '../gp/card-profile.js';
import { GpSession } from '../gp/session.js';
import { packageRoot } from '../package-root.js';
import { openCard } from '../transport/open.js';
import { cardOptionsFrom, type CardCliOptions } from './options.js';

export interface GpCliOptions extends CardCliOptions {
  /** A profile file; without it the simulated UICC's, built in (card-profile.ts simulatorProfile). */
  profile?: string;
  level?: string;
  kvn?: string;
  key?: string;
  diversification?: string;
  json?: boolean;
}

/** A key on the command line: hex or env:NAME; a mistake in it is the user's (exit 2). */
export function keyOption(name: string, text: string): Uint8Array {
  try {
    return resolveKeyText(name, text);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
}

export function parseAid(name: string, text: string): Uint8Array {
  let aid: Uint8Array;
  try {
    aid = parseHex(text);
  } catch (e) {
    throw new UsageError(`${name}: ${(e as Error).message}`);
  }
  if (aid.length < 5 || aid.length > 16) throw new UsageError(`${name} must be an AID of 5..16 bytes, got ${aid.length}`);
  return aid;
}

export function privilegeList(text: string): string[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s);
}

/**
 * The profile a command runs with: the file given with --profile, read by the YAML reader (loaded only
 * then), else the simulated UICC's profile built in.
 */
async function profileOf(opts: GpCliOptions): Promise<CardProfile> {
  if (opts.profile === undefined) return simulatorProfile(path.join(packageRoot(), SIMULATOR_PROFILE_FILE));
  const { loadProfile } = await import('../gp/profile.js');
  return loadProfile(opts.profile);
}

/**
 * Opens the card as every command does (openCard: the same wrappers, GET RESPONSE and 6Cxx included),
 * checks the profile's ATR, runs one secure-channel session and closes everything. PC/SC connections
 * are exclusive by default: no other process can interleave commands into the secure channel.
 */
export async function withSession<T>(opts: GpCliOptions, run: (session: GpSession, profile: CardProfile) => Promise<T>): Promise<T> {
  const profile = await profileOf(opts);
  let keys: KeySet = profile.keys;
  const version = opts.kvn !== undefined ? Number(opts.kvn) : keys.version;
  if (!Number.isInteger(version) || version < 0 || version > 0x7f) throw new UsageError(`--kvn must be 0..127, got ${opts.kvn}`);
  if (opts.key !== undefined) keys = makeKeySet(version, keyOption('--key', opts.key));
  else if (version !== keys.version) keys = makeKeySet(version, keys.enc, keys.mac, keys.dek);
  const level = opts.level !== undefined ? parseSecurityLevel(opts.level) : profile.securityLevel;
  const cardOptions = cardOptionsFrom({ ...opts, ...(opts.reader === undefined && profile.reader !== undefined ? { reader: profile.reader } : {}) });
  const card = await openCard({ ...cardOptions, getResponse: cardOptions.getResponse !== false && profile.transport.getResponse });
  try {
    if (profile.atr !== undefined && !atrMatches(profile.atr, card.transport.atr)) {
      throw new GpConfigError(`card ATR ${toHex(card.transport.atr)} does not match profile ${profile.name} (${profile.atr})`);
    }
    const session = await GpSession.open(card.transport, {
      keys,
      diversification: (opts.diversification as Diversification | undefined) ?? profile.diversification,
      scp: profile.scp,
      i: profile.i,
      securityLevel: level,
      sdAid: profile.isdAid,
      s16: profile.s16,
    });
    if (!opts.json) {
      const described = describeKeySet({ ...keys, version: session.keyVersion }, profile.scp === 2 ? 'des3' : 'aes');
      console.error(`secure channel open: SCP0${session.scp} level ${toHex(Uint8Array.of(level))}, ${described}`);
    }
    try {
      return await run(session, profile);
    } finally {
      // The card is closed next, with a reset (PC/SC) or with the simulator: that ends the secure channel
      // on the card, so no SELECT is sent to end it first.
      await session.end({ onCard: false });
    }
  } finally {
    await card.close();
  }
}

export function printRegistry(r: Registry): void {
  for (const e of r.isd) console.log(`ISD  ${e.aid}  ${e.lifeCycleName}  [${e.privileges.join(', ')}]`);
  for (const e of r.applications) {
    const domain = e.associatedSecurityDomain ? `  SD ${e.associatedSecurityDomain}` : '';
    console.log(`${e.kind === 'security-domain' ? 'SSD ' : 'APP '} ${e.aid}  ${e.lifeCycleName}  [${e.privileges.join(', ')}]${domain}`);
  }
  for (const e of r.loadFiles) {
    console.log(`PKG  ${e.aid}  ${e.lifeCycleName}${e.version ? `  v${e.version}` : ''}`);
    for (const m of e.modules) console.log(`       module ${m}`);
  }
}

export function printCapInfo(file: string, o: { descriptor?: boolean; debug?: boolean; json?: boolean }): void {
  const info = CapFile.load(file).describe({ includeDescriptor: o.descriptor === true, includeDebug: o.debug === true });
  if (o.json) {
    console.log(JSON.stringify(info, null, 2));
    return;
  }
  console.log(
    `package   ${info.package.aid} v${info.package.version}${info.package.name ? ` (${info.package.name})` : ''}, CAP format ${info.capFormat}`,
  );
  for (const a of info.applets) console.log(`applet    ${a}`);
  for (const i of info.imports) console.log(`import    ${i.aid} v${i.version}${i.name ? ` (${i.name})` : ''}`);
  console.log(`components ${info.components.map((c) => `${c.name}:${c.size}`).join(' ')}`);
  console.log(`load file ${info.loadFileSize} bytes: ${info.loadOrder.join(', ')}`);
  console.log(`sha-256   ${info.sha256}`);
}

export interface InstallCliOptions {
  applet?: string;
  instance?: string;
  privileges?: string;
  params?: string;
  load?: boolean;
  json?: boolean;
}

export async function installFromProfile(session: GpSession, profile: CardProfile, capFile: string, o: InstallCliOptions): Promise<void> {
  const cap = CapFile.load(capFile);
  const loadFiles = await listLoadFiles(session);
  const packages = loadFiles.map((f) => parseHex(f.aid));
  if (o.load !== false) {
    const packageAid = toHex(cap.packageAid);
    if (loadFiles.some((f) => f.aid === packageAid)) {
      throw new GpError(`package ${packageAid} is already on the card: delete it first (gp delete --related ${packageAid})`);
    }
    const result = await loadCap(session, cap, {
      hash: profile.load.hash,
      includeDescriptor: profile.load.includeDescriptor,
      includeDebug: profile.load.includeDebug,
      cardPackages: packages,
      ...(profile.load.blockSize !== undefined ? { blockSize: profile.load.blockSize } : {}),
    });
    for (const m of result.missingImports) console.error(`warning: the card lists no package ${m} that the CAP imports`);
    if (!o.json) {
      console.error(`loaded ${result.bytes} bytes in ${result.blocks} blocks of ${result.blockSize} (${result.totalMilliseconds.toFixed(1)} ms)`);
    }
  }
  const moduleAid = o.applet !== undefined ? parseAid('--applet', o.applet) : (profile.applet.moduleAid ?? cap.applets[0]?.aid);
  if (moduleAid === undefined) throw new UsageError('the CAP file has no applet; give --applet');
  const instance = o.instance !== undefined ? parseAid('--instance', o.instance) : (profile.applet.instanceAid ?? moduleAid);
  const privileges = o.privileges !== undefined ? privilegeList(o.privileges) : [...profile.applet.privileges];
  const params = o.params !== undefined ? parseHex(o.params) : profile.applet.parameters;
  const quotas = profile.install;
  await installApplet(session, {
    loadFileAid: cap.packageAid,
    moduleAid,
    applicationAid: instance,
    privileges: encodePrivileges(privileges, quotas.privilegeEncoding),
    parameters: {
      ...(params !== undefined ? { applicationParameters: params } : {}),
      emptyC9: quotas.emptyC9,
      uicc: {
        ...(quotas.volatileMemoryQuota !== undefined ? { volatileMemoryQuota: quotas.volatileMemoryQuota } : {}),
        ...(quotas.nonVolatileMemoryQuota !== undefined ? { nonVolatileMemoryQuota: quotas.nonVolatileMemoryQuota } : {}),
        ...(quotas.toolkitParameters !== undefined ? { toolkitParameters: quotas.toolkitParameters } : {}),
        ...(quotas.extraParameters !== undefined ? { accessParameters: quotas.extraParameters } : {}),
      },
    },
  });
  if (o.json) console.log(JSON.stringify({ package: toHex(cap.packageAid), module: toHex(moduleAid), instance: toHex(instance) }));
  else console.log(`installed ${toHex(instance)} (module ${toHex(moduleAid)} of package ${toHex(cap.packageAid)})`);
}
