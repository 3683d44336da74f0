import type { Report, ReportStepStats } from './model.js';
import { escapeXml } from './junit.js';
import { runOverviewHtml } from './overview.js';

const esc = escapeXml;
const ms = (v: number): string => v.toFixed(3);

/** An inline SVG of one step's samples in run order, with lines at the median and p95. */
export function timingChart(stats: ReportStepStats, width = 560, height = 140): string {
  const pad = { left: 56, right: 10, top: 10, bottom: 22 };
  const w = width - pad.left - pad.right;
  const h = height - pad.top - pad.bottom;
  const max = Math.max(stats.max, 1e-6) * 1.1;
  const n = stats.samples.length;
  const x = (i: number): number => pad.left + (n <= 1 ? w / 2 : (i / (n - 1)) * w);
  const y = (v: number): number => pad.top + h - (v / max) * h;
  const points = stats.samples.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
  const dots = n <= 200 ? stats.samples.map((v, i) => `<circle cx="${x(i).toFixed(1)}" cy="${y(v).toFixed(1)}" r="2"/>`).join('') : '';
  // median labelled at the right end, p95 at the left, so close values do not overprint
  const hline = (v: number, cls: string, label: string, right: boolean): string =>
    `<line class="${cls}" x1="${pad.left}" x2="${pad.left + w}" y1="${y(v).toFixed(1)}" y2="${y(v).toFixed(1)}"/>` +
    `<text class="${cls}" x="${right ? pad.left + w - 2 : pad.left + 2}" y="${(y(v) - 3).toFixed(1)}" text-anchor="${right ? 'end' : 'start'}">` +
    `${label} ${ms(v)} ms</text>`;
  return (
    `<svg class="chart" role="img" aria-label="${esc(`timing of ${stats.name}`)}" viewBox="0 0 ${width} ${height}" width="${width}" ` +
    `height="${height}" xmlns="http://www.w3.org/2000/svg">` +
    `<rect x="${pad.left}" y="${pad.top}" width="${w}" height="${h}" class="frame"/>` +
    `<text x="${pad.left - 4}" y="${pad.top + 8}" text-anchor="end">${ms(max)} ms</text>` +
    `<text x="${pad.left - 4}" y="${pad.top + h}" text-anchor="end">0 ms</text>` +
    `<text x="${pad.left}" y="${height - 6}">run 1</text><text x="${pad.left + w}" y="${height - 6}" text-anchor="end">run ${n}</text>` +
    hline(stats.median, 'median', 'median', true) +
    hline(stats.p95, 'p95', 'p95', false) +
    (n > 1 ? `<polyline class="samples" points="${points}"/>` : '') +
    `<g class="dots">${dots}</g></svg>`
  );
}

const STYLE = `
body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}
h1{font-size:1.4em}h2{font-size:1.15em;margin-top:2em}h3{font-size:1em;margin:1.2em 0 .3em}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:2px 8px;text-align:left}
td.n{text-align:right;font-variant-numeric:tabular-nums}
.pass{color:#17702b}.fail{color:#b3261e;font-weight:bold}.status{padding:2px 8px;border-radius:4px;color:#fff}
.status.passed{background:#17702b}.status.failed,.status.aborted,.status.interrupted{background:#b3261e}.status.running{background:#a66b00}
.chart text{font:10px sans-serif;fill:#555}.chart .frame{fill:#fafafa;stroke:#ddd}
.chart .samples{fill:none;stroke:#3367d6;stroke-width:1}.chart .dots circle{fill:#3367d6}
.chart line.median{stroke:#17702b;stroke-dasharray:4 2}.chart line.p95{stroke:#b3261e;stroke-dasharray:2 2}
.chart text.median{fill:#17702b}.chart text.p95{fill:#b3261e}
code{font-size:12px}`;

/** One self-contained HTML file: summary, per-step statistics with a chart each, every run's steps. */
export function renderHtml(report: Report): string {
  const parts: string[] = [];
  parts.push(`<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>jpki-harness report</title><style>${STYLE}</style></head><body>`);
  parts.push(`<h1>jpki-harness report <span class="status ${report.status}">${report.status}</span></h1>`);
  parts.push(
    `<table><tr><th>transport</th><td>${esc(report.transport)}</td></tr><tr><th>ATR</th><td><code>${report.atr}</code></td></tr>` +
      `<tr><th>started</th><td>${report.startedAt}</td></tr><tr><th>${report.finishedAt ? 'finished' : 'updated'}</th><td>` +
      `${report.finishedAt ?? report.updatedAt}</td></tr>` +
      `<tr><th>iterations</th><td>${report.repeat} measured after ${report.warmup} warm-up</td></tr>` +
      `<tr><th>steps</th><td>${report.totals.passed} passed, ${report.totals.failed} failed, ${report.totals.notRun} not run; ` +
      `${report.totals.apdus} APDUs</td></tr>` +
      (report.aborted ? `<tr><th>aborted</th><td class="fail">${esc(report.aborted)}</td></tr>` : '') +
      `</table>`,
  );
  parts.push(runOverviewHtml(report));
  parts.push(`<details><summary><h2 style="display:inline">Timing per step (ms)</h2></summary>`);
  if (report.stats.length === 0) parts.push('<p>No measured APDU steps yet.</p>');
  for (const s of report.stats) {
    parts.push(
      `<h3>${esc(s.name)} <small>— ${esc(s.scenario)}</small></h3>` +
        `<table><tr><th>count</th><th>min</th><th>median</th><th>p95</th><th>max</th><th>mean</th><th>failures</th></tr>` +
        `<tr><td class="n">${s.count}</td><td class="n">${ms(s.min)}</td><td class="n">${ms(s.median)}</td><td class="n">${ms(s.p95)}</td><td ` +
        `class="n">${ms(s.max)}</td><td class="n">${ms(s.mean)}</td><td class="n">${s.failures}</td></tr></table>` +
        timingChart(s),
    );
  }
  parts.push('</details>', `<details><summary><h2 style="display:inline">Runs</h2></summary>`);
  for (const scenario of report.scenarios) {
    for (const run of scenario.runs) {
      parts.push(
        `<h3>${esc(scenario.name)} — ${run.warmup ? 'warm-up' : 'run'} ${run.iteration}${run.complete ? '' : ' (incomplete)'} <small>` +
          `${esc(scenario.file)}</small></h3>`,
      );
      parts.push(`<table><tr><th>#</th><th>step</th><th>SW</th><th>result</th><th>APDUs</th><th>ms</th></tr>`);
      run.steps.forEach((step, i) => {
        parts.push(
          `<tr><td class="n">${i + 1}</td><td>${esc(step.name)}${step.failure ? `<br><span class="fail">${esc(step.failure)}</span>` : ''}</td>` +
            `<td><code>${step.sw ?? '—'}</code></td>` +
            `<td class="${step.passed ? 'pass' : 'fail'}">${step.passed ? 'pass' : 'FAIL'}</td><td class="n">${step.apdus}</td><td class="n">` +
            `${ms(step.milliseconds)}</td></tr>`,
        );
      });
      if (run.notRun > 0) parts.push(`<tr><td></td><td colspan="5">${run.notRun} steps not run</td></tr>`);
      parts.push('</table>');
    }
  }
  parts.push('</details></body></html>\n');
  return parts.join('\n');
}
