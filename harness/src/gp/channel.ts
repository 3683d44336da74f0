/** What the SCP02 and SCP03 implementations have in common, and the command parsing they share. */
import type { CommandApdu } from '../apdu/command.js';
import { GpConfigError } from './errors.js';

/** Security level of a secure channel session (P1 of EXTERNAL AUTHENTICATE). */
export const SecurityLevel = {
  NONE: 0x00,
  C_MAC: 0x01,
  C_DECRYPTION: 0x02,
  R_MAC: 0x10,
  R_ENCRYPTION: 0x20,
} as const;

/** Checks that a security level combination is one the specifications allow. */
export function checkSecurityLevel(level: number, scp: 2 | 3): void {
  const known = 0x01 | 0x02 | 0x10 | 0x20;
  if (!Number.isInteger(level) || level < 0 || (level & ~known) !== 0) {
    throw new GpConfigError(`security level ${level.toString(16)} has unknown bits`);
  }
  if (level & 0x02 && !(level & 0x01)) throw new GpConfigError('C-DECRYPTION needs C-MAC (security level 03, not 02)');
  if (level & 0x20 && !(level & 0x10)) throw new GpConfigError('R-ENCRYPTION needs R-MAC (security level 30, not 20)');
  if (level & 0x20 && !(level & 0x02)) throw new GpConfigError('R-ENCRYPTION needs C-DECRYPTION (security level 33)');
  if (scp === 2 && level & 0x20) throw new GpConfigError('SCP02 has no R-ENCRYPTION');
}

/** Parses a security level from text: hex ("33"), or names joined by "+" ("cmac+cdec+rmac+renc"). */
export function parseSecurityLevel(text: string): number {
  const t = text.trim().toLowerCase();
  if (/^(0x)?[0-9a-f]{1,2}$/.test(t)) return parseInt(t.replace(/^0x/, ''), 16);
  const names: Record<string, number> = {
    none: 0,
    mac: 0x01,
    cmac: 0x01,
    'c-mac': 0x01,
    enc: 0x03,
    cdec: 0x02,
    'c-dec': 0x02,
    'c-decryption': 0x02,
    rmac: 0x10,
    'r-mac': 0x10,
    renc: 0x20,
    'r-enc': 0x20,
    'r-encryption': 0x20,
  };
  let level = 0;
  for (const part of t.split('+')) {
    const v = names[part.trim()];
    if (v === undefined) throw new GpConfigError(`unknown security level '${part}' (use hex like 33, or cmac+cdec+rmac+renc)`);
    level |= v;
  }
  return level;
}

/** One direction-aware wrapper of a live secure channel: commands in, protected commands out; and back for responses. */
export interface SecureChannelWrapper {
  readonly scp: 2 | 3;
  readonly securityLevel: number;
  /** Protects a command; the result is what goes on the wire. */
  wrap(command: CommandApdu): CommandApdu;
  /** Checks and strips the protection of the response to the command last wrapped; returns data || SW. */
  unwrap(response: Uint8Array): Uint8Array;
}

/** The length field of the protected command as the MAC sees it: one byte, or 00 hi lo when extended. */
export function macLengthField(length: number, extended: boolean): Uint8Array {
  return extended ? Uint8Array.of(0, length >> 8, length & 0xff) : Uint8Array.of(length);
}
