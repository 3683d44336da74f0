/**
 * npm run bench — what the harness costs on top of PC/SC, and the two paths to the simulator.
 *
 * 1. harness vs raw: the 1,000-APDU scenario test-vectors/scenarios/bench-1000-apdus.yaml run by
 *    the harness runner (parser output, full transport stack, expectations, timing) against a
 *    bare node-pcsclite loop sending the same 1,000 APDUs, on the same simulated card through
 *    pcscd + vpcd, in the same process, in alternating rounds (ABBA order). Reports the median
 *    per-APDU wall time of each and their ratio (target ≤ 1.05).
 * 2. paths: round trip of a SELECT over the direct vpcd link and through pcscd.
 *
 * 3. simulator: time from starting the simulator to its first answer (direct link, and through pcscd),
 *    and INSTALL [for load] + LOAD of a 20 KB load file (the reference CAP grown) over SCP03 with C-MAC,
 *    with C-MAC + C-DECRYPTION, and over SCP02 with C-MAC, on the direct link and through pcscd.
 *
 * 4. start-up (startup.ts): whole processes, `jpki-harness --version` and `--help` against `node -e 0`
 *    (target ≤ 1.5), and `jpki-harness install` of the JPKI CAP through pcscd against `node -e 0`, and
 *    against `java -jar $GP_JAR --install` when GP_JAR is set (target ≤ 0.5; skipped with a message without).
 *
 * 5. compat: the whole compatibility matrix (every persona × the conformance suite), wall and per persona,
 *    with the personas' published operation times (--compat-latency-scale F to scale them; no pcscd needed).
 *
 * 6. personalisation: what the end-to-end key establishment costs on fresh simulated cards (--cards N).
 *
 * 7. issuance (issuance.ts): application → personalised SIM through the three services, key off card and
 *    on card, median and p95 over --rounds N (default 5 here) with fresh cards each round.
 *
 * 8. issuance-load (issuance-load.ts): concurrent applicants against the SP-TSM's POST /applications,
 *    requests/s and p99 on SQLite and PostgreSQL, then a count that each application is stored once.
 *
 * 9. authentication (authentication.ts): on one personalised simulated SIM, card emulation (challenge → verdict),
 *    the UI app's sign-in at the relying party over HTTPS (challenge → session) and the SIM's signing alone,
 *    median and p95 over --rounds N (default 20), and the ratios to the SIM's signing.
 * 10. life-cycle (life-cycle.ts): the credential's whole life (issuance, both use cases, PIN lock and reset,
 *    renewal, transfer to the second operator's SIM, revocation), --stories N (default 3) on fresh cards:
 *    each phase's median, p95 and share of the whole.
 *
 * Options: --rounds N (default 20), --warmup-rounds N (default 2), --iterations N (paths, default 500),
 *          --db URL (issuance: SQLite file or postgres:// server, default a fresh SQLite file; issuance-load:
 *          the PostgreSQL server, default $JPKI_TEST_POSTGRES_URL), --applicants N (issuance-load, default 200),
 *          --only harness|paths|simulator|startup|compat|personalisation|issuance|issuance-load|authentication|life-cycle
 */
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { createConnection } from 'node:net';
import { parseHex } from '../src/apdu/hex.js';
import { loadScenario } from '../src/script/parser.js';
import { runSuite } from '../src/runner/runner.js';
import { performAction } from '../src/runner/actions.js';
import { ResponseApdu } from '../src/apdu/response.js';
import { SimulatorProcess } from '../src/sim/simulator-process.js';
import { packageRoot } from '../src/package-root.js';
import { PcscTransport } from '../src/transport/pcsc.js';
import { SimTransport } from '../src/transport/sim.js';
import { standardStack } from '../src/transport/wrappers.js';
import type { Transport } from '../src/transport/transport.js';
import type { Scenario } from '../src/script/scenario.js';
import { timingStats, type TimingStats } from '../src/stats.js';
import { formatSummary } from './format.js';
import { benchAppletCommands } from './applet-commands.js';
import { benchLoadFile, timedLoad } from './sim-load.js';
import { benchCompatMatrix } from './compat-matrix.js';
import { benchPersonalisation } from './personalisation.js';
import { benchIssuance } from './issuance.js';
import { benchIssuanceLoad } from './issuance-load.js';
import { benchAuthentication } from './authentication.js';
import { benchLifeCycle } from './life-cycle.js';
import { installFigures, startupFigures } from './startup.js';
import path from 'node:path';

const require = createRequire(import.meta.url);
const SELECT_JPKI = parseHex('00A4040C0AD392F000260100000001');
const BENCH_SLOT_PORT = 35964;
const BENCH_READER = 'Virtual PCD 00 01';

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  const value = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isInteger(value) || value < 0) throw new Error(`${name} needs a non-negative integer`);
  return value;
}

function textOption(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  if (i < 0) return undefined;
  const value = process.argv[i + 1];
  if (value === undefined || value.startsWith('--')) throw new Error(`${name} needs a value`);
  return value;
}

/** The PostgreSQL server for the load benchmark: --db when it is one, else $JPKI_TEST_POSTGRES_URL. */
function postgresServer(): string | undefined {
  const db = textOption('--db');
  return db !== undefined && /^postgres(ql)?:\/\//.test(db) ? db : process.env.JPKI_TEST_POSTGRES_URL;
}

function only(): string | undefined {
  const i = process.argv.indexOf('--only');
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** The bare minimum of node-pcsclite: one reader, connected shared, transmit in a loop. */
interface RawReader {
  readonly name: string;
  readonly SCARD_SHARE_SHARED: number;
  readonly SCARD_PROTOCOL_T0: number;
  readonly SCARD_PROTOCOL_T1: number;
  readonly SCARD_LEAVE_CARD: number;
  on(event: 'error', listener: (e: unknown) => void): void;
  connect(options: { share_mode: number; protocol: number }, cb: (err: unknown, protocol: number) => void): void;
  disconnect(disposition: number, cb: (err: unknown) => void): void;
  transmit(data: Buffer, resLen: number, protocol: number, cb: (err: unknown, response: Buffer) => void): void;
  close(): void;
}
interface RawContext {
  on(event: 'reader', listener: (reader: RawReader) => void): void;
  on(event: 'error', listener: (e: unknown) => void): void;
  close(): void;
}

class RawPcsc {
  private constructor(
    private readonly context: RawContext,
    private readonly readers: RawReader[],
    private readonly reader: RawReader,
    private readonly protocol: number,
  ) {}

  static async open(name: string): Promise<RawPcsc> {
    const context = (require('pcsclite') as () => RawContext)();
    const readers: RawReader[] = [];
    const reader = await new Promise<RawReader>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`raw: no reader '${name}'`)), 10000);
      context.on('reader', (r) => {
        readers.push(r);
        r.on('error', () => undefined);
        if (r.name === name) {
          clearTimeout(timer);
          resolve(r);
        }
      });
      context.on('error', (e) => reject(e instanceof Error ? e : new Error(String(e))));
    });
    const protocol = await new Promise<number>((resolve, reject) =>
      reader.connect({ share_mode: reader.SCARD_SHARE_SHARED, protocol: reader.SCARD_PROTOCOL_T0 | reader.SCARD_PROTOCOL_T1 }, (err, p) =>
        err ? reject(err instanceof Error ? err : new Error((err as { message?: string }).message ?? JSON.stringify(err))) : resolve(p),
      ),
    );
    return new RawPcsc(context, readers, reader, protocol);
  }

  transmit(command: Buffer): Promise<Buffer> {
    return new Promise((resolve, reject) =>
      this.reader.transmit(command, 65538, this.protocol, (err, response) =>
        err ? reject(err instanceof Error ? err : new Error((err as { message?: string }).message ?? JSON.stringify(err))) : resolve(response),
      ),
    );
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.reader.disconnect(this.reader.SCARD_LEAVE_CARD, () => resolve()));
    for (const r of this.readers) r.close(); // every reader's monitor thread, or the process never exits
    this.context.close();
  }
}

/** The APDUs the scenario sends, expanded once (the raw loop gets them for free). */
async function scenarioApdus(scenario: Scenario): Promise<Buffer[]> {
  const apdus: Buffer[] = [];
  for (const step of scenario.steps) {
    await performAction(step.action, {
      exchange: async (command) => {
        apdus.push(Buffer.from(command));
        return new ResponseApdu(parseHex('9000'));
      },
      reset: async () => new Uint8Array(0),
      vars: new Map(),
      position: step.position,
    });
  }
  return apdus;
}

async function harnessVersusRaw(rounds: number, warmupRounds: number): Promise<void> {
  const scenario = loadScenario(path.join(packageRoot(), 'test-vectors', 'scenarios', 'bench-1000-apdus.yaml'));
  const apdus = await scenarioApdus(scenario);
  console.log(
    `harness runner vs raw node-pcsclite: ${apdus.length} APDUs per round, ${rounds} rounds each after ${warmupRounds} warm-up, alternating (ABBA)`,
  );
  const simulator = SimulatorProcess.start({ connect: `127.0.0.1:${BENCH_SLOT_PORT}` }).process;
  let harnessCard: PcscTransport | undefined;
  let raw: RawPcsc | undefined;
  try {
    harnessCard = await PcscTransport.open({ reader: BENCH_READER, timeoutMs: 15000, share: 'shared' });
    // Stamps every command as it reaches the card transport: the interval between two stamps is
    // one full per-APDU cycle (the harness's own work included), measured the same way as raw.
    const stamps = new Float64Array(apdus.length);
    let stamped = 0;
    const card = harnessCard;
    const stamping: Transport = {
      get description() {
        return card.description;
      },
      get atr() {
        return card.atr;
      },
      transmit(command, options) {
        stamps[stamped++] = Number(process.hrtime.bigint());
        return card.transmit(command, options);
      },
      reset: (options) => card.reset(options),
      close: () => card.close(),
    };
    const harness: Transport = standardStack(stamping);
    raw = await RawPcsc.open(BENCH_READER);
    const rawCard = raw;
    const harnessIntervals: number[] = [];
    const rawIntervals: number[] = [];
    const collect = (into: number[] | undefined): void => {
      if (into) for (let i = 1; i < stamped; i++) into.push((stamps[i]! - stamps[i - 1]!) / 1e6);
      stamped = 0;
    };

    const harnessRound = async (into?: number[]): Promise<number> => {
      stamped = 0;
      const start = process.hrtime.bigint();
      const result = await runSuite([scenario], harness);
      const ns = Number(process.hrtime.bigint() - start);
      if (result.exitCode !== 0) throw new Error(`the harness round failed: ${result.aborted?.message ?? `${result.failed} failed steps`}`);
      collect(into);
      return ns / 1e6 / apdus.length;
    };
    const rawRound = async (into?: number[]): Promise<number> => {
      stamped = 0;
      const start = process.hrtime.bigint();
      for (const apdu of apdus) {
        stamps[stamped++] = Number(process.hrtime.bigint());
        const response = await rawCard.transmit(apdu);
        if (response[response.length - 2] !== 0x90) throw new Error('the raw round failed');
      }
      const ns = Number(process.hrtime.bigint() - start);
      collect(into);
      return ns / 1e6 / apdus.length;
    };

    for (let i = 0; i < warmupRounds; i++) {
      await harnessRound();
      await rawRound();
    }
    const h: number[] = [];
    const r: number[] = [];
    const paired: number[] = [];
    for (let i = 0; i < rounds; i++) {
      let hv: number;
      let rv: number;
      if (i % 2 === 0) {
        hv = await harnessRound(harnessIntervals);
        rv = await rawRound(rawIntervals);
      } else {
        rv = await rawRound(rawIntervals);
        hv = await harnessRound(harnessIntervals);
      }
      h.push(hv);
      r.push(rv);
      paired.push(hv / rv);
    }
    const hi = timingStats(harnessIntervals);
    const ri = timingStats(rawIntervals);
    console.log(formatSummary('harness runner, per APDU', hi));
    console.log(formatSummary('raw node-pcsclite, per APDU', ri));
    const ratio = hi.median / ri.median;
    console.log(`\nmedian per-APDU ratio harness/raw: ${ratio.toFixed(3)}  (target ≤ 1.05: ${ratio <= 1.05 ? 'met' : 'NOT met'})`);
    const hs = timingStats(h);
    const rs = timingStats(r);
    const ps = timingStats(paired);
    console.log(
      `whole rounds, per APDU: harness median ${hs.median.toFixed(3)} ms, raw median ${rs.median.toFixed(3)} ms, ` +
        `ratio ${(hs.median / rs.median).toFixed(3)}; paired round ratios median ${ps.median.toFixed(3)} ` +
        `(min ${ps.min.toFixed(3)}, max ${timingStats(paired).p95.toFixed(3)} p95)`,
    );
  } finally {
    await raw?.close();
    await harnessCard?.close();
    await simulator.stop();
  }
}

async function measure(transport: Transport, iterations: number, warmup: number): Promise<TimingStats> {
  const samples: number[] = [];
  for (let i = 0; i < warmup + iterations; i++) {
    const start = process.hrtime.bigint();
    const response = await transport.transmit(SELECT_JPKI);
    const elapsed = Number(process.hrtime.bigint() - start) / 1e6;
    if (response[response.length - 2] !== 0x90 || response[response.length - 1] !== 0x00) {
      throw new Error(`SELECT failed on ${transport.description}`);
    }
    if (i >= warmup) samples.push(elapsed);
  }
  return timingStats(samples);
}

async function paths(iterations: number): Promise<void> {
  const warmup = Math.max(1, Math.floor(iterations / 10));
  console.log(`\nSELECT D392F000260100000001 round trip, ${iterations} iterations after ${warmup} warm-up\n`);
  const direct = await SimTransport.open();
  let directSummary: TimingStats;
  try {
    directSummary = await measure(direct, iterations, warmup);
    console.log(formatSummary('direct (vpcd link, no pcscd)', directSummary));
    await benchAppletCommands('direct link', direct, Math.max(50, Math.floor(iterations / 20)));
  } finally {
    await direct.close();
  }
  const simulator = SimulatorProcess.start({ connect: `127.0.0.1:${BENCH_SLOT_PORT}` }).process;
  try {
    const pcsc = await PcscTransport.open({ reader: BENCH_READER, timeoutMs: 15000 });
    try {
      const pcscSummary = await measure(pcsc, iterations, warmup);
      console.log(formatSummary('pcscd + vpcd (node-pcsclite)', pcscSummary));
      console.log(
        `\nratio pcscd/direct: median ${(pcscSummary.median / directSummary.median).toFixed(2)}x, ` +
          `p95 ${(pcscSummary.p95 / directSummary.p95).toFixed(2)}x`,
      );
      await benchAppletCommands('pcscd + vpcd', pcsc, Math.max(50, Math.floor(iterations / 20)));
    } finally {
      await pcsc.close();
    }
  } finally {
    await simulator.stop();
  }
}

function elapsedMs(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e6;
}

async function loadFigures(transport: Transport, label: string): Promise<void> {
  const file = benchLoadFile(path.join(packageRoot(), 'test-vectors', 'cap', 'jpki-applet.cap'), 20 * 1024);
  for (const [name, level, scp] of [
    ['SCP03 C-MAC', 0x01, 3],
    ['SCP03 C-MAC+C-DEC', 0x03, 3],
    ['SCP02 C-MAC', 0x01, 2],
  ] as const) {
    const runs: number[] = [];
    let blocks = 0;
    await timedLoad(transport, file, level, scp); // warm-up
    for (let i = 0; i < 5; i++) {
      const r = await timedLoad(transport, file, level, scp);
      runs.push(r.installMs + r.totalMilliseconds);
      blocks = r.blocks;
    }
    const s = timingStats(runs);
    console.log(
      `${`LOAD ${file.length} B, ${name} (${label})`.padEnd(46)} ${blocks} blocks  ` +
        `median ${s.median.toFixed(1)} ms  (${(s.median / blocks).toFixed(3)} ms/block, 5 runs)`,
    );
  }
}

/** Simulator start-up and card content management figures (direct link, then pcscd slot 1). */
async function simulatorFigures(pcscd: boolean): Promise<void> {
  console.log('\nsimulated card: start-up and 20 KB LOAD (INSTALL [for load] + LOAD, median of 5 after a warm-up)');
  const directStart = process.hrtime.bigint();
  const direct = await SimTransport.open();
  try {
    await direct.transmit(SELECT_JPKI);
    console.log(`${'simulator ready (start to first answer, direct)'.padEnd(46)} ${elapsedMs(directStart).toFixed(0)} ms`);
    await loadFigures(direct, 'direct');
  } finally {
    await direct.close();
  }
  if (!pcscd) return;
  const pcscStart = process.hrtime.bigint();
  const simulator = SimulatorProcess.start({ connect: `127.0.0.1:${BENCH_SLOT_PORT}` }).process;
  try {
    const pcsc = await PcscTransport.open({ reader: BENCH_READER, timeoutMs: 15000 });
    try {
      await pcsc.transmit(SELECT_JPKI);
      console.log(`${'simulator ready (start to first answer, pcscd)'.padEnd(46)} ${elapsedMs(pcscStart).toFixed(0)} ms`);
      await loadFigures(pcsc, 'pcscd');
    } finally {
      await pcsc.close();
    }
  } finally {
    await simulator.stop();
  }
}

async function main(): Promise<void> {
  const pcscdReady = existsSync('/run/pcscd/pcscd.comm') && (await listening(BENCH_SLOT_PORT));
  const which = only();
  if (which === undefined || which === 'personalisation') await benchPersonalisation(option('--cards', 5));
  if (which === 'personalisation') return;
  if (which === undefined || which === 'issuance') await benchIssuance(option('--rounds', 5), textOption('--db'));
  if (which === undefined || which === 'issuance-load') await benchIssuanceLoad(option('--applicants', 200), postgresServer());
  if (which === undefined || which === 'authentication') await benchAuthentication(option('--rounds', 20), textOption('--db'));
  if (which === undefined || which === 'life-cycle') await benchLifeCycle(option('--stories', 3), textOption('--db'));
  if (which === 'issuance' || which === 'issuance-load' || which === 'authentication' || which === 'life-cycle') return;
  if (!pcscdReady) {
    console.log(`SKIPPED the pcscd measurements: pcscd with the vpcd driver is not running (nothing on port ${BENCH_SLOT_PORT})`);
    if (which === undefined || which === 'simulator') await simulatorFigures(false);
    if (which === undefined || which === 'compat') await benchCompatMatrix(compatLatencyScale());
    if (which === undefined || which === 'startup') {
      startupFigures();
      console.log('SKIPPED install through pcscd: no pcscd with the vpcd driver');
    }
    return;
  }
  if (which === undefined || which === 'harness') await harnessVersusRaw(option('--rounds', 20), option('--warmup-rounds', 2));
  if (which === undefined || which === 'paths') await paths(option('--iterations', 500));
  if (which === undefined || which === 'simulator') await simulatorFigures(true);
  if (which === undefined || which === 'startup') {
    startupFigures();
    await installFigures(BENCH_SLOT_PORT);
  }
  if (which === undefined || which === 'compat') await benchCompatMatrix(compatLatencyScale());
}

function compatLatencyScale(): number {
  const i = process.argv.indexOf('--compat-latency-scale');
  const value = i >= 0 ? Number(process.argv[i + 1]) : 1;
  if (!Number.isFinite(value) || value < 0) throw new Error('--compat-latency-scale needs a non-negative number');
  return value;
}

main().catch((error: unknown) => {
  console.error(`bench: ${(error as Error).message}`);
  process.exitCode = 1;
});
