import chalk from 'chalk';
import { toHex } from '../apdu/hex.js';
import { formatSw } from '../apdu/response.js';
import type { RunListener, RunResult, StepResult, StepStats, SuiteInfo, SuiteResult } from '../results.js';
import type { Scenario, Step } from '../script/scenario.js';
import { redactExchange, redactText } from './model.js';

export function formatMillis(nanoseconds: number): string {
  return (nanoseconds / 1e6).toFixed(3);
}

function pad(text: string, width: number, visible = text.length): string {
  return text + ' '.repeat(Math.max(0, width - visible));
}

function failureText(r: StepResult, showSecrets: boolean): string | undefined {
  if (r.failure === undefined) return undefined;
  return r.step.secret && !showSecrets ? redactText(r.failure) : r.failure;
}

/** The per-step table: name, status word, pass/fail, APDU count and round-trip time. */
export function renderTable(run: RunResult, options: { showSecrets?: boolean } = {}): string {
  const rows = run.results.map((r: StepResult, i) => ({
    index: String(i + 1),
    name: r.step.name,
    sw: r.sw !== undefined ? formatSw(r.sw) : '—',
    ok: r.passed,
    apdus: String(r.exchanges.length),
    ms: formatMillis(r.nanoseconds),
    failure: failureText(r, options.showSecrets ?? false),
  }));
  const widths = {
    index: Math.max(1, ...rows.map((r) => r.index.length)),
    name: Math.max(4, ...rows.map((r) => r.name.length)),
    apdus: 5,
    ms: Math.max(7, ...rows.map((r) => r.ms.length)),
  };
  const lines: string[] = [];
  const iteration = run.warmup ? ` warm-up ${run.iteration}` : run.iteration > 1 ? ` run ${run.iteration}` : '';
  lines.push(chalk.bold(`${run.scenario.name}${iteration}`) + chalk.dim(`  (${run.scenario.file} on ${run.transport})`));
  lines.push(
    chalk.dim(
      `${pad('#', widths.index)}  ${pad('step', widths.name)}  SW    result  ${pad('APDUs', widths.apdus)}  ` + 'time ms'.padStart(widths.ms),
    ),
  );
  for (const r of rows) {
    const result = r.ok ? chalk.green('pass') : chalk.red('FAIL');
    lines.push(
      `${pad(r.index, widths.index)}  ${pad(r.name, widths.name)}  ${r.sw.padEnd(4)}  ${pad(result, 6, 4)}  ${r.apdus.padStart(widths.apdus)}  ` +
        r.ms.padStart(widths.ms),
    );
    if (r.failure) lines.push(chalk.red(`${' '.repeat(widths.index + 2)}↳ ${r.failure}`));
  }
  lines.push(renderSummary(run));
  return lines.join('\n');
}

export function renderSummary(run: RunResult): string {
  const total = run.results.reduce((n, r) => n + r.nanoseconds, 0);
  const apdus = run.results.reduce((n, r) => n + r.exchanges.length, 0);
  const parts = [
    run.failed === 0 ? chalk.green(`${run.passed} passed`) : `${run.passed} passed`,
    run.failed > 0 ? chalk.red(`${run.failed} failed`) : `${run.failed} failed`,
  ];
  if (run.notRun > 0) parts.push(chalk.yellow(`${run.notRun} not run`));
  let line = `${parts.join(', ')} — ${apdus} APDUs in ${formatMillis(total)} ms on the card`;
  if (run.aborted) line += '\n' + chalk.red(`aborted: ${run.aborted.message}`);
  return line;
}

/** Per-step timing over the measured iterations: count, min, median, p95, max (ms). */
export function renderStats(stats: readonly StepStats[]): string {
  if (stats.length === 0) return chalk.dim('no timed steps');
  const name = Math.max(4, ...stats.map((s) => s.name.length));
  const f = (v: number): string => v.toFixed(3).padStart(9);
  const lines = [
    chalk.dim(
      `${pad('step', name)}  ${'count'.padStart(6)}  ${'min'.padStart(9)}  ${'median'.padStart(9)}  ${'p95'.padStart(9)}  ` +
        `${'max'.padStart(9)}  (ms)`,
    ),
  ];
  for (const s of stats) {
    const fails = s.failures > 0 ? chalk.red(`  ${s.failures} failed`) : '';
    lines.push(`${pad(s.name, name)}  ${String(s.count).padStart(6)}  ${f(s.min)}  ${f(s.median)}  ${f(s.p95)}  ${f(s.max)}${fails}`);
  }
  return lines.join('\n');
}

export function renderSuiteSummary(result: SuiteResult): string {
  const parts = [
    result.failed === 0 ? chalk.green(`${result.passed} passed`) : `${result.passed} passed`,
    result.failed > 0 ? chalk.red(`${result.failed} failed`) : `${result.failed} failed`,
  ];
  if (result.notRun > 0) parts.push(chalk.yellow(`${result.notRun} not run`));
  const apdus = result.runs.reduce((n, r) => n + r.results.reduce((m, s) => m + s.exchanges.length, 0), 0);
  let line = `${parts.join(', ')} — ${result.runs.length} scenario run${result.runs.length === 1 ? '' : 's'}, ${apdus} APDUs`;
  if (result.aborted) line += '\n' + chalk.red(`aborted: ${result.aborted.message}`);
  return line;
}

export interface ConsoleOptions {
  /** Print every APDU in hex (secret bodies hidden unless showSecrets). */
  readonly verbose?: boolean;
  /** Only the final summary line. */
  readonly quiet?: boolean;
  readonly showSecrets?: boolean;
  /** A progress line on stderr (default: when stderr is a terminal). */
  readonly progress?: boolean;
  readonly write?: (text: string) => void;
  readonly writeProgress?: (text: string) => void;
}

/** The console report: tables or statistics, --verbose hex, --quiet, a progress line on long runs. */
export class ConsoleReporter implements RunListener {
  private readonly write: (text: string) => void;
  private readonly writeProgress: (text: string) => void;
  private readonly progress: boolean;
  private info: SuiteInfo | undefined;
  private lastProgress = 0;
  private progressShown = false;
  private iteration = { scenario: '', iteration: 0, warmup: false };

  constructor(private readonly options: ConsoleOptions = {}) {
    this.write = options.write ?? ((t) => process.stdout.write(t + '\n'));
    this.writeProgress = options.writeProgress ?? ((t) => process.stderr.write(t));
    this.progress = options.progress ?? (process.stderr.isTTY && !options.quiet);
  }

  private get single(): boolean {
    return (this.info?.repeat ?? 1) + (this.info?.warmup ?? 0) === 1;
  }

  private clearProgress(): void {
    if (this.progressShown) {
      this.writeProgress('\r\x1b[K');
      this.progressShown = false;
    }
  }

  suiteStart(info: SuiteInfo): void {
    this.info = info;
    if (!this.options.quiet) {
      const iterations = this.single ? '' : `; ${info.repeat} measured iterations after ${info.warmup} warm-up`;
      this.write(chalk.dim(`card: ${info.transport}, ATR ${info.atr.length > 0 ? toHex(info.atr) : '(none)'}${iterations}`));
    }
  }

  scenarioStart(scenario: Scenario, iteration: number, warmup: boolean): void {
    this.iteration = { scenario: scenario.name, iteration, warmup };
    if (this.options.verbose) {
      this.clearProgress();
      this.write(chalk.bold(`── ${scenario.name}${warmup ? ` warm-up ${iteration}` : this.single ? '' : ` run ${iteration}`}`));
    }
  }

  stepStart(scenario: Scenario, _step: Step, index: number): void {
    if (!this.progress) return;
    const now = Date.now();
    if (now - this.lastProgress < 100) return;
    this.lastProgress = now;
    const it = this.iteration;
    const total = this.info ? this.info.repeat : 1;
    const which = it.warmup ? `warm-up ${it.iteration}` : `run ${it.iteration}/${total}`;
    this.writeProgress(`\r\x1b[K${scenario.name}: ${which}, step ${index + 1}/${scenario.steps.length}`);
    this.progressShown = true;
  }

  step(_run: { scenario: Scenario; iteration: number; warmup: boolean }, result: StepResult): void {
    if (!this.options.verbose || this.options.quiet) return;
    this.clearProgress();
    const hide = result.step.secret && !this.options.showSecrets;
    const mark = result.passed ? chalk.green('pass') : chalk.red('FAIL');
    this.write(`${mark} ${result.step.name}  ${chalk.dim(`${formatMillis(result.nanoseconds)} ms`)}`);
    for (const e of result.exchanges) {
      const shown = hide ? redactExchange(e.command, e.response) : { command: toHex(e.command), response: toHex(e.response) };
      this.write(chalk.dim(`  => ${shown.command}\n  <= ${shown.response}  (${formatMillis(e.nanoseconds)} ms)`));
    }
    const failure = failureText(result, this.options.showSecrets ?? false);
    if (failure) this.write(chalk.red(`  ↳ ${failure}`));
  }

  scenarioEnd(run: RunResult): void {
    if (this.options.quiet) return;
    this.clearProgress();
    if (this.single) {
      this.write(renderTable(run, { showSecrets: this.options.showSecrets ?? false }) + '\n');
      return;
    }
    for (const r of run.results.filter((x) => !x.passed)) {
      this.write(
        chalk.red(
          `FAIL ${run.scenario.name} ${run.warmup ? 'warm-up' : 'run'} ${run.iteration}: ${r.step.name}: ` +
            `${failureText(r, this.options.showSecrets ?? false)}`,
        ),
      );
    }
  }

  suiteEnd(result: SuiteResult): void {
    this.clearProgress();
    if (!this.options.quiet && !this.single) this.write(renderStats(result.stats) + '\n');
    if (!this.single || this.options.quiet || result.runs.length > 1) this.write(renderSuiteSummary(result));
  }
}
