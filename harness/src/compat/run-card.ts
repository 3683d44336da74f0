/**
 * Runs the conformance suite on one card: each case from the state it asks for, not applicable when the
 * card's profile says it cannot run it, pass or fail with the observed difference otherwise. Collects the
 * time of every command and the reader's own round trip.
 */
import { performance } from 'node:perf_hooks';
import { runScenario } from '../runner/runner.js';
import { JPKI_AID } from '../jpki/client/client.js';
import { TEST_PIN } from '../jpki/test-ca/test-material.js';
import { toHex } from '../apdu/hex.js';
import { CardUnderTest, type OpenTargetOptions } from './card-under-test.js';
import type { ConformanceCase, Requirement } from './cases.js';
import { runProcedure } from './procedures.js';
import type { CompatTarget } from './target.js';
import { measureRoundTrip } from './timed-transport.js';

export type Verdict = 'pass' | 'fail' | 'n/a';

export interface CaseOutcome {
  readonly id: string;
  readonly verdict: Verdict;
  /** fail: the observed difference; n/a: the reason; pass: what was observed, when worth saying. */
  readonly detail?: string;
  readonly milliseconds: number;
}

export interface CardRun {
  readonly card: string;
  readonly profileFile: string;
  readonly persona?: string;
  readonly reader?: string;
  readonly status: 'tested' | 'untested';
  readonly atr: string;
  readonly startedAt: string;
  readonly wallMilliseconds: number;
  readonly outcomes: readonly CaseOutcome[];
  /** Command name → samples in milliseconds. */
  readonly timings: Readonly<Record<string, readonly number[]>>;
  /** The reader's round trip (a command the card answers without running an application), milliseconds. */
  readonly roundTrip: readonly number[];
  /** The card could not be opened or was lost: every case not run says so. */
  readonly error?: string;
}

export interface RunCardOptions extends OpenTargetOptions {
  /** Called before each case, for progress output. */
  readonly onCase?: (card: string, index: number, total: number, id: string) => void;
  readonly onOutcome?: (card: string, outcome: CaseOutcome) => void;
}

/** Why a card cannot run a case, from its profile; undefined when it can. */
export function notApplicable(target: CompatTarget, requirement: Requirement): string | undefined {
  const caps = target.capabilities;
  switch (requirement) {
    case 'on-card-key-generation':
      return caps.onCardKeyGeneration
        ? undefined
        : 'no on-card RSA-2048 key generation (compat.capabilities.on-card-key-generation: false); keys are imported';
    case 'extended-length':
      return caps.extendedLength ? undefined : 'no extended-length APDUs (transport.extended-length: false)';
    default: {
      const size = Number(requirement.slice('content-'.length));
      return caps.maxContent >= size
        ? undefined
        : `the card's memory holds certificates up to ${caps.maxContent} bytes (compat.capabilities.max-content), not ${size}`;
    }
  }
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export async function runCard(target: CompatTarget, cases: readonly ConformanceCase[], options: RunCardOptions = {}): Promise<CardRun> {
  const startedAt = new Date();
  const t0 = performance.now();
  const outcomes: CaseOutcome[] = [];
  const base = {
    card: target.name,
    profileFile: target.profileFile,
    ...(target.persona !== undefined ? { persona: target.persona } : {}),
    ...(target.reader !== undefined ? { reader: target.reader } : {}),
    status: target.status,
    startedAt: startedAt.toISOString(),
  };
  let cut: CardUnderTest;
  try {
    cut = await CardUnderTest.open(target, options);
  } catch (error) {
    const reason = `the card could not be opened: ${message(error)}`;
    for (const c of cases) outcomes.push({ id: c.id, verdict: 'fail', detail: reason, milliseconds: 0 });
    return { ...base, atr: '', wallMilliseconds: performance.now() - t0, outcomes, timings: {}, roundTrip: [], error: reason };
  }
  let lost: string | undefined;
  let roundTrip: number[] = [];
  try {
    roundTrip = await measureRoundTrip(cut.transport);
    const vars = (): Map<string, string> =>
      new Map([
        ['PIN', TEST_PIN],
        ['AID', toHex(JPKI_AID)],
        ['ISD', toHex(target.profile.isdAid)],
      ]);
    for (const [index, c] of cases.entries()) {
      options.onCase?.(target.name, index, cases.length, c.id);
      const start = performance.now();
      const done = (verdict: Verdict, detail?: string): void => {
        const outcome = { id: c.id, verdict, ...(detail !== undefined ? { detail } : {}), milliseconds: performance.now() - start };
        outcomes.push(outcome);
        options.onOutcome?.(target.name, outcome);
      };
      if (lost !== undefined) {
        done('fail', lost);
        continue;
      }
      const reason = c.requires.map((r) => notApplicable(target, r)).find((r) => r !== undefined);
      if (reason !== undefined) {
        done('n/a', reason);
        continue;
      }
      try {
        await cut.ensure(c.state);
      } catch (error) {
        cut.state = 'unknown';
        done('fail', `could not prepare the ${c.state} applet: ${message(error)}`);
        continue;
      }
      let detail: string | undefined;
      let failure: string | undefined;
      try {
        if (c.procedure !== undefined) detail = await runProcedure(cut, c.procedure);
        if (c.scenario !== undefined) {
          const run = await runScenario(c.scenario, cut.transport, { vars: vars() });
          if (run.aborted !== undefined) failure = run.aborted.message;
          else {
            const bad = run.results.find((r) => !r.passed);
            if (bad !== undefined)
              failure = `line ${bad.step.position.line}${bad.step.name ? ` (${bad.step.name})` : ''}: ${bad.failure ?? 'failed'}`;
          }
        }
      } catch (error) {
        failure = message(error);
      }
      if (failure !== undefined || c.changesState) cut.state = 'unknown';
      done(failure === undefined ? 'pass' : 'fail', failure ?? detail);
    }
  } catch (error) {
    lost = `the card was lost: ${message(error)}`;
  } finally {
    await cut.close().catch(() => undefined);
  }
  const timings: Record<string, readonly number[]> = {};
  for (const [name, samples] of cut.transport.timings()) timings[name] = [...samples];
  return {
    ...base,
    atr: cut.atr,
    wallMilliseconds: performance.now() - t0,
    outcomes,
    timings,
    roundTrip,
    ...(lost !== undefined ? { error: lost } : {}),
  };
}
