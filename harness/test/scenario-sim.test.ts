import { loadScenario } from '../src/script/parser.js';
import { runScenario } from '../src/runner/runner.js';
import { SimTransport } from '../src/transport/sim.js';
import { toHex } from '../src/apdu/hex.js';
import { personaliseWithTestCredential } from '../src/jpki/test-ca/test-material.js';
import { announceSkip, simulatorJarBuilt, vector } from './support.js';

const ready = simulatorJarBuilt();
if (!ready) announceSkip('scenario over the sim transport', 'build/jpki-simulator.jar is missing (run ant simulator)');
const maybe = ready ? describe : describe.skip;

maybe('read-certificate scenario over the direct (sim) transport', () => {
  let transport: SimTransport;
  beforeAll(async () => {
    transport = await SimTransport.open();
    await personaliseWithTestCredential(transport);
  });
  afterAll(async () => {
    await transport?.close();
  });

  test('the card answers with the simulator ATR', () => {
    expect(toHex(transport.atr)).toBe('3B8880014A504B492D53494D6B');
  });

  test.each(['read-certificate.yaml', 'pin-and-sign.yaml', 'admin-secure-channel.yaml'])('every step of %s passes', async (file) => {
    const scenario = loadScenario(vector('scenarios', file));
    const result = await runScenario(scenario, transport);
    const failures = result.results.filter((r) => !r.passed).map((r) => `${r.step.name}: ${r.failure}`);
    expect(failures).toEqual([]);
    expect(result.passed).toBe(scenario.steps.length);
    expect(result.aborted).toBeUndefined();
  });

  test('the whole certificate read back equals the test vector', async () => {
    const { readFileSync } = await import('node:fs');
    const der = readFileSync(vector('certs', 'test-auth.der'));
    const scenario = loadScenario(vector('scenarios', 'read-certificate.yaml'));
    const result = await runScenario(scenario, transport);
    const read = result.results.find((r) => r.step.action.kind === 'read-ef' && toHex(r.step.action.fid.constant!) === '000A');
    expect(read).toBeDefined();
    expect(Buffer.from(read!.data).subarray(0, der.length).equals(der)).toBe(true);
  });

  test('a failed expectation is reported as a failure, not an exception', async () => {
    const { parseScenario } = await import('../src/script/parser.js');
    const scenario = parseScenario('name: t\nsteps:\n  - send: 00A4040C0AD392F000260100000001\n    expect: {sw: 6A82}\n', 'inline.yaml');
    const result = await runScenario(scenario, transport);
    expect(result.failed).toBe(1);
    expect(result.results[0]!.sw).toBe(0x9000);
    expect(result.results[0]!.failure).toMatch(/6A82/);
  });

  test('a secure channel with wrong keys is a failed step, and the run goes on', async () => {
    const { parseScenario } = await import('../src/script/parser.js');
    const scenario = parseScenario(
      'name: wrong keys\nsteps:\n  - select: D392F000260100000001\n' +
        '  - secure-channel: { scp: 3, key: 000102030405060708090A0B0C0D0E0F, level: cmac+cdec, sd: D392F000260100000001 }\n' +
        '  - send: 84DA00000100\n    expect: { sw: "6982" }\n',
      'inline.yaml',
    );
    const result = await runScenario(scenario, transport);
    expect(result.aborted).toBeUndefined();
    expect(result.results[1]!.passed).toBe(false);
    expect(result.results[1]!.failure).toMatch(/cryptogram/i);
    expect(result.results[2]!.passed).toBe(true);
  });
});
