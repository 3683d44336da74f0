/**
 * The compatibility report: one model of a matrix run (cases × cards, per-command timing per card, the
 * reader's round trip) from which the console table, JSON, JUnit XML and HTML are all rendered.
 */
import { timingStats, type TimingStats } from '../stats.js';
import type { ConformanceCase } from './cases.js';
import type { CardRun, CaseOutcome, Verdict } from './run-card.js';

export interface ReportCase {
  readonly id: string;
  readonly title: string;
  readonly requirement: string;
  readonly group: string;
}

export interface CommandTiming extends TimingStats {
  readonly command: string;
}

export interface ReportCard {
  readonly card: string;
  readonly profile: string;
  readonly persona?: string;
  readonly reader?: string;
  readonly status: 'tested' | 'untested';
  readonly atr: string;
  readonly wallMilliseconds: number;
  readonly error?: string;
  readonly outcomes: Readonly<Record<string, Omit<CaseOutcome, 'id'>>>;
  readonly totals: Readonly<Record<Verdict, number>>;
  readonly timing: readonly CommandTiming[];
  readonly roundTrip: TimingStats;
}

export interface CompatReport {
  readonly format: 'jpki-harness-compat';
  readonly version: 1;
  readonly startedAt: string;
  readonly finishedAt: string;
  readonly wallMilliseconds: number;
  /** Factor applied to the personas' operation times (1 = published figures). */
  readonly latencyScale: number;
  readonly cases: readonly ReportCase[];
  readonly cards: readonly ReportCard[];
  readonly totals: Readonly<Record<Verdict, number>>;
}

/** Commands in the order the charts show them: the user interface first. */
export const COMMAND_ORDER = [
  'SELECT (AID)',
  'SELECT (EF)',
  'READ BINARY',
  'VERIFY',
  'CHANGE REFERENCE DATA',
  'COMPUTE DIGITAL SIGNATURE',
  'GET CHALLENGE',
  'READ ATTESTATION',
  'INITIALIZE UPDATE',
  'EXTERNAL AUTHENTICATE',
  'GENERATE KEY PAIR',
  'PUT CONTENT',
  'INSTALL',
  'DELETE',
  'LOAD',
];

function countVerdicts(outcomes: Iterable<{ verdict: Verdict }>): Record<Verdict, number> {
  const totals: Record<Verdict, number> = { pass: 0, fail: 0, 'n/a': 0 };
  for (const o of outcomes) totals[o.verdict] += 1;
  return totals;
}

export function buildReport(cases: readonly ConformanceCase[], runs: readonly CardRun[], startedAt: Date, latencyScale: number): CompatReport {
  const finished = new Date();
  const cards = runs.map((run): ReportCard => {
    const outcomes: Record<string, Omit<CaseOutcome, 'id'>> = {};
    for (const { id, ...rest } of run.outcomes) outcomes[id] = rest;
    const commands = Object.keys(run.timings).sort((a, b) => rank(a) - rank(b));
    return {
      card: run.card,
      profile: run.profileFile,
      ...(run.persona !== undefined ? { persona: run.persona } : {}),
      ...(run.reader !== undefined ? { reader: run.reader } : {}),
      status: run.status,
      atr: run.atr,
      wallMilliseconds: run.wallMilliseconds,
      ...(run.error !== undefined ? { error: run.error } : {}),
      outcomes,
      totals: countVerdicts(run.outcomes),
      timing: commands.map((command) => ({ command, ...timingStats(run.timings[command] ?? []) })),
      roundTrip: timingStats(run.roundTrip),
    };
  });
  return {
    format: 'jpki-harness-compat',
    version: 1,
    startedAt: startedAt.toISOString(),
    finishedAt: finished.toISOString(),
    wallMilliseconds: finished.getTime() - startedAt.getTime(),
    latencyScale,
    cases: cases.map((c) => ({ id: c.id, title: c.title, requirement: c.requirement, group: c.group })),
    cards,
    totals: countVerdicts(runs.flatMap((r) => r.outcomes)),
  };
}

function rank(command: string): number {
  const i = COMMAND_ORDER.indexOf(command);
  return i < 0 ? COMMAND_ORDER.length : i;
}

/** 0 when no card failed a case, 1 otherwise. */
export function reportExitCode(report: CompatReport): number {
  return report.totals.fail > 0 ? 1 : 0;
}

export function renderJson(report: CompatReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}

const SYMBOL: Readonly<Record<Verdict, string>> = { pass: 'pass', fail: 'FAIL', 'n/a': 'n/a' };

function ms(n: number): string {
  return n >= 100 ? n.toFixed(0) : n >= 10 ? n.toFixed(1) : n.toFixed(2);
}

/** The matrix and the timing table as plain text for the console. */
export function renderConsole(report: CompatReport): string {
  const lines: string[] = [];
  const width = Math.max(...report.cases.map((c) => c.id.length), 4);
  const cols = report.cards.map((c) => Math.max(c.card.length, 4));
  lines.push(['case'.padEnd(width), ...report.cards.map((c, i) => c.card.padEnd(cols[i]!))].join('  '));
  for (const c of report.cases) {
    lines.push([c.id.padEnd(width), ...report.cards.map((card, i) => SYMBOL[card.outcomes[c.id]?.verdict ?? 'n/a'].padEnd(cols[i]!))].join('  '));
  }
  const notes: string[] = [];
  for (const card of report.cards) {
    for (const c of report.cases) {
      const o = card.outcomes[c.id];
      if (o !== undefined && o.verdict === 'fail') notes.push(`FAIL ${card.card} ${c.id}: ${o.detail ?? ''}`);
    }
  }
  if (notes.length > 0) lines.push('', ...notes);
  lines.push('', 'median / p95 ms per command (round trip: the reader alone)');
  const commands = COMMAND_ORDER.filter((cmd) => report.cards.some((c) => c.timing.some((t) => t.command === cmd)));
  const cw = Math.max(...commands.map((c) => c.length), 'round trip'.length);
  const cell = (t: { median: number; p95: number } | undefined): string => (t === undefined ? '-' : `${ms(t.median)}/${ms(t.p95)}`);
  const colw = report.cards.map((c) => Math.max(c.card.length, 12));
  lines.push(['command'.padEnd(cw), ...report.cards.map((c, i) => c.card.padEnd(colw[i]!))].join('  '));
  lines.push(['round trip'.padEnd(cw), ...report.cards.map((c, i) => cell(c.roundTrip).padEnd(colw[i]!))].join('  '));
  for (const cmd of commands) {
    lines.push([cmd.padEnd(cw), ...report.cards.map((c, i) => cell(c.timing.find((t) => t.command === cmd)).padEnd(colw[i]!))].join('  '));
  }
  lines.push('');
  lines.push(
    `${report.cards.length} cards × ${report.cases.length} cases: ` +
      `${report.totals.pass} passed, ${report.totals.fail} failed, ${report.totals['n/a']} not applicable` +
      ` in ${(report.wallMilliseconds / 1000).toFixed(1)} s` +
      ` (per card: ${report.cards.map((c) => `${c.card} ${(c.wallMilliseconds / 1000).toFixed(1)} s`).join(', ')})` +
      (report.latencyScale !== 1 ? `; persona operation times scaled by ${report.latencyScale}` : ''),
  );
  return lines.join('\n');
}
