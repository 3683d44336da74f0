/**
 * Whole-process figures, measured from outside as a user meets them: `jpki-harness --version` and
 * `--help` against a bare `node -e 0`, and `jpki-harness install` of the JPKI CAP on a simulated card
 * through pcscd against `node -e 0` and, when GP_JAR names a GlobalPlatformPro jar, against
 * `java -jar gp.jar --install` on the same card. Runs alternate (A B A B …) and each ratio is taken pair
 * by pair, so that a machine whose speed drifts still compares like with like.
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { toHex } from '../src/apdu/hex.js';
import { SimulatorProcess } from '../src/sim/simulator-process.js';
import { packageRoot } from '../src/package-root.js';
import { PcscTransport } from '../src/transport/pcsc.js';
import { timingStats } from '../src/stats.js';

const CLI = path.join(packageRoot(), 'dist', 'harness', 'src', 'cli', 'main.js');
const NODE_BARE = [process.execPath, '-e', '0'];

/** Wall time of one process, in milliseconds; throws when it fails. */
function wallMs(argv: readonly string[]): number {
  const start = process.hrtime.bigint();
  const r = spawnSync(argv[0]!, argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (r.status !== 0) throw new Error(`${argv.join(' ')} exited ${r.status}: ${r.stderr.trim().split('\n').pop() ?? ''}`);
  return ms;
}

interface Pair {
  readonly a: number;
  readonly b: number;
}

function report(label: string, pairs: readonly Pair[], target?: number): void {
  const a = timingStats(pairs.map((p) => p.a));
  const b = timingStats(pairs.map((p) => p.b));
  const ratio = timingStats(pairs.map((p) => p.a / p.b));
  const verdict = target === undefined ? '' : ratio.median <= target ? `  (target ≤ ${target}: met)` : `  (target ≤ ${target}: NOT met)`;
  console.log(
    `${label.padEnd(46)} median ${a.median.toFixed(0)} ms vs ${b.median.toFixed(0)} ms` +
      `  ratio ${ratio.median.toFixed(2)} [${ratio.min.toFixed(2)}–${ratio.max.toFixed(2)}]${verdict}`,
  );
}

/** A and B in turn, `runs` times each after one warm-up of each. */
function alternate(runs: number, a: () => number, b: () => number): Pair[] {
  a();
  b();
  const pairs: Pair[] = [];
  for (let i = 0; i < runs; i++) pairs.push({ a: a(), b: b() });
  return pairs;
}

/** `--version` and `--help` against `node -e 0`: the cost of starting the CLI at all. */
export function startupFigures(runs = 20): void {
  console.log(`\nCLI start-up, whole processes (wall time, ${runs} alternating pairs after a warm-up)`);
  report(
    'jpki-harness --version vs node -e 0',
    alternate(
      runs,
      () => wallMs([process.execPath, CLI, '--version']),
      () => wallMs(NODE_BARE),
    ),
    1.5,
  );
  report(
    'jpki-harness --help vs node -e 0',
    alternate(
      runs,
      () => wallMs([process.execPath, CLI, '--help']),
      () => wallMs(NODE_BARE),
    ),
    1.5,
  );
}

/** The ATR of the benchmark's own card, so that no other client's card in a shared slot is ever written to. */
const BENCH_ATR = '3B8880014A504B492D42454E4348';

/** Waits until the benchmark's own card (by its ATR) is in the reader; another client's card may hold the slot a while. */
async function waitForOwnCard(reader: string): Promise<void> {
  const deadline = Date.now() + 30000;
  for (;;) {
    try {
      const t = await PcscTransport.open({ reader, timeoutMs: 5000, share: 'shared' });
      const atr = toHex(t.atr);
      await t.close();
      if (atr === BENCH_ATR) return;
    } catch {
      // not there yet
    }
    if (Date.now() > deadline) throw new Error(`${reader} stays occupied by another card`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/**
 * Takes the JPKI package off the card (not timed), so that the next install loads and installs the whole
 * CAP: a simulated SIM comes with the package loaded, as from its maker, and every run installs it.
 */
function withoutPackage(reader: string, run: () => number): number {
  wallMs([process.execPath, CLI, 'gp', 'delete', '--related', '-r', reader, 'D392F0002601000000']);
  return run();
}

function readerOf(port: number): string {
  return `Virtual PCD 00 ${String(port - 35963).padStart(2, '0')}`;
}

/**
 * `jpki-harness install` of the JPKI CAP through pcscd, against `node -e 0` always, and against
 * GlobalPlatformPro's `--install` when GP_JAR names its jar. Both tools install on the same simulated card,
 * one for the whole series. The simulator is a JVM: its LOAD of this CAP takes 150 ms on the first install
 * and under 40 ms from about the tenth on, as its code is compiled. A real card's speed does not change from
 * run to run, so the card is warmed first by WARM_UP_INSTALLS untimed installs, and the ratio compares the
 * tools rather than the simulator's warm-up. The simulator's own start is not timed.
 */
/** Untimed installs before the series: enough for the simulator's JVM to have compiled what a LOAD runs. */
const WARM_UP_INSTALLS = 12;

export async function installFigures(port: number, runs = 7): Promise<void> {
  const reader = readerOf(port);
  const cap = path.join(packageRoot(), 'test-vectors', 'cap', 'jpki-applet.cap');
  console.log(
    `\ninstall of the JPKI CAP through pcscd, the same simulated card for every run (${reader}; ${runs} alternating pairs after a warm-up)`,
  );
  const simulator = SimulatorProcess.start({ connect: `127.0.0.1:${port}`, atr: BENCH_ATR }).process;
  try {
    await waitForOwnCard(reader);
    const harness = (): number => withoutPackage(reader, () => wallMs([process.execPath, CLI, 'install', '-r', reader, '--cap', cap]));
    const warmUp = Array.from({ length: WARM_UP_INSTALLS }, harness);
    console.log(`card warm-up, ${WARM_UP_INSTALLS} untimed installs: first ${warmUp[0]!.toFixed(0)} ms, last ${warmUp.at(-1)!.toFixed(0)} ms`);
    report(
      'jpki-harness install vs node -e 0',
      alternate(runs, harness, () => wallMs(NODE_BARE)),
    );
    const gpJar = process.env.GP_JAR;
    if (gpJar === undefined) {
      console.log(
        'SKIPPED install vs GlobalPlatformPro: set GP_JAR to the path of gp.jar to measure it (GlobalPlatformPro is in no package registry here)',
      );
      return;
    }
    // The simulator's keys: the TEST master 40..4F, diversified per card with KDF3 (test-vectors/profiles/simulator-scp03.yaml).
    const gp = (): number =>
      withoutPackage(reader, () =>
        wallMs(['java', '-jar', gpJar, '-r', reader, '--key', '404142434445464748494A4B4C4D4E4F', '--kdf3', '--install', cap]),
      );
    report('jpki-harness install vs gp.jar --install', alternate(runs, harness, gp), 0.5);
  } finally {
    await simulator.stop();
  }
}
