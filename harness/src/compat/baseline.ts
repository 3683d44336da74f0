/**
 * Baselines: a saved compatibility report against which a later run is compared. A behaviour change is
 * any case whose verdict on a card differs (pass ↔ fail ↔ not applicable, or a case or card that
 * appeared or went). A timing regression is a command whose median on a card grew by more than the
 * threshold: by the ratio AND by the absolute margin, so that sub-millisecond jitter on fast commands
 * does not count (docs/compat.md).
 */
import { readFileSync } from 'node:fs';
import { UsageError } from '../errors.js';
import type { CompatReport } from './report.js';
import { DEFAULT_THRESHOLD, type Threshold } from './defaults.js';

export { DEFAULT_THRESHOLD, type Threshold };

export interface BaselineFinding {
  readonly kind: 'behaviour' | 'timing';
  readonly card: string;
  /** Case ID (behaviour) or command name (timing). */
  readonly subject: string;
  readonly before: string;
  readonly after: string;
}

export function loadBaseline(file: string): CompatReport {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new UsageError(`cannot read the baseline '${file}': ${(e as Error).message}`);
  }
  const report = parsed as Partial<CompatReport>;
  if (report.format !== 'jpki-harness-compat' || report.version !== 1)
    throw new UsageError(`'${file}' is not a compat report (format jpki-harness-compat, version 1)`);
  return report as CompatReport;
}

export function compareWithBaseline(baseline: CompatReport, current: CompatReport, threshold: Threshold = DEFAULT_THRESHOLD): BaselineFinding[] {
  const findings: BaselineFinding[] = [];
  for (const card of current.cards) {
    const before = baseline.cards.find((c) => c.card === card.card);
    if (before === undefined) {
      findings.push({ kind: 'behaviour', card: card.card, subject: '(card)', before: 'absent', after: 'present' });
      continue;
    }
    // Cases this run left out (a --case filter) are not changes; cases new since the baseline are.
    for (const id of Object.keys(card.outcomes)) {
      const was = before.outcomes[id]?.verdict ?? 'absent';
      const is = card.outcomes[id]?.verdict ?? 'absent';
      if (was !== is) findings.push({ kind: 'behaviour', card: card.card, subject: id, before: was, after: is });
    }
    for (const t of card.timing) {
      const old = before.timing.find((b) => b.command === t.command);
      if (old === undefined || old.count === 0) continue;
      if (t.median > old.median * threshold.ratio && t.median - old.median > threshold.milliseconds) {
        findings.push({
          kind: 'timing',
          card: card.card,
          subject: t.command,
          before: `${old.median.toFixed(2)} ms`,
          after: `${t.median.toFixed(2)} ms`,
        });
      }
    }
  }
  for (const card of baseline.cards) {
    if (!current.cards.some((c) => c.card === card.card))
      findings.push({ kind: 'behaviour', card: card.card, subject: '(card)', before: 'present', after: 'absent' });
  }
  return findings;
}

export function renderFindings(findings: readonly BaselineFinding[]): string {
  if (findings.length === 0) return 'baseline: no behaviour change, no timing regression';
  return findings
    .map((f) =>
      f.kind === 'behaviour'
        ? `baseline: behaviour ${f.card} ${f.subject}: ${f.before} → ${f.after}`
        : `baseline: slower ${f.card} ${f.subject}: median ${f.before} → ${f.after}`,
    )
    .join('\n');
}
