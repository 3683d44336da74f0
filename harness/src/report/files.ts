import { renameSync, writeFileSync } from 'node:fs';
import type { RunListener, RunResult, StepResult, SuiteInfo, SuiteResult } from '../results.js';
import type { Scenario } from '../script/scenario.js';
import { renderHtml } from './html.js';
import { renderJUnit } from './junit.js';
import { ReportBuilder, type Report, type ReportOptions } from './model.js';

export interface ReportFileOptions extends ReportOptions {
  readonly json?: string;
  readonly junit?: string;
  readonly html?: string;
  /** Least time between rewrites while steps run (default 250 ms); scenario and run ends always write. */
  readonly intervalMs?: number;
}

export function renderJson(report: Report): string {
  return JSON.stringify(report, null, 2) + '\n';
}

/** Replaces a file in one step (write aside, rename), so a reader never sees half a report. */
export function writeAtomically(file: string, content: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, content);
  renameSync(tmp, file);
}

/**
 * Keeps the JSON, JUnit XML and HTML reports on disk up to date while the run goes on: each
 * rewrite is a whole, valid document, so a crash or a pulled card leaves a partial report
 * (status "running" or "aborted") rather than a broken file.
 */
export class ReportFiles implements RunListener {
  readonly builder: ReportBuilder;
  private lastWrite = 0;

  constructor(private readonly options: ReportFileOptions) {
    this.builder = new ReportBuilder(options);
  }

  get enabled(): boolean {
    return this.options.json !== undefined || this.options.junit !== undefined || this.options.html !== undefined;
  }

  write(): void {
    const report = this.builder.snapshot();
    if (this.options.json) writeAtomically(this.options.json, renderJson(report));
    if (this.options.junit) writeAtomically(this.options.junit, renderJUnit(report));
    if (this.options.html) writeAtomically(this.options.html, renderHtml(report));
    this.lastWrite = Date.now();
  }

  suiteStart(info: SuiteInfo): void {
    this.builder.suiteStart(info);
    this.write();
  }
  scenarioStart(scenario: Scenario, iteration: number, warmup: boolean): void {
    this.builder.scenarioStart(scenario, iteration, warmup);
  }
  step(run: { scenario: Scenario; iteration: number; warmup: boolean }, result: StepResult): void {
    this.builder.step(run, result);
    if (Date.now() - this.lastWrite >= (this.options.intervalMs ?? 250)) this.write();
  }
  scenarioEnd(run: RunResult): void {
    this.builder.scenarioEnd(run);
    this.write();
  }
  suiteEnd(result: SuiteResult): void {
    this.builder.suiteEnd(result);
    this.write();
  }
  /** Final write for a run stopped from outside (signal, unexpected error). */
  interrupt(reason: string, exitCode: number): void {
    this.builder.interrupt(reason, exitCode);
    this.write();
  }
}
