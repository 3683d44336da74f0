/** Order statistics over timing samples (any unit; the harness uses milliseconds). */
export interface TimingStats {
  readonly count: number;
  readonly min: number;
  readonly median: number;
  readonly p95: number;
  readonly max: number;
  readonly mean: number;
}

/** Nearest-rank quantile of sorted samples. */
function rank(sorted: Float64Array, q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

/** Nearest-rank quantile (0 < q ≤ 1) of unsorted samples; 0 for none. */
export function quantile(samples: readonly number[], q: number): number {
  if (samples.length === 0) return 0;
  return rank(Float64Array.from(samples).sort(), q);
}

export function timingStats(samples: readonly number[]): TimingStats {
  if (samples.length === 0) return { count: 0, min: 0, median: 0, p95: 0, max: 0, mean: 0 };
  const sorted = Float64Array.from(samples).sort(); // typed arrays sort numerically, and fast
  let sum = 0;
  for (let i = 0; i < sorted.length; i++) sum += sorted[i]!;
  return {
    count: sorted.length,
    min: sorted[0]!,
    median: rank(sorted, 0.5),
    p95: rank(sorted, 0.95),
    max: sorted[sorted.length - 1]!,
    mean: sum / sorted.length,
  };
}
