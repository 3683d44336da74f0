import type { Command } from 'commander';
import {
  addCardOptions,
  cardOptionsFrom,
  collect,
  EXIT_CODES_HELP,
  parseSwOption,
  parseVars,
  positiveInteger,
  type CardCliOptions,
} from './options.js';

interface RunCliOptions extends CardCliOptions {
  repeat?: string;
  warmup?: string;
  stopOnFailure?: boolean;
  var: string[];
  tag: string[];
  excludeTag: string[];
  json?: boolean;
  reportJson?: string;
  junit?: string;
  html?: string;
  reportApdus: boolean;
  verbose?: boolean;
  quiet?: boolean;
  progress?: boolean;
  apdutoolExpect: string[];
  personalise?: boolean;
}

function addRunOptions(command: Command, defaults: { repeat: string; warmup: string }): Command {
  return addCardOptions(command)
    .option('-n, --repeat <n>', 'measured iterations of every scenario', defaults.repeat)
    .option('-w, --warmup <n>', 'unmeasured iterations before them', defaults.warmup)
    .option('--stop-on-failure', 'stop at the first failed step')
    .option('--var <name=value>', 'set a ${variable} (repeatable; overrides the scenario vars)', collect, [])
    .option('--tag <tag>', "run only steps with this tag (repeatable; a step has its own and its scenario's tags)", collect, [])
    .option('--exclude-tag <tag>', 'skip steps with this tag (repeatable)', collect, [])
    .option('--json', 'print the JSON report on stdout instead of the tables')
    .option('--report-json <file>', 'write the JSON report (docs/report-schema.json), updated while the run goes on')
    .option('--junit <file>', 'write a JUnit XML report, updated while the run goes on')
    .option('--html <file>', 'write a self-contained HTML report with a timing chart per step')
    .option('--no-report-apdus', 'leave the exchanges (hex) out of the JSON and HTML reports')
    .option('-v, --verbose', 'print every APDU in hex (secrets redacted)')
    .option('-q, --quiet', 'print only the summary line')
    .option('--no-progress', 'no progress line on stderr')
    .option('--apdutool-expect <sw>', 'status word every APDU of an imported apdutool script must return (repeatable)', collect, [])
    .option('--personalise', 'first personalise the applet with the TEST credential, as `jpki-harness personalise` does');
}

async function run(files: string[], opts: RunCliOptions, bench: boolean): Promise<number> {
  const quiet = opts.quiet === true || opts.json === true;
  const expectSw = parseSwOption(opts.apdutoolExpect);
  // Loaded here, not at the top: `--help` and `--version` must not pay for the runner and the reports.
  const { executeRun } = await import('./execute.js');
  const { renderJson } = await import('../report/files.js');
  const personaliseWithTestCredential = opts.personalise
    ? (await import('../jpki/test-ca/test-material.js')).personaliseWithTestCredential
    : undefined;
  const result = await executeRun({
    ...cardOptionsFrom(opts),
    scripts: files,
    repeat: positiveInteger('--repeat', opts.repeat, 1),
    warmup: positiveInteger('--warmup', opts.warmup, 0, 0),
    ...(opts.stopOnFailure ? { stopOnFailure: true } : {}),
    vars: parseVars(opts.var),
    tags: opts.tag,
    excludeTags: opts.excludeTag,
    ...(expectSw ? { expectSw } : {}),
    ...(opts.reportJson !== undefined ? { reportJson: opts.reportJson } : {}),
    ...(opts.junit !== undefined ? { reportJunit: opts.junit } : {}),
    ...(opts.html !== undefined ? { reportHtml: opts.html } : {}),
    reportApdus: opts.reportApdus && !bench,
    console: opts.json ? false : { quiet, verbose: opts.verbose === true, ...(opts.progress === false ? { progress: false } : {}) },
    handleSignals: true,
    ...(personaliseWithTestCredential ? { prepare: personaliseWithTestCredential } : {}),
  });
  if (opts.json) process.stdout.write(renderJson(result.report));
  return result.exitCode;
}

/** `run` and `bench`: scenarios, folders or globs against a card, with reports and timing. */
export function registerRunCommands(program: Command): void {
  addRunOptions(
    program
      .command('run')
      .description('run scenario scripts (YAML, or apdutool .scr) and report every step with its timing')
      .argument('<scripts...>', 'scenario files, folders or globs (.yaml, .yml; .scr/.apdu for apdutool scripts)'),
    { repeat: '1', warmup: '0' },
  )
    .addHelpText(
      'after',
      `
${EXIT_CODES_HELP}

Examples:
  $ jpki-harness run --personalise test-vectors/scenarios/read-certificate.yaml   # fresh simulator, TEST credential
  $ jpki-harness run test-vectors/scenarios/                              # every scenario in the folder
  $ jpki-harness run -t pcsc -r "Virtual PCD 00 00" 'test-vectors/**/*.yaml'
  $ jpki-harness run --repeat 100 --warmup 5 --html timing.html read-certificate.yaml
  $ jpki-harness run --junit results.xml --report-json results.json --tag smoke test-vectors/scenarios/
  $ jpki-harness run --var PIN="$JPKI_PIN" verify.yaml                  # PIN redacted in all output
  $ jpki-harness run --record card.trace scenario.yaml && jpki-harness run -t trace --trace card.trace scenario.yaml
  $ jpki-harness run vendor-install.scr                                  # an Oracle apdutool script`,
    )
    .action(async (files: string[], opts: RunCliOptions) => {
      process.exitCode = await run(files, opts, false);
    });

  addRunOptions(
    program
      .command('bench')
      .description('time scenarios: many iterations, per-step min / median / p95 / max')
      .argument('<scripts...>', 'scenario files, folders or globs'),
    { repeat: '20', warmup: '3' },
  )
    .addHelpText(
      'after',
      `
Same options as run, with --repeat 20 --warmup 3 by default, and the exchanges left out of reports.
${EXIT_CODES_HELP}

Examples:
  $ jpki-harness bench test-vectors/scenarios/read-certificate.yaml
  $ jpki-harness bench -t pcsc -r 0 -n 200 -w 20 --html bench.html test-vectors/scenarios/read-certificate.yaml`,
    )
    .action(async (files: string[], opts: RunCliOptions) => {
      process.exitCode = await run(files, opts, true);
    });
}
