/**
 * What a run produces and what listens to it: the types the runner fills in and the reports read.
 * In a module of their own so that the runner and the reports depend on these types, not on each other.
 */
import type { HarnessError } from './errors.js';
import type { Scenario, Step } from './script/scenario.js';
import type { TimingStats } from './stats.js';
import type { TimedExchange } from './transport/wrappers.js';

/** One command/response pair of a step, timed around the transport call only (TimingTransport). */
export type Exchange = TimedExchange;

export interface StepResult {
  readonly step: Step;
  readonly exchanges: readonly Exchange[];
  /** Status word the expectations were checked against (the last one of a multi-APDU step). */
  readonly sw?: number;
  readonly data: Uint8Array;
  readonly passed: boolean;
  readonly failure?: string;
  /** Sum of the step's exchanges, in nanoseconds (0 for steps without APDUs). */
  readonly nanoseconds: number;
}

export interface RunResult {
  readonly scenario: Scenario;
  readonly transport: string;
  /** 1-based; warm-up iterations come first and are flagged. */
  readonly iteration: number;
  readonly warmup: boolean;
  readonly results: readonly StepResult[];
  readonly passed: number;
  readonly failed: number;
  /** Steps not run because the run stopped early. */
  readonly notRun: number;
  /** Set when the card, the link or a variable failed: the run ended there. */
  readonly aborted?: HarnessError;
}

/** Timing of one step (by its key) over the measured iterations, in milliseconds. */
export interface StepStats extends TimingStats {
  readonly key: string;
  readonly name: string;
  readonly scenario: string;
  /** Every measured sample, in run order, in milliseconds. */
  readonly samples: readonly number[];
  /** How many of the samples failed their expectations. */
  readonly failures: number;
}

/** Everything the reports are built from, in the order it happens. */
export interface RunListener {
  suiteStart?(info: SuiteInfo): void;
  scenarioStart?(scenario: Scenario, iteration: number, warmup: boolean): void;
  stepStart?(scenario: Scenario, step: Step, index: number): void;
  step?(run: { scenario: Scenario; iteration: number; warmup: boolean }, result: StepResult): void;
  scenarioEnd?(run: RunResult): void;
  suiteEnd?(result: SuiteResult): void;
}

export interface SuiteInfo {
  readonly transport: string;
  readonly atr: Uint8Array;
  readonly scenarios: readonly Scenario[];
  readonly repeat: number;
  readonly warmup: number;
  readonly startedAt: Date;
}

export interface SuiteResult {
  readonly runs: readonly RunResult[];
  /** Per step key, over measured iterations, in first-seen order. */
  readonly stats: readonly StepStats[];
  readonly passed: number;
  readonly failed: number;
  readonly notRun: number;
  readonly aborted?: HarnessError;
  /** 0 passed, 1 expectations failed, else the abort's exit code (2 script, 3 reader or card). */
  readonly exitCode: number;
}
