#!/usr/bin/env node
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError } from 'commander';
import chalk from 'chalk';
import { HarnessError } from '../errors.js';
import { registerCardCommands } from './card-commands.js';
import { registerGpCommands } from './gp-commands.js';
import { registerJpkiCommands } from './jpki-commands.js';
import { EXIT, EXIT_CODES_HELP } from './options.js';
import { registerRunCommands } from './run-commands.js';
import { registerSimCommands } from './sim-commands.js';

/** The jpki-harness command line: one register function per command group. */
export function buildCli(): Command {
  const program = new Command('jpki-harness')
    .description('Install, personalise, exercise and time the JPKI user-authentication applet on SIM cards and on jCardSim.')
    .version('0.1.0')
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
  registerGpCommands(program);
  return program;
}

/**
 * `jpki-harness … | head` closes the pipe after a few lines; the next write then fails with EPIPE.
 * The reader has all it wanted, so end at once and quietly, as a command-line tool does on SIGPIPE.
 * Any other write error is a real failure and stays one.
 */
function endQuietlyWhenTheReaderGoes(stream: NodeJS.WriteStream): void {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    process.exit(typeof process.exitCode === 'number' ? process.exitCode : EXIT.passed);
  });
}

export async function main(argv: readonly string[] = process.argv): Promise<void> {
  try {
    await buildCli().parseAsync([...argv]);
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end here with exit code 0; usage mistakes with 2.
      process.exitCode = error.exitCode === 0 ? EXIT.passed : EXIT.usage;
    } else if (error instanceof HarnessError) {
      console.error(chalk.red(`jpki-harness: ${error.message}`));
      process.exitCode = error.exitCode;
    } else {
      console.error(error);
      process.exitCode = 70;
    }
  }
}

function invokedDirectly(): boolean {
  try {
    return process.argv[1] !== undefined && realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (invokedDirectly()) {
  endQuietlyWhenTheReaderGoes(process.stdout);
  endQuietlyWhenTheReaderGoes(process.stderr);
  await main();
  // The work is done; should a native PC/SC thread of a vanished reader still hold the event loop,
  // do not hang the shell on it (an unref'd timer only fires when something else keeps us alive).
  setTimeout(() => process.exit(), 1500).unref();
}
