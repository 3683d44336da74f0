import { UsageError, type HarnessError } from '../errors.js';
import { ConsoleReporter, type ConsoleOptions } from '../report/console.js';
import { ReportFiles } from '../report/files.js';
import type { Report } from '../report/model.js';
import type { ApdutoolOptions } from '../script/apdutool.js';
import { loadScripts } from '../script/load.js';
import { filterByTags, type Scenario } from '../script/scenario.js';
import { openCard, type CardOptions } from '../transport/open.js';
import type { Transport } from '../transport/transport.js';
import type { RunListener, SuiteResult } from '../results.js';
import { runSuite } from '../runner/runner.js';
import { openScriptSession } from '../runner/secure-channel.js';

export interface ExecuteOptions extends CardOptions, ApdutoolOptions {
  /** Files, folders or globs of scenarios (.yaml/.yml) and apdutool scripts (.scr/.apdu). */
  readonly scripts: readonly string[];
  readonly repeat?: number;
  readonly warmup?: number;
  readonly stopOnFailure?: boolean;
  readonly vars?: Readonly<Record<string, string>>;
  /** Run only steps with one of these tags (a step's tags include its scenario's). */
  readonly tags?: readonly string[];
  readonly excludeTags?: readonly string[];
  readonly showSecrets?: boolean;
  /** Console output; `false` for none. */
  readonly console?: ConsoleOptions | false;
  readonly reportJson?: string;
  readonly reportJunit?: string;
  readonly reportHtml?: string;
  /** Include every exchange in the JSON/HTML report (default true). */
  readonly reportApdus?: boolean;
  readonly listeners?: readonly RunListener[];
  /** On SIGINT/SIGTERM: write the reports as interrupted, close the card, exit 130 (CLI). */
  readonly handleSignals?: boolean;
  /** Runs on the opened card before the scenarios (personalisation, for one); not timed or reported. */
  readonly prepare?: (transport: Transport) => Promise<unknown>;
}

export interface ExecuteResult {
  readonly suite: SuiteResult;
  readonly report: Report;
  readonly exitCode: number;
}

/**
 * Everything `jpki-harness run` does, as one call: load, filter, open, run, report, close. It lives with
 * the CLI because it owns what a command owns: report files, the console, and SIGINT/SIGTERM.
 */
export async function executeRun(options: ExecuteOptions): Promise<ExecuteResult> {
  const loaded: Scenario[] = loadScripts(options.scripts, options);
  const scenarios = loaded.map((s) => filterByTags(s, options.tags ?? [], options.excludeTags ?? [])).filter((s) => s.steps.length > 0);
  if (scenarios.length === 0) throw new UsageError(`no steps match the tags (${[...(options.tags ?? [])].join(', ') || 'none'})`);
  const files = new ReportFiles({
    ...(options.reportJson !== undefined ? { json: options.reportJson } : {}),
    ...(options.reportJunit !== undefined ? { junit: options.reportJunit } : {}),
    ...(options.reportHtml !== undefined ? { html: options.reportHtml } : {}),
    showSecrets: options.showSecrets ?? false,
    apdus: options.reportApdus ?? true,
  });
  const card = await openCard(options);
  const listeners: RunListener[] = [files, ...(options.listeners ?? [])];
  if (options.console !== false) listeners.push(new ConsoleReporter({ showSecrets: options.showSecrets ?? false, ...(options.console ?? {}) }));
  const onSignal = (signal: NodeJS.Signals): void => {
    files.interrupt(`interrupted by ${signal}`, 130);
    void card.close().finally(() => process.exit(130));
  };
  if (options.handleSignals) {
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  }
  let suite: SuiteResult;
  try {
    if (options.prepare) await options.prepare(card.transport);
    suite = await runSuite(scenarios, card.transport, {
      listeners,
      ...(options.repeat !== undefined ? { repeat: options.repeat } : {}),
      ...(options.warmup !== undefined ? { warmup: options.warmup } : {}),
      ...(options.stopOnFailure !== undefined ? { stopOnFailure: options.stopOnFailure } : {}),
      ...(options.vars !== undefined ? { vars: options.vars } : {}),
      openSecureChannel: openScriptSession,
      echo: (message) => {
        if (options.console !== false && !options.console?.quiet) process.stdout.write(`${message}\n`);
      },
    });
  } catch (error) {
    files.interrupt(`stopped by an error: ${(error as Error).message}`, (error as HarnessError).exitCode ?? 70);
    await card.close().catch(() => undefined);
    throw error;
  } finally {
    if (options.handleSignals) {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  }
  const exitCode = suite.exitCode;
  try {
    await card.close({ checkTrace: !suite.aborted && !options.stopOnFailure });
  } catch (error) {
    if (!(error instanceof Error) || !('exitCode' in error)) throw error;
    files.interrupt((error as HarnessError).message, (error as HarnessError).exitCode);
    throw error;
  }
  return { suite, report: files.builder.snapshot(), exitCode };
}
