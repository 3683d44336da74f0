import type { TimingStats } from '../src/stats.js';

/** One line of a benchmark table: count, median, p95 and minimum in milliseconds. */
export function formatSummary(label: string, s: TimingStats): string {
  const f = (v: number): string => v.toFixed(3).padStart(8);
  return `${label.padEnd(34)} n=${String(s.count).padStart(5)}  median ${f(s.median)} ms  p95 ${f(s.p95)} ms  min ${f(s.min)} ms`;
}
