import { readTextFile } from '../read-file.js';
import path from 'node:path';
import { ScriptError, type SourcePosition } from '../errors.js';
import type { Scenario, Step, StepAction, SwPattern } from './scenario.js';

/**
 * Imports an Oracle Java Card `apdutool` script so existing vendor scripts run unchanged:
 *
 *     // comment            /* block comment *\/
 *     powerup;              → cold reset
 *     powerdown;            → (nothing: the next powerup power-cycles)
 *     echo "text";          → echo step
 *     delay 100;            → pause, milliseconds
 *     output on; output off; contacted; contactless;   → ignored
 *     0x00 0xA4 0x04 0x00 0x0A 0xD3 ... 0x7F;         → CLA INS P1 P2 LC [data] LE
 *
 * Bytes are 0x-prefixed hex or decimal. LC gives the number of data bytes (0: none); the last
 * byte is LE and is sent as written (the apdutool convention 0x7F included). Expectations are
 * not part of the format: imported steps check no status word unless `expectSw` is given.
 */
export interface ApdutoolOptions {
  /** Status-word patterns every APDU step must match (default: not checked). */
  readonly expectSw?: readonly SwPattern[];
}

interface Statement {
  readonly text: string;
  readonly position: SourcePosition;
}

function statements(text: string, file: string): Statement[] {
  const out: Statement[] = [];
  let line = 1;
  let col = 1;
  let current = '';
  let start: SourcePosition | undefined;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    const next = text[i + 1];
    if (!inString && c === '/' && next === '/') {
      while (i < text.length && text[i] !== '\n') i++;
      i--;
      continue;
    }
    if (!inString && c === '/' && next === '*') {
      const end = text.indexOf('*/', i + 2);
      const skipped = end < 0 ? text.slice(i) : text.slice(i, end + 2);
      for (const ch of skipped) {
        if (ch === '\n') {
          line++;
          col = 1;
        } else col++;
      }
      i += skipped.length - 1;
      continue;
    }
    if (c === '"') inString = !inString;
    if (c === ';' && !inString) {
      if (current.trim() !== '') out.push({ text: current.trim(), position: start! });
      current = '';
      start = undefined;
    } else {
      if (start === undefined && !/\s/.test(c)) start = { file, line, column: col };
      current += c;
    }
    if (c === '\n') {
      line++;
      col = 1;
    } else col++;
  }
  if (current.trim() !== '') {
    throw new ScriptError(start!, `statement '${current.trim().slice(0, 40)}' does not end with ';'`);
  }
  return out;
}

function parseByte(token: string, position: SourcePosition): number {
  const value = /^0x[0-9a-f]{1,2}$/i.test(token) ? parseInt(token.slice(2), 16) : /^\d{1,3}$/.test(token) ? Number(token) : NaN;
  if (!Number.isInteger(value) || value > 0xff) throw new ScriptError(position, `'${token}' is not a byte (0x00..0xFF or 0..255)`);
  return value;
}

export function parseApdutool(text: string, file: string, options: ApdutoolOptions = {}): Scenario {
  const steps: Step[] = [];
  const add = (action: StepAction, name: string, position: SourcePosition, apdu: boolean): void => {
    steps.push({
      name,
      action,
      expect: { sw: apdu ? (options.expectSw ?? []) : [] },
      capture: [],
      secret: false,
      tags: [],
      position,
      key: `${position.file}:${position.line}:${position.column}`,
    });
  };
  for (const s of statements(text, file)) {
    const words = s.text.split(/\s+/);
    const keyword = words[0]!.toLowerCase();
    if (keyword === 'powerup') add({ kind: 'reset', cold: true }, 'powerup', s.position, false);
    else if (keyword === 'powerdown' || keyword === 'output' || keyword === 'contacted' || keyword === 'contactless') continue;
    else if (keyword === 'echo') {
      const m = /^echo\s+"([^"]*)"$/i.exec(s.text);
      if (!m) throw new ScriptError(s.position, 'echo takes one "quoted string"');
      add({ kind: 'echo', message: { text: m[1]!, constant: m[1]! } }, `echo`, s.position, false);
    } else if (keyword === 'delay') {
      const ms = Number(words[1]);
      if (words.length !== 2 || !Number.isInteger(ms) || ms < 0) throw new ScriptError(s.position, 'delay takes one integer (milliseconds)');
      add({ kind: 'delay', milliseconds: ms }, `delay ${ms} ms`, s.position, false);
    } else if (/^(0x[0-9a-f]+|\d+)$/i.test(words[0]!)) {
      const bytes = words.map((w) => parseByte(w, s.position));
      if (bytes.length < 6) throw new ScriptError(s.position, `an APDU is CLA INS P1 P2 LC [data] LE: at least 6 bytes, got ${bytes.length}`);
      const lc = bytes[4]!;
      if (bytes.length !== 6 + lc) {
        throw new ScriptError(s.position, `LC is ${lc}, so the APDU has ${6 + lc} bytes (CLA INS P1 P2 LC data LE), got ${bytes.length}`);
      }
      const le = bytes[bytes.length - 1]!;
      const apdu = Uint8Array.from(lc === 0 ? [...bytes.slice(0, 4), le] : [...bytes.slice(0, 5 + lc), le]);
      const hex = Buffer.from(apdu).toString('hex').toUpperCase();
      add({ kind: 'send', apdu: { text: hex, constant: apdu } }, `${s.position.line}: ${hex.slice(0, 8)}`, s.position, true);
    } else {
      throw new ScriptError(
        s.position,
        `unknown apdutool statement '${words[0]}' (expected powerup, powerdown, echo, delay, output, or an APDU of 0x.. bytes)`,
      );
    }
  }
  if (steps.length === 0) throw new ScriptError({ file, line: 1, column: 1 }, 'the apdutool script has no statements');
  return { file, name: path.basename(file), tags: [], vars: {}, steps };
}

export function loadApdutool(file: string, options: ApdutoolOptions = {}): Scenario {
  const text = readTextFile(file, (reason) => new ScriptError({ file, line: 1, column: 1 }, `cannot read the script: ${reason}`));
  return parseApdutool(text, file, options);
}
