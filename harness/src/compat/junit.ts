/** The compatibility report as JUnit XML: one test suite per card, one test case per conformance case. */
import { escapeXml } from '../report/junit.js';
import type { CompatReport } from './report.js';

export function renderCompatJUnit(report: CompatReport): string {
  const out: string[] = ['<?xml version="1.0" encoding="UTF-8"?>'];
  out.push(
    `<testsuites name="jpki-harness compat" tests="${report.cases.length * report.cards.length}" failures="${report.totals.fail}" errors="0"` +
      ` skipped="${report.totals['n/a']}" time="${(report.wallMilliseconds / 1000).toFixed(3)}">`,
  );
  for (const card of report.cards) {
    out.push(
      `  <testsuite name="${escapeXml(card.card)}" tests="${report.cases.length}" failures="${card.totals.fail}" skipped="${card.totals['n/a']}"` +
        ` errors="0" time="${(card.wallMilliseconds / 1000).toFixed(3)}" timestamp="${report.startedAt.slice(0, 19)}">`,
    );
    for (const c of report.cases) {
      const o = card.outcomes[c.id];
      const time = ((o?.milliseconds ?? 0) / 1000).toFixed(3);
      const open = `    <testcase classname="${escapeXml(`${card.card}.${c.group}`)}" name="${escapeXml(`${c.id} ${c.title}`)}" time="${time}"`;
      if (o === undefined) out.push(`${open}><skipped message="not run"/></testcase>`);
      else if (o.verdict === 'pass') out.push(`${open}/>`);
      else if (o.verdict === 'n/a') out.push(`${open}><skipped message="${escapeXml(`not applicable: ${o.detail ?? ''}`)}"/></testcase>`);
      else
        out.push(
          `${open}><failure message="${escapeXml(o.detail ?? 'failed')}">${escapeXml(`${c.requirement}\n${o.detail ?? ''}`)}</failure></testcase>`,
        );
    }
    out.push('  </testsuite>');
  }
  out.push('</testsuites>', '');
  return out.join('\n');
}
