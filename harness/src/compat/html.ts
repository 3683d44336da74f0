/**
 * The compatibility report as one self-contained HTML file (no scripts, no external files), for people
 * who compare cards: it opens with the matrix (case × card), then one chart per command comparing the
 * cards (median bar, p95 whisker, the reader's round trip marked), and folds the details below.
 */
import { commandChart, ms } from '../report/command-chart.js';
import { escapeXml } from '../report/junit.js';
import { COMMAND_ORDER, type CompatReport, type ReportCard } from './report.js';

const esc = escapeXml;

const STYLE = `
body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}
h1{font-size:1.4em}h2{font-size:1.15em;margin-top:1.6em}
table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:2px 6px;text-align:left;vertical-align:top}
table.matrix th.card{writing-mode:vertical-rl;transform:rotate(180deg);white-space:nowrap;font-weight:normal}
table.matrix td.v{text-align:center;min-width:2.2em;font-size:12px}
td.pass{background:#d7f0dc;color:#17702b}td.fail{background:#f8d3cf;color:#b3261e;font-weight:bold}td.na{background:#eee;color:#666}
td.n{text-align:right;font-variant-numeric:tabular-nums}
.legend span{display:inline-block;padding:0 6px;margin-right:8px}
.chart text{font:11px sans-serif;fill:#444}.chart .title{font-weight:bold;fill:#222}
.chart .grid{stroke:#e4e4e4}.chart .median{fill:#7aa5e8}.chart .whisker{stroke:#22447a;stroke-width:1.5}
.chart .rtt{stroke:#d02020;stroke-width:2}
details{margin:.4em 0}summary{cursor:pointer}
code{font-size:12px}.small{font-size:12px;color:#555}`;

const CELL: Readonly<Record<string, [string, string]>> = { pass: ['pass', '✓'], fail: ['fail', '✗'], 'n/a': ['na', 'n/a'] };

function matrix(report: CompatReport): string {
  const out: string[] = ['<table class="matrix"><tr><th>case</th><th>title</th>'];
  for (const c of report.cards) out.push(`<th class="card">${esc(c.card)}${c.status === 'untested' ? ' (untested)' : ''}</th>`);
  out.push('</tr>');
  for (const k of report.cases) {
    out.push(`<tr><td><code>${esc(k.id)}</code></td><td title="${esc(k.requirement)}">${esc(k.title)}</td>`);
    for (const card of report.cards) {
      const o = card.outcomes[k.id];
      const [cls, text] = CELL[o?.verdict ?? 'n/a']!;
      out.push(`<td class="v ${cls}" title="${esc(o?.detail ?? '')}">${text}</td>`);
    }
    out.push('</tr>');
  }
  out.push('<tr><th colspan="2">passed / failed / not applicable</th>');
  for (const c of report.cards) out.push(`<td class="v small">${c.totals.pass}/${c.totals.fail}/${c.totals['n/a']}</td>`);
  out.push('</tr></table>');
  return out.join('');
}

function differences(report: CompatReport): string {
  const rows: string[] = [];
  for (const card of report.cards) {
    for (const k of report.cases) {
      const o = card.outcomes[k.id];
      if (o === undefined || o.verdict === 'pass') continue;
      rows.push(
        `<tr><td>${esc(card.card)}</td><td><code>${esc(k.id)}</code></td>` +
          `<td class="${o.verdict === 'fail' ? 'fail' : 'na'}">${o.verdict}</td><td>${esc(o.detail ?? '')}</td></tr>`,
      );
    }
  }
  if (rows.length === 0) return '<p>Every card passed every case.</p>';
  return `<table><tr><th>card</th><th>case</th><th>result</th><th>observed difference / reason</th></tr>${rows.join('')}</table>`;
}

function cardDetails(report: CompatReport, card: ReportCard): string {
  const out: string[] = [
    `<details><summary>${esc(card.card)}: ${card.totals.pass} passed, ${card.totals.fail} failed, ` +
      `${card.totals['n/a']} not applicable, ${(card.wallMilliseconds / 1000).toFixed(1)} s</summary>`,
  ];
  out.push(
    `<table><tr><th>profile</th><td><code>${esc(card.profile)}</code></td></tr>` +
      (card.persona ? `<tr><th>persona</th><td><code>${esc(card.persona)}</code></td></tr>` : '') +
      (card.reader ? `<tr><th>reader</th><td>${esc(card.reader)}</td></tr>` : '') +
      `<tr><th>ATR</th><td><code>${esc(card.atr)}</code></td></tr><tr><th>profile status</th><td>${card.status}</td></tr>` +
      (card.error ? `<tr><th>error</th><td class="fail">${esc(card.error)}</td></tr>` : '') +
      '</table>',
  );
  out.push('<table><tr><th>command</th><th>count</th><th>min</th><th>median</th><th>p95</th><th>max</th></tr>');
  out.push(
    `<tr><td>reader round trip</td><td class="n">${card.roundTrip.count}</td><td class="n">${ms(card.roundTrip.min)}</td>` +
      `<td class="n">${ms(card.roundTrip.median)}</td><td class="n">${ms(card.roundTrip.p95)}</td><td class="n">${ms(card.roundTrip.max)}</td></tr>`,
  );
  for (const t of card.timing) {
    out.push(
      `<tr><td>${esc(t.command)}</td><td class="n">${t.count}</td><td class="n">${ms(t.min)}</td>` +
        `<td class="n">${ms(t.median)}</td><td class="n">${ms(t.p95)}</td><td class="n">${ms(t.max)}</td></tr>`,
    );
  }
  out.push('</table><table><tr><th>case</th><th>result</th><th>ms</th><th>detail</th></tr>');
  for (const k of report.cases) {
    const o = card.outcomes[k.id];
    if (o === undefined) continue;
    out.push(
      `<tr><td><code>${esc(k.id)}</code></td><td class="${CELL[o.verdict]![0]}">${o.verdict}</td>` +
        `<td class="n">${o.milliseconds.toFixed(0)}</td><td>${esc(o.detail ?? '')}</td></tr>`,
    );
  }
  out.push('</table></details>');
  return out.join('');
}

export function renderCompatHtml(report: CompatReport): string {
  const parts: string[] = [];
  parts.push(
    '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>jpki-harness compatibility matrix</title>' +
      `<style>${STYLE}</style></head><body>`,
  );
  parts.push(`<h1>JPKI applet compatibility: ${report.cards.length} cards × ${report.cases.length} cases</h1>`);
  parts.push(
    `<p>${report.totals.pass} passed, <span class="${report.totals.fail ? 'fail' : ''}">${report.totals.fail} failed</span>, ` +
      `${report.totals['n/a']} not applicable; ` +
      `${(report.wallMilliseconds / 1000).toFixed(1)} s, started ${esc(report.startedAt)}` +
      (report.latencyScale !== 1 ? `; the personas' published operation times are scaled by ${report.latencyScale}` : '') +
      '.</p>',
  );
  parts.push(
    '<p class="legend"><span class="pass">✓ pass</span><span class="fail">✗ fail (hover: the observed difference)</span>' +
      '<span class="na">n/a not applicable (hover: why)</span></p>',
  );
  parts.push(matrix(report));
  parts.push(
    '<h2>Per-command timing</h2><p class="small">Bar: median; whisker: p95; red mark: the reader round trip on that card' +
      ' (a command answered without running an application).' +
      ' Milliseconds, as the harness sees each command (GET RESPONSE rounds included).</p>',
  );
  const commands = COMMAND_ORDER.filter((cmd) => report.cards.some((c) => c.timing.some((t) => t.command === cmd && t.count > 0)));
  for (const command of commands) {
    const rows = report.cards.flatMap((c) => {
      const stats = c.timing.find((t) => t.command === command);
      return stats !== undefined && stats.count > 0 ? [{ card: c.card, stats, roundTrip: c.roundTrip.median }] : [];
    });
    parts.push(`<div>${commandChart(command, rows)}</div>`);
  }
  parts.push('<h2>Differences</h2>', differences(report));
  parts.push('<h2>Details</h2>');
  for (const card of report.cards) parts.push(cardDetails(report, card));
  parts.push(
    '<details><summary>Cases and the requirements they check</summary><table><tr><th>case</th><th>group</th><th>title</th><th>requirement</th></tr>',
  );
  for (const k of report.cases)
    parts.push(`<tr><td><code>${esc(k.id)}</code></td><td>${esc(k.group)}</td><td>${esc(k.title)}</td><td>${esc(k.requirement)}</td></tr>`);
  parts.push('</table></details></body></html>\n');
  return parts.join('');
}
