/**
 * How secret APDUs are written wherever the harness shows or stores them (logs, traces, reports, the
 * shell): the header and length stay, the body becomes `**` per byte, hex in messages becomes
 * [redacted]. One place, so every output hides the same things.
 */
import { toHex } from './hex.js';

/** A secret command: header and Lc, then `**` per body byte. */
export function redactCommand(command: Uint8Array): string {
  if (command.length <= 5) return toHex(command);
  const headerLength = command[4] === 0 && command.length > 7 ? 7 : 5;
  return toHex(command.subarray(0, headerLength)) + '**'.repeat(command.length - headerLength);
}

/** The response to a secret command: `**` per data byte, then the status word. */
export function redactResponse(response: Uint8Array): string {
  const sw = response.length >= 2 ? toHex(response.subarray(response.length - 2)) : '';
  return '**'.repeat(Math.max(0, response.length - 2)) + sw;
}

const HEX_RUN = /\b[0-9A-F]{8,}\b/g;

/** Text about a secret step (a failure message): every run of 8 or more hex digits hidden. */
export function redactText(text: string): string {
  return text.replace(HEX_RUN, '[redacted]');
}
