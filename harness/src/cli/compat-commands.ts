/**
 * `jpki-harness compat`: the conformance suite on simulated vendor personas and real readers, as a matrix.
 * Only the command's definition lives here; its work (`compat-run.ts`) is loaded when it runs, so that
 * `jpki-harness --help` does not load the suite, the personas and the renderers.
 */
import path from 'node:path';
import type { Command } from 'commander';
import { DEFAULT_THRESHOLD, defaultJobs } from '../compat/defaults.js';
import { packageRoot } from '../package-root.js';
import type { CompatCliOptions } from './compat-run.js';

const collect = (value: string, previous: string[]): string[] => [...previous, value];

export function registerCompatCommands(program: Command): void {
  program
    .command('compat')
    .description('run the conformance suite on simulated vendor personas and real cards: matrix, per-command timing, HTML/JSON/JUnit, baselines')
    .argument('[profiles...]', 'card profiles with a simulated persona (compat.persona); default: every persona profile in test-vectors/profiles')
    .option('--suite <dir|file>', 'conformance cases', path.join(packageRoot(), 'test-vectors', 'conformance'))
    .option('-r, --reader <reader=profile>', 'a real card: PC/SC reader (name, substring or index) and its profile; repeatable', collect, [])
    .option('--case <id>', 'only this case, or a prefix such as UI-PIN; repeatable', collect, [])
    .option('-j, --jobs <n>', `cards tested at the same time (default ${defaultJobs()})`)
    .option(
      '--card-authority-root <file>',
      "the card authority's root certificate (DER or PEM) the cards' CASD chains to (default: the simulator's TEST root)",
    )
    .option('--latency-scale <f>', "multiply the personas' published operation times by f (0 turns them off)", '1')
    .option('--json <file>', 'the JSON report')
    .option('--junit <file>', 'JUnit XML: one suite per card')
    .option('--html <file>', 'one self-contained HTML report: matrix, a chart per command, details')
    .option('--save-baseline <file>', 'save this run as a baseline')
    .option('--baseline <file>', 'compare with a saved baseline: behaviour changes and timing regressions fail the run')
    .option('--threshold-ratio <r>', 'timing regression: median above baseline × r …', String(DEFAULT_THRESHOLD.ratio))
    .option('--threshold-ms <ms>', '… and more than this many ms above it', String(DEFAULT_THRESHOLD.milliseconds))
    .option('--list', 'list the profiles (personas, real cards from public sources, reader profiles) and exit')
    .option('-q, --quiet', 'print the summary line only')
    .option('--no-progress', 'no progress display')
    .addHelpText(
      'after',
      `
Exit codes: 0 no card failed a case (and no baseline finding), 1 a case failed or the baseline flagged a change, 2 usage or suite error.

Examples:
  $ jpki-harness compat --list                                      # the profiles: personas and real cards
  $ jpki-harness compat --html compat.html                          # every persona, published operation times
  $ jpki-harness compat --latency-scale 0.05 --junit compat.xml     # the same, fast (CI)
  $ jpki-harness compat test-vectors/profiles/persona-t0-short-only.yaml --case UI-PIN
  $ jpki-harness compat -r "Virtual PCD 00 01=test-vectors/profiles/simulator-scp03.yaml"
  $ jpki-harness compat --save-baseline base.json && jpki-harness compat --baseline base.json`,
    )
    .action(async (profiles: string[], o: CompatCliOptions) => (await import('./compat-run.js')).compat(profiles, o));
}
