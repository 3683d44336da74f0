import { existsSync } from 'node:fs';
import { createConnection } from 'node:net';
import path from 'node:path';
import { toHex } from '../src/apdu/hex.js';
import { defaultSimulatorJar } from '../src/sim/simulator-process.js';
import { packageRoot } from '../src/package-root.js';
import { PcscTransport } from '../src/transport/pcsc.js';
import type { Transport, TransmitOptions } from '../src/transport/transport.js';

/** Absolute path of a file in test-vectors/. */
export function vector(...parts: string[]): string {
  return path.join(packageRoot(), 'test-vectors', ...parts);
}

export function simulatorJarBuilt(): boolean {
  return existsSync(defaultSimulatorJar());
}

/** True when something listens on the port (pcscd's vpcd driver, for one). */
export function portListening(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

/** Tests that cannot run say so on stderr, so a skip is never silent. */
export function announceSkip(suite: string, reason: string): void {
  process.stderr.write(`\n*** SKIPPED ${suite}: ${reason} ***\n\n`);
}

/**
 * A transport in front of another that passes everything through; tests override `transmit` to
 * watch or alter what crosses (a recorder, an attacker on the path).
 */
export class PassThroughTransport implements Transport {
  constructor(protected readonly inner: Transport) {}
  get description(): string {
    return this.inner.description;
  }
  get atr(): Uint8Array {
    return this.inner.atr;
  }
  transmit(command: Uint8Array, options?: TransmitOptions): Promise<Uint8Array> {
    return this.inner.transmit(command, options);
  }
  reset(options?: { cold?: boolean }): Promise<Uint8Array> {
    return this.inner.reset(options);
  }
  /** The inner transport belongs to whoever opened it. */
  close(): Promise<void> {
    return Promise.resolve();
  }
}

/**
 * Opens `reader` once the simulated card with this suite's own `atr` is in it and answers: the vpcd
 * slots are shared by suites, and another suite's card may occupy the slot for a while.
 */
export async function openOwnCard(reader: string, atr: string, timeoutMs = 45000): Promise<PcscTransport> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const t = await PcscTransport.open({ reader, timeoutMs: 15000 });
      if (toHex(t.atr) === atr) {
        // Just after a restart or a power loss pcscd may still hand out the card that is leaving:
        // only a card that answers (the simulator's stateless status command) is taken.
        const answered = await t.transmit(Uint8Array.of(0xff, 0x70, 0x00, 0x00, 0x00)).then(
          () => true,
          () => false,
        );
        if (answered) return t;
      }
      await t.close().catch(() => undefined);
    } catch (e) {
      if (Date.now() > deadline) throw e;
    }
    if (Date.now() > deadline) throw new Error(`${reader} stays occupied by another card`);
    await new Promise((r) => setTimeout(r, 300));
  }
}
