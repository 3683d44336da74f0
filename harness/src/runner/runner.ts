import path from 'node:path';
import { ResponseApdu, formatSw } from '../apdu/response.js';
import { toHex } from '../apdu/hex.js';
import { parseMaskedHex } from '../apdu/patterns.js';
import { CardStatusError, HarnessError, ScriptError, TransportError } from '../errors.js';
import { GpConfigError, GpError } from '../gp/errors.js';
import type { Exchange, RunListener, RunResult, StepResult, SuiteResult } from '../results.js';
import { bytesMatch, swMatches, type Capture, type Expectation, type Scenario, type SecureChannelSpec, type Step } from '../script/scenario.js';
import { substitute, type Variables } from '../script/vars.js';
import { timingStats } from '../stats.js';
import type { Transport } from '../transport/transport.js';
import { TimingTransport } from '../transport/wrappers.js';
import { performAction, type ActionContext, type ActionOutcome } from './actions.js';
import type { SecureChannelOpener, SecureChannelSession } from './secure-channel.js';

export type { Exchange, RunListener, RunResult, StepResult, StepStats, SuiteInfo, SuiteResult } from '../results.js';

/** The opener used when the caller passes none; the GP layer is loaded on the first secure-channel step only. */
const defaultOpener: SecureChannelOpener = async (transport, spec, baseDir) =>
  (await import('./secure-channel.js')).openScriptSession(transport, spec, baseDir);

export interface RunOptions {
  /** Stop at the first failed expectation (default: continue). */
  readonly stopOnFailure?: boolean;
  /** Variables: defaults from the scenario are added unless already set; captures are written here. */
  readonly vars?: Variables;
  readonly iteration?: number;
  readonly warmup?: boolean;
  /** Called before and after each step: progress output, incremental reports. */
  readonly onStepStart?: (step: Step, index: number) => void;
  readonly onStep?: (result: StepResult) => void;
  /** Output of `echo` steps (default: ignored). */
  readonly echo?: (message: string) => void;
  /** Opens the session of a `secure-channel:` step (default openScriptSession: a GpSession from the step's options). */
  readonly openSecureChannel?: SecureChannelOpener;
}

/** Checks a response against an expectation; returns why it fails, or undefined when it passes. */
export function checkExpectation(
  expect: Expectation,
  sw: number | undefined,
  data: Uint8Array,
  resolveData?: (text: string) => string,
): string | undefined {
  if (expect.sw.length > 0) {
    if (sw === undefined) return 'no status word to check';
    let matched = false;
    for (const p of expect.sw) if (swMatches(p, sw)) matched = true;
    if (!matched) {
      return `SW ${formatSw(sw)}, expected ${expect.sw.map((p) => p.text).join(' or ')}`;
    }
  }
  if (expect.length !== undefined && data.length !== expect.length) {
    return `${data.length} data bytes, expected ${expect.length}`;
  }
  if (expect.data) {
    let pattern = expect.data.constant;
    if (pattern === undefined) {
      const text = resolveData ? resolveData(expect.data.text) : expect.data.text;
      pattern = parseMaskedHex(text);
      if (!pattern) return `expect data: '${text}' (from '${expect.data.text}') is not hex`;
    }
    if (!bytesMatch(pattern, data)) return `data ${toHex(data)} does not match ${pattern.text}`;
  }
  if (expect.dataRegex && !expect.dataRegex.test(toHex(data))) {
    return `data ${toHex(data)} does not match /${expect.dataRegex.source}/`;
  }
  return undefined;
}

/** The captured value as hex (SW as four digits). */
function captured(capture: Capture, sw: number | undefined, data: Uint8Array, atr: Uint8Array): string | undefined {
  if (capture.from === 'sw') return sw === undefined ? undefined : formatSw(sw);
  const source = capture.from === 'atr' ? atr : data;
  const end = capture.end ?? source.length;
  if ((capture.start ?? 0) > source.length || end > source.length) return undefined;
  return toHex(source.subarray(capture.start ?? 0, end));
}

/**
 * Runs every step of a scenario once on a transport. One clock: every exchange is timed by a
 * TimingTransport (the monotonic high-resolution clock), and the exchanges of a step are its time.
 */
export async function runScenario(scenario: Scenario, transport: Transport, options: RunOptions = {}): Promise<RunResult> {
  const vars: Variables = options.vars ?? new Map<string, string>();
  for (const [k, v] of Object.entries(scenario.vars)) if (!vars.has(k)) vars.set(k, v);
  const results: StepResult[] = [];
  let passed = 0;
  let failed = 0;
  let aborted: HarnessError | undefined;
  // One context for the whole run, pointed at each step in turn: the loop below is the hot path
  // of every benchmark, so it allocates as little as it can.
  let exchanges: Exchange[] = [];
  let transmitOptions: { secret: boolean } | undefined;
  const secretOptions = { secret: true };
  const record = (exchange: Exchange): void => {
    exchanges.push(exchange);
  };
  // The card as the steps see it, timed. Under a secure-channel session the wire is timed only during
  // the handshake (its APDUs are that step's exchanges); afterwards each step's wrapped exchange is
  // timed above the session instead, so that nothing is counted twice.
  let wireTimed = true;
  const wire = new TimingTransport(transport, (exchange) => {
    if (wireTimed) exchanges.push(exchange);
  });
  let active: Transport = wire;
  let session: SecureChannelSession | undefined;
  const endSession = async (): Promise<void> => {
    const ending = session;
    session = undefined;
    active = wire;
    if (ending) await ending.end();
    wireTimed = true;
  };
  const openSecureChannel = options.openSecureChannel ?? defaultOpener;
  const ctx: ActionContext & { position: Step['position'] } = {
    async exchange(command: Uint8Array): Promise<ResponseApdu> {
      const response = await active.transmit(command, transmitOptions);
      if (response.length < 2) throw new TransportError(`${transport.description} answered ${response.length} bytes: no status word`);
      return new ResponseApdu(response);
    },
    reset: async (cold: boolean) => {
      await endSession(); // a reset ends any session on the card
      return transport.reset({ cold });
    },
    async secureChannel(spec: SecureChannelSpec | undefined): Promise<ActionOutcome> {
      await endSession();
      if (!spec) return { data: new Uint8Array(0) };
      try {
        session = await openSecureChannel(wire, spec, path.dirname(scenario.file));
      } catch (error) {
        // The step's options do not resolve (profile, env: key, level): the script's mistake, at its line.
        if (error instanceof GpConfigError) throw new ScriptError(ctx.position, error.message);
        // The card refused the handshake: the step fails, with the last status word.
        if (error instanceof GpError || error instanceof CardStatusError) {
          const last = exchanges[exchanges.length - 1]?.response;
          return {
            data: new Uint8Array(0),
            failure: error.message,
            ...(last && last.length >= 2 ? { sw: (last[last.length - 2]! << 8) | last[last.length - 1]! } : {}),
          };
        }
        throw error;
      }
      wireTimed = false;
      active = new TimingTransport(session, record);
      return { sw: 0x9000, data: new Uint8Array(0) };
    },
    vars,
    position: scenario.steps[0]?.position ?? { file: scenario.file, line: 1, column: 1 },
    ...(options.echo ? { echo: options.echo } : {}),
  };
  const resolveData = (text: string): string => substitute(text, vars, ctx.position);
  for (let index = 0; index < scenario.steps.length; index++) {
    const step = scenario.steps[index]!;
    options.onStepStart?.(step, index);
    exchanges = [];
    transmitOptions = step.secret ? secretOptions : undefined;
    ctx.position = step.position;
    let result: StepResult;
    try {
      const outcome = await performAction(step.action, ctx);
      let failure = outcome.failure ?? checkExpectation(step.expect, outcome.sw, outcome.data, resolveData);
      for (const capture of step.capture) {
        const value = captured(capture, outcome.sw, outcome.data, transport.atr);
        if (value === undefined)
          failure ??= `capture ${capture.name}: the ${capture.from} is too short for [${capture.start ?? ''}:${capture.end ?? ''}]`;
        else vars.set(capture.name, value);
      }
      let nanoseconds = 0;
      for (const e of exchanges) nanoseconds += e.nanoseconds;
      const r: { -readonly [K in keyof StepResult]: StepResult[K] } = {
        step,
        exchanges,
        data: outcome.data,
        passed: failure === undefined,
        nanoseconds,
      };
      if (outcome.sw !== undefined) r.sw = outcome.sw;
      if (failure !== undefined) r.failure = failure;
      result = r;
    } catch (error) {
      if (!(error instanceof HarnessError)) throw error;
      aborted = error;
      result = { step, exchanges, data: new Uint8Array(0), passed: false, failure: error.message, nanoseconds: 0 };
    }
    results.push(result);
    if (result.passed) passed++;
    else failed++;
    options.onStep?.(result);
    if (aborted || (!result.passed && options.stopOnFailure)) break;
  }
  // A session does not outlive its scenario (it would hold the reader exclusively).
  await endSession().catch(() => undefined);
  return {
    scenario,
    transport: transport.description,
    iteration: options.iteration ?? 1,
    warmup: options.warmup ?? false,
    results,
    passed,
    failed,
    notRun: scenario.steps.length - results.length,
    ...(aborted ? { aborted } : {}),
  };
}

export interface SuiteOptions {
  /** Measured iterations of every scenario (default 1). */
  readonly repeat?: number;
  /** Unmeasured iterations run first (default 0). */
  readonly warmup?: number;
  readonly stopOnFailure?: boolean;
  /** Values for `${...}` that override the scenarios' vars. */
  readonly vars?: Readonly<Record<string, string>>;
  readonly listeners?: readonly RunListener[];
  readonly echo?: (message: string) => void;
  readonly openSecureChannel?: SecureChannelOpener;
}

/**
 * Runs scenarios `warmup + repeat` times each (all of one scenario's iterations before the
 * next), collects per-step timing over the measured iterations and tells listeners as it goes.
 */
export async function runSuite(scenarios: readonly Scenario[], transport: Transport, options: SuiteOptions = {}): Promise<SuiteResult> {
  const repeat = options.repeat ?? 1;
  const warmup = options.warmup ?? 0;
  if (!Number.isInteger(repeat) || repeat < 1) throw new ScriptError({ file: '(options)', line: 1, column: 1 }, 'repeat must be ≥ 1');
  const listeners = options.listeners ?? [];
  const emit = <K extends keyof RunListener>(k: K, ...args: Parameters<NonNullable<RunListener[K]>>): void => {
    for (const l of listeners) (l[k] as ((...a: typeof args) => void) | undefined)?.apply(l, args);
  };
  const quiet = listeners.length === 0;
  emit('suiteStart', { transport: transport.description, atr: transport.atr, scenarios, repeat, warmup, startedAt: new Date() });
  const runs: RunResult[] = [];
  const stats = new Map<string, { key: string; name: string; scenario: string; samples: number[]; failures: number }>();
  let lastStats: { key: string; name: string; scenario: string; samples: number[]; failures: number } | undefined;
  let aborted: HarnessError | undefined;
  let stop = false;
  for (const scenario of scenarios) {
    for (let i = 1; i <= warmup + repeat && !stop; i++) {
      const isWarmup = i <= warmup;
      const iteration = isWarmup ? i : i - warmup;
      emit('scenarioStart', scenario, iteration, isWarmup);
      const vars: Variables = new Map(Object.entries(options.vars ?? {}));
      const runInfo = { scenario, iteration, warmup: isWarmup };
      const run = await runScenario(scenario, transport, {
        vars,
        iteration,
        warmup: isWarmup,
        ...(options.stopOnFailure !== undefined ? { stopOnFailure: options.stopOnFailure } : {}),
        ...(options.echo ? { echo: options.echo } : {}),
        ...(options.openSecureChannel ? { openSecureChannel: options.openSecureChannel } : {}),
        ...(quiet ? {} : { onStepStart: (step: Step, index: number) => emit('stepStart', scenario, step, index) }),
        onStep: (result) => {
          if (!isWarmup && result.exchanges.length > 0) {
            let s = lastStats !== undefined && lastStats.key === result.step.key ? lastStats : stats.get(result.step.key);
            if (!s)
              stats.set(result.step.key, (s = { key: result.step.key, name: result.step.name, scenario: scenario.name, samples: [], failures: 0 }));
            lastStats = s;
            s.samples.push(result.nanoseconds / 1e6);
            if (!result.passed) s.failures++;
          }
          if (!quiet) emit('step', runInfo, result);
        },
      });
      runs.push(run);
      emit('scenarioEnd', run);
      if (run.aborted) {
        aborted = run.aborted;
        stop = true;
      } else if (options.stopOnFailure && run.failed > 0) stop = true;
    }
    if (stop) break;
  }
  const measured = runs.filter((r) => !r.warmup);
  const passed = measured.reduce((n, r) => n + r.passed, 0);
  const failed = runs.reduce((n, r) => n + r.failed, 0);
  const totalSteps = scenarios.reduce((n, s) => n + s.steps.length * repeat, 0);
  const notRun = Math.max(0, totalSteps - measured.reduce((n, r) => n + r.results.length, 0));
  const result: SuiteResult = {
    runs,
    stats: [...stats.values()].map((s) => ({ ...s, ...timingStats(s.samples) })),
    passed,
    failed,
    notRun,
    ...(aborted ? { aborted } : {}),
    exitCode: aborted ? aborted.exitCode : failed > 0 || notRun > 0 ? 1 : 0,
  };
  emit('suiteEnd', result);
  return result;
}
