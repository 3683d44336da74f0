/**
 * The overview that opens the HTML report of `jpki-harness run`, as the compatibility report opens with
 * its matrix: which step passed in which run (step × run), then one chart per command comparing the
 * scenarios that sent it (median bar, p95 whisker), before the per-step run series below.
 */
import { commandName } from '../apdu/command-name.js';
import { commandChart } from './command-chart.js';
import { parseHex } from '../apdu/hex.js';
import { escapeXml } from './junit.js';
import type { Report } from './model.js';
import { timingStats } from '../stats.js';

const esc = escapeXml;
/** More measured runs than this and the matrix shows counts instead of one column per run. */
const MAX_RUN_COLUMNS = 20;

const STYLE = [
  '<style>',
  'table.matrix td.v{text-align:center;min-width:1.8em;font-size:12px}',
  'td.v.ok{background:#d7f0dc;color:#17702b}td.v.ko{background:#f8d3cf;color:#b3261e;font-weight:bold}td.v.none{background:#eee;color:#666}',
  '.cmp .grid{stroke:#e4e4e4}.cmp .median{fill:#7aa5e8}.cmp .whisker{stroke:#22447a;stroke-width:1.5}' +
    '.cmp text{font:11px sans-serif;fill:#444}.cmp .title{font-weight:bold}',
  '</style>',
].join('\n');

function matrix(report: Report): string {
  const out: string[] = [];
  for (const scenario of report.scenarios) {
    const runs = scenario.runs.filter((r) => !r.warmup);
    if (runs.length === 0) continue;
    const names = new Map<string, string>();
    for (const run of runs) for (const step of run.steps) if (!names.has(step.key)) names.set(step.key, step.name);
    const perRun = runs.length <= MAX_RUN_COLUMNS;
    out.push(`<h3>${esc(scenario.name)} <small>${esc(scenario.file)}</small></h3><table class="matrix"><tr><th>step</th>`);
    out.push(perRun ? runs.map((r) => `<th>${r.iteration}</th>`).join('') : '<th>passed</th>');
    out.push('</tr>');
    for (const [key, name] of names) {
      out.push(`<tr><td>${esc(name)}</td>`);
      if (perRun) {
        for (const run of runs) {
          const copies = run.steps.filter((s) => s.key === key);
          const failure = copies.find((s) => !s.passed);
          out.push(
            copies.length === 0
              ? '<td class="v none">–</td>'
              : failure
                ? `<td class="v ko" title="${esc(failure.failure ?? '')}">✗</td>`
                : '<td class="v ok">✓</td>',
          );
        }
      } else {
        const copies = runs.flatMap((r) => r.steps.filter((s) => s.key === key));
        const passed = copies.filter((s) => s.passed).length;
        out.push(`<td class="v ${passed === copies.length ? 'ok' : 'ko'}">${passed}/${copies.length}</td>`);
      }
      out.push('</tr>');
    }
    out.push('</table>');
  }
  return out.join('');
}

/** Per command (named from the APDU header), per scenario: the exchange times of the measured runs. */
function commandCharts(report: Report): string {
  const byCommand = new Map<string, Map<string, number[]>>();
  for (const scenario of report.scenarios) {
    for (const run of scenario.runs) {
      if (run.warmup) continue;
      for (const step of run.steps) {
        for (const x of step.exchanges ?? []) {
          let name: string | undefined;
          try {
            name = commandName(parseHex(x.command.replace(/\*/g, '0').slice(0, 8)));
          } catch {
            name = undefined;
          }
          if (name === undefined) continue;
          const rows = byCommand.get(name) ?? new Map<string, number[]>();
          const list = rows.get(scenario.name) ?? [];
          list.push(x.milliseconds);
          rows.set(scenario.name, list);
          byCommand.set(name, rows);
        }
      }
    }
  }
  if (byCommand.size === 0) return '<p>No exchanges in this report (--no-report-apdus): see the per-step timing below.</p>';
  const out: string[] = [];
  for (const [command, rows] of byCommand) {
    out.push(
      `<div>${commandChart(
        command,
        [...rows].map(([card, samples]) => ({ card, stats: timingStats(samples) })),
        760,
        'cmp chart-overview',
      )}</div>`,
    );
  }
  return out.join('');
}

export function runOverviewHtml(report: Report): string {
  return (
    STYLE +
    '<h2>Overview: steps × runs</h2>' +
    matrix(report) +
    '<h2>Per-command timing (ms)</h2><p>Bar: median; whisker: p95; per scenario, over the measured runs.</p>' +
    commandCharts(report)
  );
}
