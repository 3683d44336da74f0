/**
 * The compatibility matrix's defaults, apart from the modules that run it: the CLI shows them in
 * `compat --help` without loading the suite, the personas or the report renderers.
 */
import { availableParallelism } from 'node:os';

export interface Threshold {
  /** Median may grow to baseline × ratio (default 1.5). */
  readonly ratio: number;
  /** … and by at most this many milliseconds (default 2). */
  readonly milliseconds: number;
}

export const DEFAULT_THRESHOLD: Threshold = { ratio: 1.5, milliseconds: 2 };

/** Cards tested at once: half the cores (each simulated card is a JVM), at most four. */
export function defaultJobs(): number {
  return Math.max(1, Math.min(4, Math.floor(availableParallelism() / 2)));
}
