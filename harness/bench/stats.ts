/** Order statistics over round-trip samples, in milliseconds. */
export interface Summary {
  readonly n: number;
  readonly median: number;
  readonly p95: number;
  readonly min: number;
  readonly mean: number;
}

export function summarise(samplesMs: readonly number[]): Summary {
  if (samplesMs.length === 0) throw new RangeError('no samples');
  const sorted = [...samplesMs].sort((a, b) => a - b);
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
  return {
    n: sorted.length,
    median: at(0.5),
    p95: at(0.95),
    min: sorted[0]!,
    mean: sorted.reduce((s, v) => s + v, 0) / sorted.length,
  };
}

export function formatSummary(label: string, s: Summary): string {
  const f = (v: number): string => v.toFixed(3).padStart(8);
  return `${label.padEnd(34)} n=${String(s.n).padStart(5)}  median ${f(s.median)} ms  p95 ${f(s.p95)} ms  min ${f(s.min)} ms`;
}
