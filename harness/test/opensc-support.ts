/**
 * What the suites that run unmodified OpenSC against the simulator through pcscd need before they can:
 * the simulator jar, pcscd with the vpcd driver listening on the slot's port, OpenSC's tools and its PKCS#11
 * module (and whatever else a suite names). Each suite says why it is skipped, loudly.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import { findOpenscModule } from '../src/services/verifier/pkcs11.js';
import { portListening, simulatorJarBuilt } from './support.js';

const exec = promisify(execFile);

/** OpenSC's PKCS#11 module on this machine, if installed. */
export const OPENSC_MODULE = findOpenscModule();

/**
 * pkcs11-tool's arguments to log in with `pin` and sign the file `input` into `output` with the JPKI
 * authentication key (object 01, SHA-256 with PKCS#1 v1.5), as a relying party's client would.
 */
export function pkcs11SignArguments(pin: string, input: string, output: string): string[] {
  return ['--login', '--pin', pin, '--sign', '--id', '01', '-m', 'SHA256-RSA-PKCS', '--input-file', input, '--output-file', output];
}

export async function commandExists(tool: string): Promise<boolean> {
  try {
    await exec('sh', ['-c', `command -v ${tool}`]);
    return true;
  } catch {
    return false;
  }
}

/** Why OpenSC cannot be run against a simulated card in the vpcd slot on `slotPort`; undefined when it can. */
export async function openscSkipReason(slotPort: number, alsoNeeded: readonly string[] = []): Promise<string | undefined> {
  if (!simulatorJarBuilt()) return 'build/jpki-simulator.jar is missing (run ant simulator)';
  if (!existsSync('/run/pcscd/pcscd.comm') || !(await portListening(slotPort))) {
    return `pcscd with the vpcd driver is not running (nothing on port ${slotPort})`;
  }
  if (!(await commandExists('pkcs15-tool')) || !(await commandExists('pkcs11-tool')) || OPENSC_MODULE === undefined) {
    return 'OpenSC is not installed (apt-get install opensc)';
  }
  for (const tool of alsoNeeded) if (!(await commandExists(tool))) return `the ${tool} command is not installed`;
  return undefined;
}
