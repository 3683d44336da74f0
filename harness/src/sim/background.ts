import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { SimulatorError } from '../errors.js';
import { SimulatorProcess } from './simulator-process.js';

import { VPCD_FIRST_SLOT_PORT } from './ports.js';

export { VPCD_FIRST_SLOT_PORT };

function stateDir(): string {
  return path.join(process.env.XDG_RUNTIME_DIR ?? os.tmpdir(), 'jpki-harness');
}

function pidFile(port: number): string {
  return path.join(stateDir(), `simulator-${port}.pid`);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

export interface BackgroundStatus {
  readonly port: number;
  readonly pid?: number;
  readonly running: boolean;
  /** Whether a vpcd reader (pcscd) listens on the port the card plugs into. */
  readonly readerListening: boolean;
}

function portListening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    const done = (value: boolean) => {
      socket.destroy();
      resolve(value);
    };
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
    socket.setTimeout(500, () => done(false));
  });
}

export async function simulatorStatus(port = VPCD_FIRST_SLOT_PORT): Promise<BackgroundStatus> {
  const file = pidFile(port);
  const pid = existsSync(file) ? Number(readFileSync(file, 'utf8').trim()) : undefined;
  const running = pid !== undefined && Number.isInteger(pid) && alive(pid);
  return { port, ...(running ? { pid } : {}), running, readerListening: await portListening(port) };
}

/** Starts a simulated card in the background, plugged into pcscd's vpcd slot at `port`. */
export async function startBackgroundSimulator(
  options: {
    port?: number;
    jar?: string;
    atr?: string;
    logFile?: string;
    stateFile?: string;
    fresh?: boolean;
    t0?: boolean;
    cardSeed?: string;
    /** TEST: the applicant's My Number card instead of a SIM. */
    myNumberCard?: boolean;
  } = {},
): Promise<BackgroundStatus> {
  const port = options.port ?? VPCD_FIRST_SLOT_PORT;
  const before = await simulatorStatus(port);
  if (before.running) return before;
  const { process: sim } = SimulatorProcess.start({
    connect: `127.0.0.1:${port}`,
    detached: true,
    ...(options.jar !== undefined ? { jar: options.jar } : {}),
    ...(options.atr !== undefined ? { atr: options.atr } : {}),
    ...(options.logFile !== undefined ? { logFile: options.logFile } : {}),
    ...(options.stateFile !== undefined ? { stateFile: options.stateFile } : {}),
    ...(options.fresh ? { fresh: true } : {}),
    ...(options.t0 ? { t0: true } : {}),
    ...(options.cardSeed !== undefined ? { cardSeed: options.cardSeed } : {}),
    ...(options.myNumberCard ? { myNumberCard: true } : {}),
  });
  const pid = sim.child.pid;
  if (pid === undefined) throw new SimulatorError('the simulator did not start');
  mkdirSync(stateDir(), { recursive: true });
  writeFileSync(pidFile(port), `${pid}\n`);
  return { port, pid, running: true, readerListening: before.readerListening };
}

export async function stopBackgroundSimulator(port = VPCD_FIRST_SLOT_PORT): Promise<boolean> {
  const status = await simulatorStatus(port);
  rmSync(pidFile(port), { force: true });
  if (!status.running || status.pid === undefined) return false;
  process.kill(status.pid, 'SIGTERM');
  for (let i = 0; i < 50 && alive(status.pid); i++) await new Promise((r) => setTimeout(r, 50));
  if (alive(status.pid)) process.kill(status.pid, 'SIGKILL');
  return true;
}
