/**
 * CLI: `cap info`, `gp list | install | delete | lock | unlock | create-sd | extradite | put-key`
 * (registerGpCommands), and `install`, the JPKI applet for a card profile (registerInstallCommand).
 * Each command opens the card as every command does (the card options of options.ts), runs one
 * secure-channel session, and closes it. Only the definitions are here; the work is in gp-actions.ts,
 * loaded when a command runs.
 */
import path from 'node:path';
import { Option, type Command } from './commander.js';
import type { GpCliOptions, InstallCliOptions } from './gp-actions.js';
import { addCardOptions } from './options.js';

/** The key diversification methods (gp/keys.ts DIVERSIFICATIONS), spelled out so that --help loads no crypto. */
const DIVERSIFICATION_CHOICES = ['none', 'emv', 'visa2', 'kdf3'];

const actions = (): Promise<typeof import('./gp-actions.js')> => import('./gp-actions.js');

/** Defaults inside this package, resolved when a command runs (finding the package root is not free, and --help needs none). */
async function packagePath(...parts: string[]): Promise<string> {
  const { packageRoot } = await import('../package-root.js');
  return path.join(packageRoot(), ...parts);
}

function addSessionOptions(cmd: Command): Command {
  return addCardOptions(cmd)
    .option(
      '-p, --profile <file>',
      'card/vendor profile (YAML, see docs/vendor-profile.md; default: the simulated UICC, built in as test-vectors/profiles/simulator-scp03.yaml)',
    )
    .option('--level <level>', 'security level: hex (01, 03, 11, 13, 33) or cmac+cdec+rmac+renc (overrides the profile)')
    .option('--kvn <n>', 'key version number (overrides the profile)')
    .option('--key <hex|env:NAME>', 'one key for ENC, MAC and DEK (overrides the profile; prefer env:NAME)')
    .addOption(
      new Option('--diversification <method>', "derive the card keys from the key(s) given with the card's KDD (overrides the profile)").choices(
        DIVERSIFICATION_CHOICES,
      ),
    );
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
    .action(async (file: string, o: { descriptor?: boolean; debug?: boolean; json?: boolean }) => {
      (await actions()).printCapInfo(file, o);
    });

  const gp = program.command('gp').description('GlobalPlatform card management over SCP02/SCP03');
  addSessionOptions(gp.command('list').description('list the ISD, applications, security domains and packages'))
    .addOption(new Option('--format <format>', 'GET STATUS response format').choices(['auto', 'tlv', 'legacy']).default('auto'))
    .option('--json', 'print JSON')
    .addHelpText(
      'after',
      '\nExamples:\n  $ jpki-harness gp list -r "Virtual PCD"\n  $ jpki-harness gp list -p test-vectors/profiles/simulator-scp02.yaml --level 13',
    )
    .action(async (o: GpCliOptions & { format: 'auto' | 'tlv' | 'legacy' }) => {
      const { withSession, printRegistry } = await actions();
      const { listRegistry } = await import('../gp/manager.js');
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
    .action(async (capFile: string, o: GpCliOptions & InstallCliOptions) => {
      const { withSession, installFromProfile } = await actions();
      await withSession(o, (s, p) => installFromProfile(s, p, capFile, o));
    });
  addSessionOptions(gp.command('delete').description('delete an application or a package'))
    .argument('<aid>', 'AID')
    .option('--related', 'also delete related objects (a package with its applications)')
    .addHelpText('after', '\nExample:\n  $ jpki-harness gp delete --related D392F0002601000000')
    .action(async (aid: string, o: GpCliOptions & { related?: boolean }) => {
      const { withSession, parseAid } = await actions();
      const { deleteAid } = await import('../gp/manager.js');
      const { toHex } = await import('../apdu/hex.js');
      const a = parseAid('AID', aid);
      await withSession(o, (s) => deleteAid(s, a, o.related === true));
      console.log(`deleted ${toHex(a)}`);
    });
  for (const [name, locked] of [
    ['lock', true],
    ['unlock', false],
  ] as const) {
    addSessionOptions(gp.command(name).description(`${name} an application (SET STATUS)`))
      .argument('<aid>', 'application AID')
      .addHelpText('after', `\nExample:\n  $ jpki-harness gp ${name} D392F000260100000001`)
      .action(async (aid: string, o: GpCliOptions) => {
        const { withSession, parseAid } = await actions();
        const { setApplicationLocked } = await import('../gp/manager.js');
        const { toHex } = await import('../apdu/hex.js');
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
      const { withSession, parseAid, privilegeList } = await actions();
      const { createSecurityDomain } = await import('../gp/manager.js');
      const { parseHex, toHex } = await import('../apdu/hex.js');
      const a = parseAid('AID', aid);
      const privileges = privilegeList(o.privileges);
      const parameters = o.params !== undefined ? { parameters: parseHex(o.params) } : {};
      await withSession(o, (s, p) => createSecurityDomain(s, a, { privileges, privilegeEncoding: p.install.privilegeEncoding, ...parameters }));
      console.log(`created security domain ${toHex(a)}`);
    });
  addSessionOptions(gp.command('extradite').description('move an application under another security domain (INSTALL [for extradition])'))
    .argument('<application>', 'application AID')
    .requiredOption('--to <sd>', 'AID of the receiving security domain')
    .addHelpText('after', '\nExample:\n  $ jpki-harness gp extradite D392F000260100000001 --to A00000015153504100000001')
    .action(async (app: string, o: GpCliOptions & { to: string }) => {
      const { withSession, parseAid } = await actions();
      const { extradite } = await import('../gp/manager.js');
      const { toHex } = await import('../apdu/hex.js');
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
      const { withSession, keyOption } = await actions();
      const { putKeys } = await import('../gp/manager.js');
      const { describeKeySet, makeKeySet } = await import('../gp/keys.js');
      const { UsageError } = await import('../errors.js');
      const enc = keyOption('--new-enc', o.newEnc);
      const mac = o.newMac !== undefined ? keyOption('--new-mac', o.newMac) : enc;
      const dek = o.newDek !== undefined ? keyOption('--new-dek', o.newDek) : enc;
      const keys = makeKeySet(Number(o.newVersion), enc, mac, dek);
      const replace = o.replace !== undefined ? Number(o.replace) : 0;
      if (!Number.isInteger(replace) || replace < 0 || replace > 0x7f) throw new UsageError(`--replace must be 0..127, got ${o.replace}`);
      const scp = await withSession(o, async (s) => {
        await putKeys(s, keys, replace);
        return s.scp;
      });
      console.log(`key set written: ${describeKeySet(keys, scp === 2 ? 'des3' : 'aes')}`);
    });
}

/** `install`: defined apart from `gp`'s ten subcommands, so that an install defines only itself. */
export function registerInstallCommand(program: Command): void {
  addSessionOptions(program.command('install').description('load and install the JPKI applet with the parameters of a card profile'))
    .option('--cap <file>', 'CAP file of the applet (default test-vectors/cap/jpki-applet.cap)')
    .option('--json', 'print JSON')
    .addHelpText(
      'after',
      '\nExamples:\n  $ jpki-harness install -r "Virtual PCD"\n  $ jpki-harness install -p test-vectors/profiles/simulator-scp02.yaml',
    )
    .action(async (o: GpCliOptions & { cap?: string }) => {
      const { withSession, installFromProfile } = await actions();
      const capFile = o.cap ?? (await packagePath('test-vectors', 'cap', 'jpki-applet.cap'));
      await withSession(o, (s, p) => installFromProfile(s, p, capFile, { ...(o.json ? { json: true } : {}) }));
    });
}
