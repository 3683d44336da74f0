import chalk from 'chalk';
import { formatSw } from '../apdu/response.js';
import type { RunResult, StepResult } from '../runner/runner.js';

export function formatMillis(nanoseconds: number): string {
  return (nanoseconds / 1e6).toFixed(3);
}

function pad(text: string, width: number, visible = text.length): string {
  return text + ' '.repeat(Math.max(0, width - visible));
}

/** The per-step table: name, status word, pass/fail, APDU count and round-trip time. */
export function renderTable(run: RunResult): string {
  const rows = run.results.map((r: StepResult, i) => ({
    index: String(i + 1),
    name: r.step.name,
    sw: r.sw !== undefined ? formatSw(r.sw) : '—',
    ok: r.passed,
    apdus: String(r.exchanges.length),
    ms: formatMillis(r.nanoseconds),
    failure: r.failure,
  }));
  const widths = {
    index: Math.max(1, ...rows.map((r) => r.index.length)),
    name: Math.max(4, ...rows.map((r) => r.name.length)),
    apdus: 5,
    ms: Math.max(7, ...rows.map((r) => r.ms.length)),
  };
  const lines: string[] = [];
  lines.push(chalk.bold(`${run.scenario.name}`) + chalk.dim(`  (${run.scenario.file} on ${run.transport})`));
  lines.push(
    chalk.dim(
      `${pad('#', widths.index)}  ${pad('step', widths.name)}  SW    result  ${pad('APDUs', widths.apdus)}  ${'time ms'.padStart(widths.ms)}`,
    ),
  );
  for (const r of rows) {
    const result = r.ok ? chalk.green('pass') : chalk.red('FAIL');
    lines.push(
      `${pad(r.index, widths.index)}  ${pad(r.name, widths.name)}  ${r.sw.padEnd(4)}  ${pad(result, 6, 4)}  ${r.apdus.padStart(widths.apdus)}  ${r.ms.padStart(widths.ms)}`,
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
