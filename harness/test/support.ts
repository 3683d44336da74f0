import { existsSync } from 'node:fs';
import { createConnection } from 'node:net';
import path from 'node:path';
import { defaultSimulatorJar, packageRoot } from '../src/sim/simulator-process.js';

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
