#!/usr/bin/env node
import { Command, Option } from 'commander';
import chalk from 'chalk';
import { HarnessError, UsageError } from '../errors.js';
import { toHex } from '../apdu/hex.js';
import { loadScenario } from '../script/parser.js';
import { runScenario, type RunResult } from '../runner/runner.js';
import { renderTable } from '../report/console.js';
import { listReaders } from '../transport/pcsc.js';
import { openTransport, parseReaderSelector } from '../transport/open.js';
import type { TransportKind } from '../transport/transport.js';
import { registerJpkiCommands } from './jpki-commands.js';
import { registerGpCommands } from './gp-commands.js';
import { simulatorStatus, startBackgroundSimulator, stopBackgroundSimulator, VPCD_FIRST_SLOT_PORT } from '../sim/background.js';

const EXIT_FAILED = 1;

function transportOption(): Option {
  return new Option('-t, --transport <kind>', 'how to reach the card: pcsc (any PC/SC reader) or sim (direct link to the simulator)')
    .choices(['pcsc', 'sim'])
    .default('sim');
}

async function runCommand(files: string[], opts: { transport: TransportKind; reader?: string; stopOnFailure?: boolean; json?: boolean; simLog?: string; personalise?: boolean }): Promise<number> {
  const scenarios = files.map((f) => loadScenario(f));
  const transport = await openTransport({
    kind: opts.transport,
    ...(opts.reader !== undefined ? { reader: parseReaderSelector(opts.reader)! } : {}),
    ...(opts.simLog !== undefined ? { simulatorLog: opts.simLog } : {}),
  });
  const runs: RunResult[] = [];
  try {
    if (opts.personalise) {
      const { personaliseWithTestCredential } = await import('../jpki/test-material.js');
      await personaliseWithTestCredential(transport);
    }
    for (const scenario of scenarios) {
      const run = await runScenario(scenario, transport, { stopOnFailure: opts.stopOnFailure ?? false });
      runs.push(run);
      if (!opts.json) console.log(renderTable(run) + '\n');
      if (run.aborted) break;
    }
  } finally {
    await transport.close();
  }
  if (opts.json) {
    console.log(
      JSON.stringify(
        runs.map((run) => ({
          scenario: run.scenario.name,
          file: run.scenario.file,
          transport: run.transport,
          passed: run.passed,
          failed: run.failed,
          notRun: run.notRun,
          aborted: run.aborted?.message,
          steps: run.results.map((r) => ({
            name: r.step.name,
            sw: r.sw?.toString(16).toUpperCase().padStart(4, '0'),
            passed: r.passed,
            failure: r.failure,
            apdus: r.exchanges.length,
            milliseconds: r.nanoseconds / 1e6,
          })),
        })),
        null,
        2,
      ),
    );
  }
  const aborted = runs.find((r) => r.aborted);
  if (aborted?.aborted) return aborted.aborted.exitCode;
  return runs.every((r) => r.failed === 0 && r.notRun === 0) ? 0 : EXIT_FAILED;
}

export function buildCli(): Command {
  const program = new Command('jpki-harness')
    .description('Install, personalise, exercise and time the JPKI user-authentication applet on SIM cards and on jCardSim.')
    .version('0.1.0')
    .showHelpAfterError()
    .addHelpText(
      'after',
      `
Examples:
  $ jpki-harness run --personalise test-vectors/scenarios/read-certificate.yaml   # fresh simulator, direct link
  $ jpki-harness sim start && jpki-harness run -t pcsc -r "Virtual PCD" test-vectors/scenarios/read-certificate.yaml
  $ jpki-harness readers`,
    );

  program
    .command('readers')
    .description('list the PC/SC readers pcscd knows')
    .option('--json', 'print JSON')
    .addHelpText('after', '\nExample:\n  $ jpki-harness readers')
    .action(async (opts: { json?: boolean }) => {
      const names = await listReaders();
      if (opts.json) console.log(JSON.stringify(names));
      else if (names.length === 0) console.log('no readers (is pcscd running? for the simulator: jpki-harness sim start)');
      else names.forEach((n, i) => console.log(`${i}  ${n}`));
    });

  program
    .command('run')
    .description('run scenario scripts and print a timing table per step')
    .argument('<scenario...>', 'YAML scenario files')
    .addOption(transportOption())
    .option('-r, --reader <name|index>', 'PC/SC reader: exact name, substring or index (pcsc transport)')
    .option('--stop-on-failure', 'stop at the first failed step')
    .option('--sim-log <file>', 'simulator APDU log, PINs and keys redacted (sim transport)')
    .option('--json', 'print results as JSON instead of the table')
    .option('--personalise', 'first personalise the applet with the TEST credential (jpki-harness personalise)')
    .addHelpText(
      'after',
      `
Exit codes: 0 all passed, 1 expectations failed, 2 usage or script error, 3 reader or card error.

Examples:
  $ jpki-harness run --personalise test-vectors/scenarios/read-certificate.yaml
  $ jpki-harness run --transport pcsc --reader "Virtual PCD 00 00" test-vectors/scenarios/*.yaml`,
    )
    .action(async (files: string[], opts: { transport: TransportKind; reader?: string; stopOnFailure?: boolean; json?: boolean; simLog?: string; personalise?: boolean }) => {
      process.exitCode = await runCommand(files, opts);
    });

  const sim = program.command('sim').description('the simulated card plugged into pcscd through vsmartcard-vpcd');
  sim
    .command('start')
    .description('start a simulated JPKI card in the background, in the vpcd reader slot')
    .option('-p, --port <port>', 'vpcd slot port (35963 first slot, 35964 second)', String(VPCD_FIRST_SLOT_PORT))
    .option('--atr <hex>', 'ATR the card presents')
    .option('--log <file>', 'APDU log, PINs and keys redacted')
    .addHelpText('after', '\nExample:\n  $ jpki-harness sim start && opensc-tool -l')
    .action(async (opts: { port: string; atr?: string; log?: string }) => {
      const status = await startBackgroundSimulator({
        port: Number(opts.port),
        ...(opts.atr !== undefined ? { atr: opts.atr } : {}),
        ...(opts.log !== undefined ? { logFile: opts.log } : {}),
      });
      console.log(`simulator running (pid ${status.pid}) on vpcd port ${status.port}`);
      if (!status.readerListening) {
        console.log(chalk.yellow(`nothing listens on port ${status.port} yet: start pcscd with vsmartcard-vpcd installed; the card plugs in when it appears`));
      }
    });
  sim
    .command('stop')
    .description('stop the background simulator')
    .option('-p, --port <port>', 'vpcd slot port', String(VPCD_FIRST_SLOT_PORT))
    .action(async (opts: { port: string }) => {
      const stopped = await stopBackgroundSimulator(Number(opts.port));
      console.log(stopped ? 'simulator stopped' : 'no simulator was running');
    });
  sim
    .command('status')
    .description('is the background simulator running, and is a vpcd reader there?')
    .option('-p, --port <port>', 'vpcd slot port', String(VPCD_FIRST_SLOT_PORT))
    .option('--json', 'print JSON')
    .action(async (opts: { port: string; json?: boolean }) => {
      const status = await simulatorStatus(Number(opts.port));
      if (opts.json) console.log(JSON.stringify(status));
      else {
        console.log(`simulator: ${status.running ? `running (pid ${status.pid})` : 'not running'}`);
        console.log(`vpcd reader on port ${status.port}: ${status.readerListening ? 'listening (pcscd)' : 'absent'}`);
      }
      if (!status.running) process.exitCode = EXIT_FAILED;
    });

  program
    .command('send')
    .description('send APDUs (hex) and print the responses')
    .argument('<apdu...>', 'command APDUs as hex')
    .addOption(transportOption())
    .option('-r, --reader <name|index>', 'PC/SC reader (pcsc transport)')
    .addHelpText('after', '\nExample:\n  $ jpki-harness send -t pcsc 00A4040C0AD392F000260100000001 00A4020C02000A 00B0000004')
    .action(async (apdus: string[], opts: { transport: TransportKind; reader?: string }) => {
      const { parseHex } = await import('../apdu/hex.js');
      const commands = apdus.map((a) => {
        try {
          return parseHex(a);
        } catch (e) {
          throw new UsageError(`'${a}': ${(e as Error).message}`);
        }
      });
      const transport = await openTransport({ kind: opts.transport, ...(opts.reader !== undefined ? { reader: parseReaderSelector(opts.reader)! } : {}) });
      try {
        for (const c of commands) {
          const r = await transport.transmit(c);
          console.log(`=> ${toHex(c)}\n<= ${toHex(r)}`);
        }
      } finally {
        await transport.close();
      }
    });
  registerJpkiCommands(program);
  registerGpCommands(program);
  return program;
}

async function main(): Promise<void> {
  try {
    await buildCli().parseAsync(process.argv);
  } catch (error) {
    if (error instanceof HarnessError) {
      console.error(chalk.red(`jpki-harness: ${error.message}`));
      process.exitCode = error.exitCode;
    } else {
      console.error(error);
      process.exitCode = 70;
    }
  }
}

await main();
