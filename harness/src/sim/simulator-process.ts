import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { SimulatorError } from '../errors.js';
import { packageRoot } from '../package-root.js';

export function defaultSimulatorJar(): string {
  return process.env.JPKI_SIMULATOR_JAR ?? path.join(packageRoot(), 'build', 'jpki-simulator.jar');
}

export function javaExecutable(): string {
  const home = process.env.JAVA_HOME;
  return home ? path.join(home, 'bin', 'java') : 'java';
}

/** Checks what the simulator needs before starting it, so the error says what is missing. */
export function checkSimulatorPrerequisites(jar: string, java: string = javaExecutable()): void {
  const probe = spawnSync(java, ['-version'], { stdio: 'ignore' });
  if (probe.error || probe.status !== 0) {
    throw new SimulatorError(`Java is not available ('${java} -version' failed): install a JDK 17 or set JAVA_HOME`);
  }
  if (!existsSync(jar)) {
    throw new SimulatorError(`simulator jar not found at ${jar}: build it with 'ant simulator' (or set JPKI_SIMULATOR_JAR)`);
  }
}

export interface SimulatorOptions {
  /** vpcd endpoint the simulated card connects to; several for several independent cards. */
  readonly connect: string | readonly string[];
  readonly jar?: string;
  readonly atr?: string;
  /** Exit when the reader side disconnects (direct transport) instead of reconnecting (pcscd). */
  readonly once?: boolean;
  readonly logFile?: string;
  /** Keep the card (applets, keys, PIN counters, registry) in this file across restarts. */
  readonly stateFile?: string;
  /** With stateFile: start a new card, replacing the file. */
  readonly fresh?: boolean;
  /** T=0 persona: response data fetched with GET RESPONSE after 61xx. */
  readonly t0?: boolean;
  /** A new card's identity (IIN, CIN, CPLC, ICCID, keys, CASD) from this seed, hex: the same seed, the same card. */
  readonly cardSeed?: string;
  /** A new card's issuer identification number (6 bytes, hex) in place of the seed's: the SIM of that operator. */
  readonly iin?: string;
  /** A vendor persona file (test-vectors/personas/*.yaml) for the card. */
  readonly persona?: string;
  /** Multiply the persona's operation times by this factor (0 turns them off). */
  readonly latencyScale?: number;
  /** TEST: the applicant's My Number card (docs/my-number-card.md) instead of a SIM. */
  readonly myNumberCard?: boolean;
  /** Keep running after this Node process exits (sim start). */
  readonly detached?: boolean;
}

/** A running simulator host process. */
export class SimulatorProcess {
  private stderr = '';
  private constructor(readonly child: ChildProcess) {
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (text: string) => {
      this.stderr = (this.stderr + text).slice(-4000);
    });
  }

  /** Starts the simulator; `exited` rejects when the process ends, to abort waits early. */
  static start(options: SimulatorOptions): { process: SimulatorProcess; exited: Promise<never> } {
    const jar = options.jar ?? defaultSimulatorJar();
    const java = javaExecutable();
    checkSimulatorPrerequisites(jar, java);
    const endpoints = typeof options.connect === 'string' ? [options.connect] : options.connect;
    const args = ['-jar', jar, ...endpoints.flatMap((e) => ['--connect', e])];
    if (options.atr) args.push('--atr', options.atr);
    if (options.once) args.push('--once');
    if (options.logFile) args.push('--log', options.logFile);
    if (options.stateFile) args.push('--state', options.stateFile);
    if (options.fresh) args.push('--fresh');
    if (options.t0) args.push('--t0');
    if (options.cardSeed) args.push('--card-seed', options.cardSeed);
    if (options.iin) args.push('--iin', options.iin);
    if (options.persona) args.push('--persona', options.persona);
    if (options.latencyScale !== undefined) args.push('--latency-scale', String(options.latencyScale));
    if (options.myNumberCard) args.push('--my-number-card');
    const child = spawn(java, args, {
      stdio: options.detached ? 'ignore' : ['ignore', 'ignore', 'pipe'],
      detached: options.detached ?? false,
    });
    const sim = new SimulatorProcess(child);
    const exited = new Promise<never>((_, reject) => {
      child.once('error', (e) => reject(new SimulatorError(`cannot start the simulator: ${e.message}`)));
      child.once('exit', (code, signal) =>
        reject(new SimulatorError(`the simulator exited (${signal ?? `code ${code}`})${sim.stderr ? `: ${sim.stderr.trim()}` : ''}`)),
      );
    });
    exited.catch(() => undefined);
    if (options.detached) child.unref();
    return { process: sim, exited };
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const gone = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 2000);
    await gone;
    clearTimeout(timer);
  }
}
