import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadScenario } from '../src/script/parser.js';
import { runScenario, runSuite } from '../src/runner/runner.js';
import { standardStack } from '../src/transport/wrappers.js';
import { loadScripts } from '../src/script/load.js';
import { parseSwPattern } from '../src/apdu/patterns.js';
import { SimulatorProcess } from '../src/sim/simulator-process.js';
import { PcscTransport, listReaders } from '../src/transport/pcsc.js';
import { toHex } from '../src/apdu/hex.js';
import { personaliseWithTestCredential } from '../src/jpki/test-ca/test-material.js';
import { parseScenario } from '../src/script/parser.js';
import { TransportError } from '../src/errors.js';
import { announceSkip, portListening, simulatorJarBuilt, vector } from './support.js';

/**
 * The real path: harness → node-pcsclite → pcscd → vpcd driver → simulator → applet.
 * Uses vpcd's second slot (port 35964, reader "Virtual PCD 00 01") so a simulator a user
 * keeps running in the first slot is left alone.
 */
const SLOT_PORT = 35964;
const READER = 'Virtual PCD 00 01';

const pcscdUp = existsSync('/run/pcscd/pcscd.comm');
const vpcdUp = pcscdUp && (await portListening(SLOT_PORT));
const reason = !simulatorJarBuilt()
  ? 'build/jpki-simulator.jar is missing (run ant simulator)'
  : !pcscdUp
    ? 'pcscd is not running (start it: pcscd, or sudo systemctl start pcscd)'
    : !vpcdUp
      ? `nothing listens on vpcd port ${SLOT_PORT} (install vsmartcard-vpcd and restart pcscd)`
      : undefined;
if (reason) announceSkip('scenario over the pcsc transport', reason);
const maybe = reason ? describe.skip : describe;

maybe('read-certificate scenario through pcscd + vpcd', () => {
  let simulator: SimulatorProcess;
  let transport: PcscTransport;

  beforeAll(async () => {
    simulator = SimulatorProcess.start({ connect: `127.0.0.1:${SLOT_PORT}` }).process;
    transport = await PcscTransport.open({ reader: READER, timeoutMs: 15000 });
    await personaliseWithTestCredential(transport);
  });
  afterAll(async () => {
    await transport?.close();
    await simulator?.stop();
  });

  test('pcscd lists the vpcd readers', async () => {
    expect(await listReaders()).toContain(READER);
  });

  test('pcscd reports the simulator ATR', () => {
    expect(toHex(transport.atr)).toBe('3B8880014A504B492D53494D6B');
  });

  test.each(['read-certificate.yaml', 'pin-and-sign.yaml'])('every step of %s passes', async (file) => {
    const scenario = loadScenario(vector('scenarios', file));
    const result = await runScenario(scenario, transport);
    const failures = result.results.filter((r) => !r.passed).map((r) => `${r.step.name}: ${r.failure}`);
    expect(failures).toEqual([]);
    expect(result.passed).toBe(scenario.steps.length);
  });

  test('the full stack and the suite runner: two measured iterations, statistics for every APDU step', async () => {
    const scenario = loadScenario(vector('scenarios', 'read-certificate.yaml'));
    const result = await runSuite([scenario], standardStack(transport), { repeat: 2 });
    expect(result.exitCode).toBe(0);
    expect(result.passed).toBe(2 * scenario.steps.length);
    expect(result.stats.every((s) => s.count === 2 && s.min > 0)).toBe(true);
  });

  test('an apdutool script runs through pcscd', async () => {
    const [scenario] = loadScripts([vector('apdutool', 'read-token.scr')], { expectSw: [parseSwPattern('9000')!] });
    const result = await runSuite([scenario!], standardStack(transport));
    expect(result.failed).toBe(0);
    const read = result.runs[0]!.results.find((r) => r.step.action.kind === 'send' && r.data.length === 32)!;
    expect(Buffer.from(read.data).toString('ascii')).toMatch(/^JPKIAPICCTOKEN2/);
  });

  test('a warm reset through pcscd clears the selection', async () => {
    await transport.reset();
    const response = await transport.transmit(Uint8Array.from([0x00, 0xb0, 0x00, 0x00, 0x04]));
    expect(toHex(response.subarray(-2))).not.toBe('9000');
  });
});

maybe('a card pulled mid-run through pcscd', () => {
  test('ends the run with a typed card error within seconds, never a hang', async () => {
    const simulator = SimulatorProcess.start({ connect: `127.0.0.1:${SLOT_PORT}` }).process;
    let transport: PcscTransport | undefined;
    try {
      transport = await PcscTransport.open({ reader: READER, timeoutMs: 15000 });
      const scenario = parseScenario(
        'name: pull\nsteps:\n  - select: D392F000260100000001\n  - select-ef: "0006"\n  - repeat: 50000\n    steps:\n      - send: 00B0000020\n',
        'pull.yaml',
      );
      let steps = 0;
      const started = Date.now();
      const result = await runSuite([scenario], standardStack(transport), {
        listeners: [
          {
            step: () => {
              if (++steps === 100) void simulator.stop();
            },
          },
        ],
      });
      expect(result.aborted).toBeInstanceOf(TransportError);
      expect(result.exitCode).toBe(3);
      expect(steps).toBeLessThan(50002);
      expect(Date.now() - started).toBeLessThan(20000);
    } finally {
      await transport?.close();
      await simulator.stop();
    }
  });
});

/**
 * A process that opens readers and closes them again at once, on a machine kept busy, ends by
 * itself. node-pcsclite leaves a libuv handle open for ever when a reader is closed while its
 * monitor thread is between two waits (transport/pcsc-monitor.ts); with the busy cores that
 * happened in most runs before the transport waited for the monitor.
 */
maybe('a process that closes readers at once still exits by itself', () => {
  test('40 opens that fail within milliseconds, with both cores busy: the process ends, no handle leaked', async () => {
    const pcsc = fileURLToPath(new URL('../src/transport/pcsc.js', import.meta.url));
    const monitor = fileURLToPath(new URL('../src/transport/pcsc-monitor.js', import.meta.url));
    const script = [
      `const { PcscTransport } = await import(${JSON.stringify(pcsc)});`,
      `const { leakedMonitors } = await import(${JSON.stringify(monitor)});`,
      'let failed = 0;',
      'for (let i = 0; i < 40; i++) {',
      `  try { const t = await PcscTransport.open({ reader: ${JSON.stringify(READER)}, timeoutMs: 1 + (i % 8) }); await t.close(); }`,
      '  catch { failed++; }',
      '}',
      'console.log(JSON.stringify({ failed, leaked: leakedMonitors() }));',
    ].join('\n');
    const burners = [0, 1].map(() => spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }));
    try {
      const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
      const exited = await new Promise<number | 'still running'>((resolve) => {
        const timer = setTimeout(() => {
          child.kill('SIGKILL');
          resolve('still running');
        }, 30000);
        child.on('exit', (code) => {
          clearTimeout(timer);
          resolve(code ?? -1);
        });
      });
      expect({ exited, out: out.trim() }).toEqual({ exited: 0, out: expect.stringMatching(/"leaked":0/) as unknown });
    } finally {
      for (const burner of burners) burner.kill('SIGKILL');
    }
  });
});
