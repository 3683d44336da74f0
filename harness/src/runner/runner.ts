import { ResponseApdu, formatSw } from '../apdu/response.js';
import { toHex } from '../apdu/hex.js';
import { HarnessError } from '../errors.js';
import { bytesMatch, swMatches, type Expectation, type Scenario, type Step } from '../script/scenario.js';
import type { Transport } from '../transport/transport.js';
import { performAction, type Exchange } from './actions.js';

export interface StepResult {
  readonly step: Step;
  readonly exchanges: readonly Exchange[];
  /** Status word the expectations were checked against (the last one of a multi-APDU step). */
  readonly sw?: number;
  readonly data: Uint8Array;
  readonly passed: boolean;
  readonly failure?: string;
  /** Sum of the step's exchanges, in nanoseconds. */
  readonly nanoseconds: number;
}

export interface RunResult {
  readonly scenario: Scenario;
  readonly transport: string;
  readonly results: readonly StepResult[];
  readonly passed: number;
  readonly failed: number;
  /** Steps not run because the run stopped early. */
  readonly notRun: number;
  /** Set when the card or the link failed: the run ended there. */
  readonly aborted?: HarnessError;
}

export interface RunOptions {
  /** Stop at the first failed expectation (default: continue). */
  readonly stopOnFailure?: boolean;
  /** Called after each step: progress output, incremental reports. */
  readonly onStep?: (result: StepResult) => void;
}

/** Checks a response against an expectation; returns why it fails, or undefined when it passes. */
export function checkExpectation(expect: Expectation, sw: number | undefined, data: Uint8Array): string | undefined {
  if (expect.sw.length > 0) {
    if (sw === undefined) return 'no status word to check';
    if (!expect.sw.some((p) => swMatches(p, sw))) {
      return `SW ${formatSw(sw)}, expected ${expect.sw.map((p) => p.text).join(' or ')}`;
    }
  }
  if (expect.length !== undefined && data.length !== expect.length) {
    return `${data.length} data bytes, expected ${expect.length}`;
  }
  if (expect.data && !bytesMatch(expect.data, data)) {
    return `data ${toHex(data)} does not match ${expect.data.text}`;
  }
  if (expect.dataRegex && !expect.dataRegex.test(toHex(data))) {
    return `data ${toHex(data)} does not match /${expect.dataRegex.source}/`;
  }
  return undefined;
}

/** Runs every step of a scenario on a transport, timing each exchange. */
export async function runScenario(scenario: Scenario, transport: Transport, options: RunOptions = {}): Promise<RunResult> {
  const results: StepResult[] = [];
  let passed = 0;
  let failed = 0;
  let aborted: HarnessError | undefined;
  for (const step of scenario.steps) {
    const exchanges: Exchange[] = [];
    const ctx = {
      async exchange(command: Uint8Array): Promise<ResponseApdu> {
        const start = process.hrtime.bigint();
        const response = await transport.transmit(command);
        const nanoseconds = Number(process.hrtime.bigint() - start);
        exchanges.push({ command, response, nanoseconds });
        return new ResponseApdu(response);
      },
      reset: (cold: boolean) => transport.reset({ cold }),
    };
    let result: StepResult;
    try {
      const outcome = await performAction(step.action, ctx);
      const failure = outcome.failure ?? checkExpectation(step.expect, outcome.sw, outcome.data);
      result = {
        step,
        exchanges,
        ...(outcome.sw !== undefined ? { sw: outcome.sw } : {}),
        data: outcome.data,
        passed: failure === undefined,
        ...(failure !== undefined ? { failure } : {}),
        nanoseconds: exchanges.reduce((n, e) => n + e.nanoseconds, 0),
      };
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
  return {
    scenario,
    transport: transport.description,
    results,
    passed,
    failed,
    notRun: scenario.steps.length - results.length,
    ...(aborted ? { aborted } : {}),
  };
}
