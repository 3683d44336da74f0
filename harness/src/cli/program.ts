import { Command, CommanderError } from './commander.js';
import { HarnessError } from '../errors.js';
import { registerCardCommands } from './card-commands.js';
import { registerCompatCommands } from './compat-commands.js';
import { registerGpCommands } from './gp-commands.js';
import { registerIssuanceCommands } from './issuance-commands.js';
import { registerJpkiCommands } from './jpki-commands.js';
import { registerMyNumberCardCommands } from './my-number-card-commands.js';
import { EXIT, EXIT_CODES_HELP } from './options.js';
import { registerRunCommands } from './run-commands.js';
import { registerSimCommands } from './sim-commands.js';

/** The package version, as `--version` prints it (main.ts answers `--version` without loading this module). */
export const VERSION = '0.1.0';

/** The jpki-harness command line: one register function per command group. */
export function buildCli(): Command {
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
  registerCardCommands(program);
  registerRunCommands(program);
  registerSimCommands(program);
  registerJpkiCommands(program);
  registerMyNumberCardCommands(program);
  registerGpCommands(program);
  registerCompatCommands(program);
  registerIssuanceCommands(program);
  return program;
}

/** The top-level `--help` page at `width` columns, as commander prints it (with the text added before and after). */
export function topLevelHelp(width: number): string {
  let page = '';
  const program = buildCli()
    .configureHelp({ helpWidth: width })
    .configureOutput({ writeOut: (text) => (page += text) });
  program.outputHelp();
  return page;
}

export async function main(argv: readonly string[] = process.argv): Promise<void> {
  try {
    await buildCli().parseAsync([...argv]);
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
