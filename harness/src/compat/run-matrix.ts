/**
 * The whole matrix: the suite on every card, several cards at a time (each persona on its own simulator
 * over the direct link, each reader on its own connection), with a progress line per card.
 */
import { readdirSync } from 'node:fs';
import path from 'node:path';
import type { ConformanceCase } from './cases.js';
import { defaultJobs } from './defaults.js';
import { buildReport, type CompatReport } from './report.js';
import { runCard, type CardRun, type CaseOutcome, type RunCardOptions } from './run-card.js';
import { loadTarget, type CompatTarget } from './target.js';

export interface MatrixOptions extends Omit<RunCardOptions, 'onCase' | 'onOutcome'> {
  /** Cards run at the same time (default: half the cores, at least 1, at most 4). */
  readonly jobs?: number;
  readonly onCase?: RunCardOptions['onCase'];
  readonly onOutcome?: (card: string, outcome: CaseOutcome) => void;
  readonly onCardDone?: (run: CardRun) => void;
}

/** Profiles in a directory that name a simulated persona (compat.persona), sorted by file name. */
export function personaTargets(directory: string): CompatTarget[] {
  return readdirSync(directory)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .flatMap((f) => {
      const file = path.join(directory, f);
      try {
        return [loadTarget(file)];
      } catch {
        return []; // a real-card profile (no persona): run it with -r READER=PROFILE
      }
    });
}

export { defaultJobs };

export async function runMatrix(
  targets: readonly CompatTarget[],
  cases: readonly ConformanceCase[],
  options: MatrixOptions = {},
): Promise<CompatReport> {
  const startedAt = new Date();
  const jobs = Math.max(1, options.jobs ?? defaultJobs());
  const runs: (CardRun | undefined)[] = targets.map(() => undefined);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < targets.length) {
      const index = next++;
      const run = await runCard(targets[index]!, cases, {
        ...options,
        ...(options.onCase ? { onCase: options.onCase } : {}),
        ...(options.onOutcome ? { onOutcome: options.onOutcome } : {}),
      });
      runs[index] = run;
      options.onCardDone?.(run);
    }
  };
  await Promise.all(Array.from({ length: Math.min(jobs, targets.length) }, () => worker()));
  return buildReport(
    cases,
    runs.filter((r): r is CardRun => r !== undefined),
    startedAt,
    options.latencyScale ?? 1,
  );
}

/** A progress display on a terminal: one line per card, rewritten in place. */
export class MatrixProgress {
  private readonly lines = new Map<string, string>();
  private drawn = 0;
  constructor(
    private readonly stream: NodeJS.WriteStream,
    cards: readonly string[],
  ) {
    for (const c of cards) this.lines.set(c, 'waiting');
  }

  update(card: string, text: string): void {
    this.lines.set(card, text);
    this.draw();
  }

  private draw(): void {
    if (this.drawn > 0) this.stream.write(`\x1b[${this.drawn}A`);
    const width = Math.max(...[...this.lines.keys()].map((k) => k.length));
    for (const [card, text] of this.lines) this.stream.write(`\x1b[2K${card.padEnd(width)}  ${text}\n`);
    this.drawn = this.lines.size;
  }
}
