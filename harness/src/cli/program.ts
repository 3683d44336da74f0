import { Command, CommanderError } from './commander.js';
import { HarnessError } from '../errors.js';
import { EXIT, EXIT_CODES_HELP } from './options.js';

/** The package version, as `--version` prints it (main.ts answers `--version` without loading this module). */
export const VERSION = '0.1.0';

type Register = (program: Command) => void;

/**
 * The command groups in the order `--help` lists them, each with the top-level commands it defines and
 * the module that defines them. Running one command loads and defines only its own group: loading and
 * defining all of them is a measurable part of a short command's start-up. A test checks these names
 * against what each group defines.
 */
export const COMMAND_GROUPS: readonly { readonly commands: readonly string[]; readonly load: () => Promise<Register> }[] = [
  { commands: ['readers', 'send', 'shell'], load: async () => (await import('./card-commands.js')).registerCardCommands },
  { commands: ['run', 'bench'], load: async () => (await import('./run-commands.js')).registerRunCommands },
  { commands: ['sim'], load: async () => (await import('./sim-commands.js')).registerSimCommands },
  { commands: ['personalise', 'attest', 'info'], load: async () => (await import('./jpki-commands.js')).registerJpkiCommands },
  { commands: ['my-number-card'], load: async () => (await import('./my-number-card-commands.js')).registerMyNumberCardCommands },
  { commands: ['cap', 'gp'], load: async () => (await import('./gp-commands.js')).registerGpCommands },
  { commands: ['install'], load: async () => (await import('./gp-commands.js')).registerInstallCommand },
  { commands: ['compat'], load: async () => (await import('./compat-commands.js')).registerCompatCommands },
  {
    commands: ['serve', 'apply', 'write', 'revoke', 'renew', 'transfer', 'reset-pin', 'check', 'authenticate', 'sign-in', 'status', 'demo'],
    load: async () => (await import('./issuance-commands.js')).registerIssuanceCommands,
  },
];

/**
 * The jpki-harness command line. With `command`, the name of the top-level command about to run, only
 * that command's group is defined; without it (or for a name no group defines, so that commander can
 * list them all and suggest one), every group is.
 */
export async function buildCli(command?: string): Promise<Command> {
  const program = new Command('jpki-harness')
    .description('Install, personalise, exercise and time the JPKI user-authentication applet on SIM cards and on jCardSim.')
    .version(VERSION)
    .showHelpAfterError()
    .exitOverride()
    .addHelpText(
      'after',
      `
${EXIT_CODES_HELP}

Examples:
  $ jpki-harness run --personalise test-vectors/scenarios/read-certificate.yaml   # fresh simulator, direct link
  $ jpki-harness sim start && jpki-harness run -t pcsc -r "Virtual PCD" test-vectors/scenarios/read-certificate.yaml
  $ jpki-harness bench --repeat 100 --html timing.html test-vectors/scenarios/read-certificate.yaml
  $ jpki-harness shell
  $ jpki-harness readers`,
    );
  const own = command === undefined ? undefined : COMMAND_GROUPS.find((g) => g.commands.includes(command));
  const groups = own !== undefined ? [own] : COMMAND_GROUPS;
  // Loaded together, defined in order: the order is the one --help lists.
  for (const register of await Promise.all(groups.map((g) => g.load()))) register(program);
  return program;
}

/** The top-level `--help` page at `width` columns, as commander prints it (with the text added before and after). */
export async function topLevelHelp(width: number): Promise<string> {
  let page = '';
  const program = (await buildCli()).configureHelp({ helpWidth: width }).configureOutput({ writeOut: (text) => (page += text) });
  program.outputHelp();
  return page;
}

export async function main(argv: readonly string[] = process.argv): Promise<void> {
  try {
    await (await buildCli(argv[2])).parseAsync([...argv]);
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end here with exit code 0; usage mistakes with 2.
      process.exitCode = error.exitCode === 0 ? EXIT.passed : EXIT.usage;
    } else if (error instanceof HarnessError) {
      const { default: chalk } = await import('chalk');
      console.error(chalk.red(`jpki-harness: ${error.message}`));
      process.exitCode = error.exitCode;
    } else {
      console.error(error);
      process.exitCode = 70;
    }
  }
}
