import { toHex } from '../apdu/hex.js';
import { formatSw } from '../apdu/response.js';
import type { RunListener, RunResult, StepResult, SuiteInfo, SuiteResult } from '../results.js';
import type { Scenario } from '../script/scenario.js';
import { redactCommand, redactResponse, redactText } from '../apdu/redact.js';

export { redactText };
import { timingStats } from '../stats.js';

/**
 * The report of a run as data: what the JSON report is (docs/report-schema.json), and what the
 * JUnit XML and HTML reports are rendered from. Valid at every moment of a run, so a partial
 * report written before a crash is a complete document with `status: "running"`.
 */
export interface Report {
  readonly format: 'jpki-harness-report';
  readonly version: 1;
  status: 'running' | 'passed' | 'failed' | 'aborted' | 'interrupted';
  readonly startedAt: string;
  updatedAt: string;
  finishedAt?: string;
  readonly transport: string;
  readonly atr: string;
  readonly repeat: number;
  readonly warmup: number;
  readonly secretsShown: boolean;
  readonly totals: { passed: number; failed: number; notRun: number; apdus: number };
  exitCode?: number;
  aborted?: string;
  readonly scenarios: ReportScenario[];
  stats: ReportStepStats[];
}

export interface ReportScenario {
  readonly name: string;
  readonly file: string;
  readonly description?: string;
  readonly tags: readonly string[];
  /** Steps in one iteration. */
  readonly steps: number;
  readonly runs: ReportRun[];
}

export interface ReportRun {
  readonly iteration: number;
  readonly warmup: boolean;
  complete: boolean;
  passed: number;
  failed: number;
  notRun: number;
  aborted?: string;
  readonly steps: ReportStep[];
}

export interface ReportStep {
  readonly name: string;
  readonly key: string;
  readonly line: number;
  readonly passed: boolean;
  readonly sw?: string;
  readonly failure?: string;
  readonly milliseconds: number;
  readonly apdus: number;
  readonly secret: boolean;
  readonly exchanges?: readonly ReportExchange[];
}

export interface ReportExchange {
  readonly command: string;
  readonly response: string;
  readonly milliseconds: number;
}

export interface ReportStepStats {
  readonly key: string;
  readonly scenario: string;
  readonly name: string;
  readonly count: number;
  readonly failures: number;
  readonly min: number;
  readonly median: number;
  readonly p95: number;
  readonly max: number;
  readonly mean: number;
  readonly samples: readonly number[];
}

export interface ReportOptions {
  /** Show secret command bodies and response data (default: hidden). */
  readonly showSecrets?: boolean;
  /** Include every exchange in hex (default true). */
  readonly apdus?: boolean;
}

/** Hides what a secret step carries in a report exchange: the command body and the response data (apdu/redact.ts). */
export function redactExchange(command: Uint8Array, response: Uint8Array): ReportExchange & { milliseconds: 0 } {
  return { command: redactCommand(command), response: redactResponse(response), milliseconds: 0 };
}

/** Builds a Report from run events; `report` is always a valid snapshot. */
export class ReportBuilder implements RunListener {
  report: Report;
  private readonly samples = new Map<string, { scenario: string; name: string; samples: number[]; failures: number }>();
  private current: { scenario: ReportScenario; run: ReportRun } | undefined;

  constructor(private readonly options: ReportOptions = {}) {
    this.report = ReportBuilder.empty(options);
  }

  private static empty(options: ReportOptions): Report {
    const now = new Date().toISOString();
    return {
      format: 'jpki-harness-report',
      version: 1,
      status: 'running',
      startedAt: now,
      updatedAt: now,
      transport: '',
      atr: '',
      repeat: 1,
      warmup: 0,
      secretsShown: options.showSecrets ?? false,
      totals: { passed: 0, failed: 0, notRun: 0, apdus: 0 },
      scenarios: [],
      stats: [],
    };
  }

  suiteStart(info: SuiteInfo): void {
    this.report = {
      ...ReportBuilder.empty(this.options),
      startedAt: info.startedAt.toISOString(),
      transport: info.transport,
      atr: toHex(info.atr),
      repeat: info.repeat,
      warmup: info.warmup,
      scenarios: info.scenarios.map((s) => ({
        name: s.name,
        file: s.file,
        ...(s.description !== undefined ? { description: s.description } : {}),
        tags: s.tags,
        steps: s.steps.length,
        runs: [],
      })),
    };
    this.report.totals.notRun = info.scenarios.reduce((n, s) => n + s.steps.length * info.repeat, 0);
  }

  private scenarioEntry(scenario: Scenario): ReportScenario {
    let entry = this.report.scenarios.find((s) => s.file === scenario.file && s.name === scenario.name);
    if (!entry) {
      entry = { name: scenario.name, file: scenario.file, tags: scenario.tags, steps: scenario.steps.length, runs: [] };
      this.report.scenarios.push(entry);
    }
    return entry;
  }

  scenarioStart(scenario: Scenario, iteration: number, warmup: boolean): void {
    const entry = this.scenarioEntry(scenario);
    const run: ReportRun = { iteration, warmup, complete: false, passed: 0, failed: 0, notRun: scenario.steps.length, steps: [] };
    entry.runs.push(run);
    this.current = { scenario: entry, run };
  }

  step(run: { scenario: Scenario; iteration: number; warmup: boolean }, result: StepResult): void {
    if (!this.current) this.scenarioStart(run.scenario, run.iteration, run.warmup);
    const current = this.current!;
    const hide = result.step.secret && !this.options.showSecrets;
    const milliseconds = result.nanoseconds / 1e6;
    const failure = result.failure === undefined ? undefined : hide ? redactText(result.failure) : result.failure;
    const step: ReportStep = {
      name: result.step.name,
      key: result.step.key,
      line: result.step.position.line,
      passed: result.passed,
      ...(result.sw !== undefined ? { sw: formatSw(result.sw) } : {}),
      ...(failure !== undefined ? { failure } : {}),
      milliseconds,
      apdus: result.exchanges.length,
      secret: result.step.secret,
      ...(this.options.apdus === false
        ? {}
        : {
            exchanges: result.exchanges.map((e) =>
              hide
                ? { ...redactExchange(e.command, e.response), milliseconds: e.nanoseconds / 1e6 }
                : { command: toHex(e.command), response: toHex(e.response), milliseconds: e.nanoseconds / 1e6 },
            ),
          }),
    };
    current.run.steps.push(step);
    current.run.notRun--;
    if (result.passed) current.run.passed++;
    else current.run.failed++;
    this.report.totals.apdus += result.exchanges.length;
    if (!run.warmup) {
      if (result.passed) this.report.totals.passed++;
      else this.report.totals.failed++;
      this.report.totals.notRun = Math.max(0, this.report.totals.notRun - 1);
      if (result.exchanges.length > 0) {
        let s = this.samples.get(result.step.key);
        if (!s) this.samples.set(result.step.key, (s = { scenario: run.scenario.name, name: result.step.name, samples: [], failures: 0 }));
        s.samples.push(milliseconds);
        if (!result.passed) s.failures++;
      }
    } else if (!result.passed) {
      this.report.totals.failed++;
    }
  }

  scenarioEnd(run: RunResult): void {
    if (this.current) {
      this.current.run.complete = true;
      if (run.aborted) this.current.run.aborted = run.aborted.message;
    }
    this.current = undefined;
  }

  suiteEnd(result: SuiteResult): void {
    if (this.report.status === 'interrupted') return;
    this.report.status = result.aborted ? 'aborted' : result.exitCode === 0 ? 'passed' : 'failed';
    this.report.exitCode = result.exitCode;
    if (result.aborted) this.report.aborted = result.aborted.message;
    this.report.finishedAt = new Date().toISOString();
  }

  /** Ends a run that was stopped from outside (a signal, an error outside the runner). */
  interrupt(reason: string, exitCode: number): void {
    if (this.report.finishedAt) return;
    this.report.status = 'interrupted';
    this.report.aborted = reason;
    this.report.exitCode = exitCode;
    this.report.finishedAt = new Date().toISOString();
  }

  /** The current report with fresh statistics and timestamp. */
  snapshot(): Report {
    this.report.updatedAt = new Date().toISOString();
    this.report.stats = [...this.samples.entries()].map(([key, s]) => {
      const t = timingStats(s.samples);
      return {
        key,
        scenario: s.scenario,
        name: s.name,
        count: t.count,
        failures: s.failures,
        min: t.min,
        median: t.median,
        p95: t.p95,
        max: t.max,
        mean: t.mean,
        samples: s.samples,
      };
    });
    return this.report;
  }
}
