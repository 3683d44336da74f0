/**
 * CLI: `cap info`, `gp list | install | delete | lock | unlock | put-key`, and `install` (the JPKI applet
 * for a card profile). Each command opens the transport exclusively where the transport allows it, runs
 * one secure-channel session, and closes it.
 */
import path from 'node:path';
import { Command, Option } from 'commander';
import { parseHex, toHex } from '../apdu/hex.js';
import { UsageError } from '../errors.js';
import { CapFile } from '../gp/cap/cap.js';
import { parseSecurityLevel } from '../gp/channel.js';
import { encodePrivileges } from '../gp/commands.js';
import { describeKeySet, DIVERSIFICATIONS, makeKeySet, parseKeyHex, type Diversification, type KeySet } from '../gp/keys.js';
import { createSecurityDomain, deleteAid, extradite, installApplet, listRegistry, loadCap, putKeys, setApplicationLocked, type Registry } from '../gp/manager.js';
import { atrMatches, loadProfile, type CardProfile } from '../gp/profile.js';
import { GpSession } from '../gp/session.js';
import { PcscTransport } from '../transport/pcsc.js';
import { openTransport, parseReaderSelector } from '../transport/open.js';
import type { Transport, TransportKind } from '../transport/transport.js';
import { packageRoot } from '../sim/simulator-process.js';
import { GpConfigError, GpError } from '../gp/errors.js';

interface GpCliOptions {
  profile: string;
  transport: TransportKind;
  reader?: string;
  level?: string;
  kvn?: string;
  key?: string;
  diversification?: string;
  json?: boolean;
}

function defaultProfile(): string {
  return path.join(packageRoot(), 'test-vectors', 'profiles', 'simulator-scp03.yaml');
}

function addSessionOptions(cmd: Command): Command {
  return cmd
    .option('-p, --profile <file>', 'card/vendor profile (YAML, see docs/vendor-profile.md)', defaultProfile())
    .addOption(new Option('-t, --transport <kind>', 'pcsc (any PC/SC reader) or sim (direct link to the simulator)').choices(['pcsc', 'sim']).default('pcsc'))
    .option('-r, --reader <name|index>', 'PC/SC reader (overrides the profile)')
    .option('--level <level>', 'security level: hex (01, 03, 11, 13, 33) or cmac+cdec+rmac+renc (overrides the profile)')
    .option('--kvn <n>', 'key version number (overrides the profile)')
    .option('--key <hex|env:NAME>', 'one key for ENC, MAC and DEK (overrides the profile; prefer env:NAME)')
    .addOption(new Option('--diversification <method>', 'derive the card keys from the key(s) given with the card\'s KDD (overrides the profile)').choices([...DIVERSIFICATIONS]));
}

function resolveKey(text: string): Uint8Array {
  const m = /^env:([A-Za-z_][A-Za-z0-9_]*)$/.exec(text);
  if (m) {
    const v = process.env[m[1]!];
    if (v === undefined) throw new UsageError(`--key: environment variable ${m[1]} is not set`);
    return parseKeyHex('--key', v);
  }
  return parseKeyHex('--key', text);
}

function parseAid(name: string, text: string): Uint8Array {
  let aid: Uint8Array;
  try {
    aid = parseHex(text);
  } catch (e) {
    throw new UsageError(`${name}: ${(e as Error).message}`);
  }
  if (aid.length < 5 || aid.length > 16) throw new UsageError(`${name} must be an AID of 5..16 bytes, got ${aid.length}`);
  return aid;
}

async function openCard(profile: CardProfile, opts: GpCliOptions): Promise<Transport> {
  const readerText = opts.reader ?? profile.reader;
  if (opts.transport === 'pcsc') {
    const reader = parseReaderSelector(readerText);
    // exclusive for the whole session: no other process can interleave commands into the secure channel
    const t = await PcscTransport.open({ share: 'exclusive', ...(reader !== undefined ? { reader } : {}) });
    if (profile.atr !== undefined && !atrMatches(profile.atr, t.atr)) {
      await t.close();
      throw new GpConfigError(`card ATR ${toHex(t.atr)} does not match profile ${profile.name} (${profile.atr})`);
    }
    return t;
  }
  return openTransport({ kind: opts.transport });
}

async function withSession<T>(opts: GpCliOptions, run: (session: GpSession, profile: CardProfile) => Promise<T>): Promise<T> {
  const profile = loadProfile(opts.profile);
  let keys: KeySet = profile.keys;
  const version = opts.kvn !== undefined ? Number(opts.kvn) : keys.version;
  if (!Number.isInteger(version) || version < 0 || version > 0x7f) throw new UsageError(`--kvn must be 0..127, got ${opts.kvn}`);
  if (opts.key !== undefined) {
    const k = resolveKey(opts.key);
    keys = makeKeySet(version, k);
  } else if (version !== keys.version) keys = makeKeySet(version, keys.enc, keys.mac, keys.dek);
  const level = opts.level !== undefined ? parseSecurityLevel(opts.level) : profile.securityLevel;
  const transport = await openCard(profile, opts);
  try {
    const session = await GpSession.open(transport, {
      keys,
      diversification: (opts.diversification as Diversification | undefined) ?? profile.diversification,
      scp: profile.scp,
      i: profile.i,
      securityLevel: level,
      sdAid: profile.isdAid,
      s16: profile.s16,
      getResponse: profile.transport.getResponse,
    });
    if (!opts.json) console.error(`secure channel open: SCP0${session.scp} level ${toHex(Uint8Array.of(level))}, ${describeKeySet({ ...keys, version: session.keyVersion }, profile.scp === 2 ? 'des3' : 'aes')}`);
    try {
      return await run(session, profile);
    } finally {
      await session.end();
    }
  } finally {
    await transport.close();
  }
}

function printRegistry(r: Registry): void {
  for (const e of r.isd) console.log(`ISD  ${e.aid}  ${e.lifeCycleName}  [${e.privileges.join(', ')}]`);
  for (const e of r.applications) console.log(`${e.kind === 'security-domain' ? 'SSD ' : 'APP '} ${e.aid}  ${e.lifeCycleName}  [${e.privileges.join(', ')}]${e.associatedSecurityDomain ? `  SD ${e.associatedSecurityDomain}` : ''}`);
  for (const e of r.loadFiles) {
    console.log(`PKG  ${e.aid}  ${e.lifeCycleName}${e.version ? `  v${e.version}` : ''}`);
    for (const m of e.modules) console.log(`       module ${m}`);
  }
}

async function installFromProfile(session: GpSession, profile: CardProfile, capFile: string, o: { applet?: string; instance?: string; privileges?: string; params?: string; load?: boolean; json?: boolean }): Promise<void> {
  const cap = CapFile.load(capFile);
  const registry = await listRegistry(session);
  const packages = registry.loadFiles.map((f) => parseHex(f.aid));
  if (o.load !== false) {
    if (registry.loadFiles.some((f) => f.aid === toHex(cap.packageAid))) throw new GpError(`package ${toHex(cap.packageAid)} is already on the card: delete it first (gp delete --related ${toHex(cap.packageAid)})`);
    const result = await loadCap(session, cap, {
      hash: profile.load.hash,
      includeDescriptor: profile.load.includeDescriptor,
      includeDebug: profile.load.includeDebug,
      cardPackages: packages,
      ...(profile.load.blockSize !== undefined ? { blockSize: profile.load.blockSize } : {}),
    });
    for (const m of result.missingImports) console.error(`warning: the card lists no package ${m} that the CAP imports (it may still be in ROM)`);
    if (!o.json) console.error(`loaded ${result.bytes} bytes in ${result.blocks} blocks of ${result.blockSize} (${result.totalMilliseconds.toFixed(1)} ms)`);
  }
  const moduleAid = o.applet !== undefined ? parseAid('--applet', o.applet) : profile.applet.moduleAid ?? cap.applets[0]?.aid;
  if (moduleAid === undefined) throw new UsageError('the CAP file has no applet; give --applet');
  const instance = o.instance !== undefined ? parseAid('--instance', o.instance) : profile.applet.instanceAid ?? moduleAid;
  const privileges = o.privileges !== undefined ? o.privileges.split(',').map((s) => s.trim()).filter((s) => s) : [...profile.applet.privileges];
  const params = o.params !== undefined ? parseHex(o.params) : profile.applet.parameters;
  await installApplet(session, {
    loadFileAid: cap.packageAid,
    moduleAid,
    applicationAid: instance,
    privileges: encodePrivileges(privileges, profile.install.privilegeEncoding),
    parameters: {
      ...(params !== undefined ? { applicationParameters: params } : {}),
      emptyC9: profile.install.emptyC9,
      uicc: {
        ...(profile.install.volatileMemoryQuota !== undefined ? { volatileMemoryQuota: profile.install.volatileMemoryQuota } : {}),
        ...(profile.install.nonVolatileMemoryQuota !== undefined ? { nonVolatileMemoryQuota: profile.install.nonVolatileMemoryQuota } : {}),
        ...(profile.install.toolkitParameters !== undefined ? { toolkitParameters: profile.install.toolkitParameters } : {}),
        ...(profile.install.extraParameters !== undefined ? { accessParameters: profile.install.extraParameters } : {}),
      },
    },
  });
  if (o.json) console.log(JSON.stringify({ package: toHex(cap.packageAid), module: toHex(moduleAid), instance: toHex(instance) }));
  else console.log(`installed ${toHex(instance)} (module ${toHex(moduleAid)} of package ${toHex(cap.packageAid)})`);
}

export function registerGpCommands(program: Command): void {
  const cap = program.command('cap').description('Java Card CAP files');
  cap
    .command('info')
    .description('package, applets, imports, components and load file of a CAP file')
    .argument('<file>', 'CAP file')
    .option('--descriptor', 'count the Descriptor component in the load file')
    .option('--debug', 'count the Debug component in the load file')
    .option('--json', 'print JSON')
    .addHelpText('after', '\nExample:\n  $ jpki-harness cap info test-vectors/cap/jpki-applet.cap')
    .action((file: string, o: { descriptor?: boolean; debug?: boolean; json?: boolean }) => {
      const info = CapFile.load(file).describe({ includeDescriptor: o.descriptor === true, includeDebug: o.debug === true });
      if (o.json) {
        console.log(JSON.stringify(info, null, 2));
        return;
      }
      console.log(`package   ${info.package.aid} v${info.package.version}${info.package.name ? ` (${info.package.name})` : ''}, CAP format ${info.capFormat}`);
      for (const a of info.applets) console.log(`applet    ${a}`);
      for (const i of info.imports) console.log(`import    ${i.aid} v${i.version}${i.name ? ` (${i.name})` : ''}`);
      console.log(`components ${info.components.map((c) => `${c.name}:${c.size}`).join(' ')}`);
      console.log(`load file ${info.loadFileSize} bytes: ${info.loadOrder.join(', ')}`);
      console.log(`sha-256   ${info.sha256}`);
    });

  const gp = program.command('gp').description('GlobalPlatform card management over SCP02/SCP03');
  addSessionOptions(gp.command('list').description('list the ISD, applications, security domains and packages'))
    .addOption(new Option('--format <format>', 'GET STATUS response format').choices(['auto', 'tlv', 'legacy']).default('auto'))
    .option('--json', 'print JSON')
    .addHelpText('after', '\nExamples:\n  $ jpki-harness gp list -r "Virtual PCD"\n  $ jpki-harness gp list -p test-vectors/profiles/simulator-scp02.yaml --level 13')
    .action(async (o: GpCliOptions & { format: 'auto' | 'tlv' | 'legacy' }) => {
      const r = await withSession(o, (s) => listRegistry(s, o.format));
      if (o.json) console.log(JSON.stringify(r, null, 2));
      else printRegistry(r);
    });
  addSessionOptions(gp.command('install').description('load a CAP file and install its applet'))
    .argument('<cap>', 'CAP file')
    .option('--applet <aid>', 'module (applet class) AID; default the profile, then the first applet of the CAP')
    .option('--instance <aid>', 'instance AID; default the profile, then the module AID')
    .option('--privileges <list>', 'comma-separated privilege names')
    .option('--params <hex>', 'application parameters (C9)')
    .option('--no-load', 'only INSTALL [for install], the package is already loaded')
    .option('--json', 'print JSON')
    .addHelpText('after', '\nExample:\n  $ jpki-harness gp install test-vectors/cap/jpki-applet.cap -r "Virtual PCD"')
    .action(async (capFile: string, o: GpCliOptions & { applet?: string; instance?: string; privileges?: string; params?: string; load?: boolean }) => {
      await withSession(o, (s, p) => installFromProfile(s, p, capFile, o));
    });
  addSessionOptions(gp.command('delete').description('delete an application or a package'))
    .argument('<aid>', 'AID')
    .option('--related', 'also delete related objects (a package with its applications)')
    .addHelpText('after', '\nExample:\n  $ jpki-harness gp delete --related D392F0002601000000')
    .action(async (aid: string, o: GpCliOptions & { related?: boolean }) => {
      const a = parseAid('AID', aid);
      await withSession(o, (s) => deleteAid(s, a, o.related === true));
      console.log(`deleted ${toHex(a)}`);
    });
  for (const [name, locked] of [['lock', true], ['unlock', false]] as const) {
    addSessionOptions(gp.command(name).description(`${name} an application (SET STATUS)`))
      .argument('<aid>', 'application AID')
      .addHelpText('after', `\nExample:\n  $ jpki-harness gp ${name} D392F000260100000001`)
      .action(async (aid: string, o: GpCliOptions) => {
        const a = parseAid('AID', aid);
        await withSession(o, (s) => setApplicationLocked(s, a, locked));
        console.log(`${name}ed ${toHex(a)}`);
      });
  }
  addSessionOptions(gp.command('create-sd').description('create a supplementary security domain (e.g. the SP-TSM domain)'))
    .argument('<aid>', 'AID of the new security domain')
    .option('--privileges <list>', 'privileges besides security-domain, comma-separated', '')
    .option('--params <hex>', 'install parameters of the SSD (C9 content)')
    .addHelpText('after', '\nExample:\n  $ jpki-harness gp create-sd A00000015153504100000001 --privileges authorized-management')
    .action(async (aid: string, o: GpCliOptions & { privileges: string; params?: string }) => {
      const a = parseAid('AID', aid);
      const privileges = o.privileges.split(',').map((s) => s.trim()).filter((s) => s);
      await withSession(o, (s, p) => createSecurityDomain(s, a, { privileges, privilegeEncoding: p.install.privilegeEncoding, ...(o.params !== undefined ? { parameters: parseHex(o.params) } : {}) }));
      console.log(`created security domain ${toHex(a)}`);
    });
  addSessionOptions(gp.command('extradite').description('move an application under another security domain (INSTALL [for extradition])'))
    .argument('<application>', 'application AID')
    .requiredOption('--to <sd>', 'AID of the receiving security domain')
    .addHelpText('after', '\nExample:\n  $ jpki-harness gp extradite D392F000260100000001 --to A00000015153504100000001')
    .action(async (app: string, o: GpCliOptions & { to: string }) => {
      const a = parseAid('application AID', app);
      const sd = parseAid('--to', o.to);
      await withSession(o, (s) => extradite(s, sd, a));
      console.log(`extradited ${toHex(a)} to ${toHex(sd)}`);
    });
  addSessionOptions(gp.command('put-key').description('add or replace a key set (PUT KEY), checked by KCV'))
    .requiredOption('--new-version <n>', 'version of the new key set')
    .requiredOption('--new-enc <hex|env:NAME>', 'new ENC key')
    .option('--new-mac <hex|env:NAME>', 'new MAC key (default: the ENC key)')
    .option('--new-dek <hex|env:NAME>', 'new DEK key (default: the ENC key)')
    .option('--replace <n>', 'version of the key set to replace (default: add a new set)')
    .addHelpText('after', '\nExample:\n  $ NEWKEY=... jpki-harness gp put-key --new-version 0x31 --new-enc env:NEWKEY --replace 0x30')
    .action(async (o: GpCliOptions & { newVersion: string; newEnc: string; newMac?: string; newDek?: string; replace?: string }) => {
      const enc = resolveKey(o.newEnc);
      const keys = makeKeySet(Number(o.newVersion), enc, o.newMac !== undefined ? resolveKey(o.newMac) : enc, o.newDek !== undefined ? resolveKey(o.newDek) : enc);
      const replace = o.replace !== undefined ? Number(o.replace) : 0;
      if (!Number.isInteger(replace) || replace < 0 || replace > 0x7f) throw new UsageError(`--replace must be 0..127, got ${o.replace}`);
      const scp = await withSession(o, async (s) => {
        await putKeys(s, keys, replace);
        return s.scp;
      });
      console.log(`key set written: ${describeKeySet(keys, scp === 2 ? 'des3' : 'aes')}`);
    });

  addSessionOptions(program.command('install').description('load and install the JPKI applet with the parameters of a card profile'))
    .option('--cap <file>', 'CAP file of the applet', path.join(packageRoot(), 'test-vectors', 'cap', 'jpki-applet.cap'))
    .option('--json', 'print JSON')
    .addHelpText('after', '\nExamples:\n  $ jpki-harness install -r "Virtual PCD"\n  $ jpki-harness install -p test-vectors/profiles/simulator-scp02.yaml')
    .action(async (o: GpCliOptions & { cap: string }) => {
      await withSession(o, (s, p) => installFromProfile(s, p, o.cap, { ...(o.json ? { json: true } : {}) }));
    });
}
