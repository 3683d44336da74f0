import { parseScenario, loadScenario } from '../src/script/parser.js';
import { runScenario, runSuite } from '../src/runner/runner.js';
import { ScriptError } from '../src/errors.js';
import { TraceTransport } from '../src/transport/trace.js';
import { standardStack } from '../src/transport/wrappers.js';
import { toHex } from '../src/apdu/hex.js';
import { filterByTags } from '../src/script/scenario.js';
import { vector } from './support.js';

/** High-level steps against recorded card answers: the APDUs they produce must match the trace byte for byte. */
describe('high-level steps replayed from a recorded trace', () => {
  test('PIN, signing, capture and power cycle: every step passes and the trace is used up', async () => {
    const trace = TraceTransport.fromFile(vector('traces', 'pin-and-sign.trace'));
    const scenario = loadScenario(vector('traces', 'pin-and-sign.yaml'));
    const run = await runScenario(scenario, standardStack(trace));
    expect(run.results.filter((r) => !r.passed).map((r) => `${r.step.name}: ${r.failure}`)).toEqual([]);
    expect(run.passed).toBe(scenario.steps.length);
    expect(() => trace.assertConsumed()).not.toThrow();
    const tries = run.results.find((r) => r.step.name === 'Tries left')!;
    expect(tries.sw).toBe(0x63c3);
    expect(run.results.find((r) => r.step.name === 'Right PIN')!.step.secret).toBe(true);
    expect(run.results.find((r) => r.step.name === 'Sign a SHA-256 digest')!.data.length).toBe(256);
  });

  test('captured values reach later steps; the vars map holds them afterwards', async () => {
    const trace = TraceTransport.fromFile(vector('traces', 'pin-and-sign.trace'));
    const vars = new Map<string, string>();
    await runScenario(loadScenario(vector('traces', 'pin-and-sign.yaml')), trace, { vars });
    expect(vars.get('tries')).toBe('63C3');
    expect(vars.get('certlen')).toBe('B8');
    expect(vars.get('PIN')).toBe('1234');
  });

  test('--var overrides a scenario default: another PIN is another APDU, still matching the starred trace', async () => {
    const trace = TraceTransport.fromFile(vector('traces', 'pin-and-sign.trace'));
    const result = await runSuite([loadScenario(vector('traces', 'pin-and-sign.yaml'))], trace, { vars: { PIN: '5678' } });
    expect(result.exitCode).toBe(0);
    const pinStep = result.runs[0]!.results.find((r) => r.step.name === 'Right PIN')!;
    expect(toHex(pinStep.exchanges[0]!.command)).toBe('002000800435363738');
  });

  test('a wrong status word is a failed expectation naming both', async () => {
    const trace = TraceTransport.fromText('=> 0020008004********\n<= 63C1\n');
    const run = await runScenario(parseScenario('name: t\nsteps:\n  - verify-pin: "1111"\n', 't.yaml'), trace);
    expect(run.failed).toBe(1);
    expect(run.results[0]!.failure).toBe('SW 63C1, expected 9000');
  });

  test('an undefined variable stops the run with a script error at the step (exit code 2)', async () => {
    const trace = TraceTransport.fromText('=> 00A4040C\n<= 9000\n');
    const scenario = parseScenario('name: t\nsteps:\n  - send: 00A4040C\n  - send: 00B00000${missing}\n', 'v.yaml');
    const result = await runSuite([scenario], trace);
    expect(result.aborted).toBeInstanceOf(ScriptError);
    expect(result.aborted!.message).toMatch(/^v\.yaml:4:5: variable 'missing' is not defined/);
    expect(result.exitCode).toBe(2);
  });

  test('a digest whose substituted length is wrong is a script error', async () => {
    const trace = TraceTransport.fromText('');
    const scenario = parseScenario('name: t\nvars: {D: "0102"}\nsteps:\n  - sign: {hash: sha1, digest: "${D}"}\n', 's.yaml');
    const result = await runSuite([scenario], trace);
    expect(result.aborted?.message).toMatch(/s\.yaml:4:5: sign digest: a sha1 digest has 20 bytes, got 2/);
  });

  test('tags select steps: the scenario tag selects all, a step tag selects only its steps', () => {
    const scenario = loadScenario(vector('traces', 'pin-and-sign.yaml'));
    expect(filterByTags(scenario, ['pin']).steps).toHaveLength(scenario.steps.length);
    expect(filterByTags(scenario, ['sign']).steps.map((s) => s.name)).toEqual([
      'Sign a SHA-256 digest',
      'Sign a message (SHA-256 taken by the harness)',
      'Sign a SHA-384 DigestInfo given whole',
    ]);
    expect(filterByTags(scenario, [], ['sign']).steps).toHaveLength(scenario.steps.length - 3);
    expect(filterByTags(scenario, ['nothing']).steps).toHaveLength(0);
  });

  test('repeat and warm-up: statistics per step over measured iterations only', async () => {
    const lines = ['=> 00A4040C\n<= 9000\n'.repeat(5), '=> 00B00000\n<= 9000\n'.repeat(0)].join('');
    const trace = TraceTransport.fromText(lines);
    const scenario = parseScenario('name: t\nsteps:\n  - name: sel\n    send: 00A4040C\n', 't.yaml');
    const result = await runSuite([scenario], trace, { repeat: 3, warmup: 2 });
    expect(result.runs.map((r) => [r.iteration, r.warmup])).toEqual([
      [1, true],
      [2, true],
      [1, false],
      [2, false],
      [3, false],
    ]);
    expect(result.stats).toHaveLength(1);
    const s = result.stats[0]!;
    expect(s.count).toBe(3);
    expect(s.samples).toHaveLength(3);
    expect(s.min).toBeLessThanOrEqual(s.median);
    expect(s.median).toBeLessThanOrEqual(s.p95);
    expect(s.p95).toBeLessThanOrEqual(s.max);
    expect(result.passed).toBe(3);
    trace.assertConsumed();
  });

  test('a repeat block inside a scenario shares one statistics entry for its steps', async () => {
    const trace = TraceTransport.fromText('=> 00A4040C\n<= 9000\n'.repeat(4));
    const scenario = parseScenario('name: t\nsteps:\n  - repeat: 4\n    steps:\n      - name: sel\n        send: 00A4040C\n', 't.yaml');
    const result = await runSuite([scenario], trace);
    expect(result.stats.map((s) => [s.name, s.count])).toEqual([['sel', 4]]);
  });

  test('stop on failure leaves the rest not run (exit code 1)', async () => {
    const trace = TraceTransport.fromText('=> 00A4040C\n<= 6A82\n');
    const scenario = parseScenario('name: t\nsteps:\n  - send: 00A4040C\n  - send: 00B00000\n', 't.yaml');
    const result = await runSuite([scenario], trace, { stopOnFailure: true });
    expect([result.failed, result.notRun, result.exitCode]).toEqual([1, 1, 1]);
  });

  test('echo and delay steps send nothing', async () => {
    const echoed: string[] = [];
    const trace = TraceTransport.fromText('');
    const run = await runScenario(parseScenario('name: t\nvars: {who: card}\nsteps:\n  - echo: hello ${who}\n  - delay: 5\n', 'e.yaml'), trace, {
      echo: (m) => echoed.push(m),
    });
    expect(echoed).toEqual(['hello card']);
    expect(run.passed).toBe(2);
    expect(run.results.every((r) => r.exchanges.length === 0)).toBe(true);
  });

  test('a response without a status word is a card error, not a crash', async () => {
    const broken = {
      description: 'broken',
      atr: new Uint8Array(0),
      transmit: async () => Uint8Array.of(0x90),
      reset: async () => new Uint8Array(0),
      close: async () => undefined,
    };
    const result = await runSuite([parseScenario('name: t\nsteps:\n  - send: 00A4040C\n', 't.yaml')], broken);
    expect(result.aborted?.exitCode).toBe(3);
    expect(result.aborted?.message).toBe('broken answered 1 bytes: no status word');
  });
});
