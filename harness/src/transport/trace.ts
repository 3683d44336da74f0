import { closeSync, openSync, writeSync } from 'node:fs';
import { readTextFile } from '../read-file.js';
import { redactCommand } from '../apdu/redact.js';
import { toHex } from '../apdu/hex.js';
import { TraceMismatchError, UsageError } from '../errors.js';
import type { TransmitOptions, Transport } from './transport.js';

/**
 * Recorded exchanges, one per line:
 *
 *     # comment
 *     atr 3B8880014A504B492D53494D6B
 *     => 00A4040C0AD392F000260100000001
 *     <= 9000
 *     reset cold
 *     atr 3B8880014A504B492D53494D6B
 *     => 0020008004********
 *     <= 63C2
 *
 * In a command line `*` is a wildcard nibble: a secret body is recorded as `**` per byte and
 * matches any byte of the same length on replay. Spaces inside hex are ignored.
 */
export type TraceEntry =
  | { readonly kind: 'command'; readonly line: number; readonly text: string; readonly value: Uint8Array; readonly mask: Uint8Array }
  | { readonly kind: 'response'; readonly line: number; readonly bytes: Uint8Array }
  | { readonly kind: 'reset'; readonly line: number; readonly cold: boolean }
  | { readonly kind: 'atr'; readonly line: number; readonly bytes: Uint8Array };

function hexBytes(text: string, where: string): Uint8Array {
  const compact = text.replace(/\s/g, '');
  if (!/^([0-9a-fA-F]{2})*$/.test(compact)) throw new UsageError(`${where}: not hex: '${text}'`);
  return Uint8Array.from(Buffer.from(compact, 'hex'));
}

/** Parses trace text; `file` names it in errors. */
export function parseTrace(text: string, file = 'trace'): TraceEntry[] {
  const entries: TraceEntry[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = i + 1;
    const where = `${file}:${line}`;
    const content = raw.trim();
    if (content === '' || content.startsWith('#')) return;
    if (content.startsWith('=>')) {
      const hex = content.slice(2).replace(/\s/g, '');
      if (!/^([0-9a-fA-F*]{2})*$/.test(hex) || hex.length < 8) {
        throw new UsageError(`${where}: a command line is '=> ' and at least 4 bytes of hex ('*' for a hidden nibble), got '${content}'`);
      }
      const value = new Uint8Array(hex.length / 2);
      const mask = new Uint8Array(hex.length / 2);
      for (let n = 0; n < hex.length; n++) {
        const c = hex[n]!;
        if (c === '*') continue;
        const shift = n % 2 === 0 ? 4 : 0;
        value[n >> 1]! |= parseInt(c, 16) << shift;
        mask[n >> 1]! |= 0xf << shift;
      }
      entries.push({ kind: 'command', line, text: hex.toUpperCase(), value, mask });
    } else if (content.startsWith('<=')) {
      const bytes = hexBytes(content.slice(2), where);
      if (bytes.length < 2) throw new UsageError(`${where}: a response line needs at least SW1 SW2`);
      entries.push({ kind: 'response', line, bytes });
    } else if (/^reset\s+(warm|cold)$/.test(content)) {
      entries.push({ kind: 'reset', line, cold: content.endsWith('cold') });
    } else if (content.startsWith('atr ')) {
      entries.push({ kind: 'atr', line, bytes: hexBytes(content.slice(4), where) });
    } else {
      throw new UsageError(`${where}: expected '=> hex', '<= hex', 'reset warm|cold', 'atr hex' or a '#' comment, got '${content}'`);
    }
  });
  for (let i = 0; i < entries.length; i++) {
    const e = entries[i]!;
    if (e.kind === 'command' && entries[i + 1]?.kind !== 'response') {
      throw new UsageError(`${file}:${e.line}: the command has no '<=' response on the next entry`);
    }
    if (e.kind === 'response' && entries[i - 1]?.kind !== 'command') {
      throw new UsageError(`${file}:${e.line}: a response without a command before it`);
    }
  }
  return entries;
}

function firstDifference(entry: Extract<TraceEntry, { kind: 'command' }>, command: Uint8Array): number {
  const n = Math.min(entry.value.length, command.length);
  for (let i = 0; i < n; i++) if ((command[i]! & entry.mask[i]!) !== entry.value[i]) return i;
  return n;
}

function describe(entry: TraceEntry): string {
  switch (entry.kind) {
    case 'command':
      return `=> ${entry.text}`;
    case 'response':
      return `<= ${toHex(entry.bytes)}`;
    case 'reset':
      return `reset ${entry.cold ? 'cold' : 'warm'}`;
    case 'atr':
      return `atr ${toHex(entry.bytes)}`;
  }
}

/**
 * Replays a recorded exchange in place of a card, for tests of everything above the transport.
 * Fails precisely: a command that differs (which byte), a command after the end of the trace,
 * or (assertConsumed) commands the run never sent.
 */
export class TraceTransport implements Transport {
  private next = 0;
  private currentAtr: Uint8Array;

  constructor(
    private readonly entries: readonly TraceEntry[],
    readonly file = 'trace',
  ) {
    const first = entries[0];
    this.currentAtr = first?.kind === 'atr' ? first.bytes : new Uint8Array(0);
    if (first?.kind === 'atr') this.next = 1;
  }

  static fromFile(file: string): TraceTransport {
    const text = readTextFile(file, (reason) => new UsageError(`cannot read the trace '${file}': ${reason}`));
    return new TraceTransport(parseTrace(text, file), file);
  }

  static fromText(text: string, file = 'trace'): TraceTransport {
    return new TraceTransport(parseTrace(text, file), file);
  }

  get description(): string {
    return `trace replay of ${this.file}`;
  }

  get atr(): Uint8Array {
    return this.currentAtr;
  }

  /** Entries not yet replayed. */
  get remaining(): number {
    return this.entries.length - this.next;
  }

  async transmit(command: Uint8Array): Promise<Uint8Array> {
    const entry = this.entries[this.next];
    if (entry === undefined) {
      throw new TraceMismatchError(`${this.file}: unexpected extra command => ${toHex(command)} after the end of the trace`);
    }
    if (entry.kind !== 'command') {
      throw new TraceMismatchError(
        `${this.file}:${entry.line}: the run sent => ${toHex(command)} where the trace has '${describe(entry)}'`,
        entry.line,
      );
    }
    const at = firstDifference(entry, command);
    if (at < entry.value.length || command.length !== entry.value.length) {
      const what =
        at < Math.min(entry.value.length, command.length)
          ? `first difference at byte ${at}`
          : `length ${command.length}, the trace has ${entry.value.length} bytes`;
      throw new TraceMismatchError(
        `${this.file}:${entry.line}: command mismatch (${what}): expected => ${entry.text}, got => ${toHex(command)}`,
        entry.line,
      );
    }
    const response = this.entries[this.next + 1] as Extract<TraceEntry, { kind: 'response' }>;
    this.next += 2;
    return response.bytes;
  }

  async reset(options: { cold?: boolean } = {}): Promise<Uint8Array> {
    const entry = this.entries[this.next];
    const wanted = `reset ${options.cold ? 'cold' : 'warm'}`;
    if (entry === undefined) throw new TraceMismatchError(`${this.file}: unexpected extra '${wanted}' after the end of the trace`);
    if (entry.kind !== 'reset' || entry.cold !== (options.cold ?? false)) {
      throw new TraceMismatchError(`${this.file}:${entry.line}: the run did '${wanted}' where the trace has '${describe(entry)}'`, entry.line);
    }
    this.next++;
    const atr = this.entries[this.next];
    if (atr?.kind === 'atr') {
      this.currentAtr = atr.bytes;
      this.next++;
    }
    return this.currentAtr;
  }

  /** Throws when the trace holds exchanges the run never made. */
  assertConsumed(): void {
    const entry = this.entries[this.next];
    if (entry !== undefined) {
      const rest = this.entries.slice(this.next);
      const commands = rest.filter((e) => e.kind === 'command').length;
      const resets = rest.filter((e) => e.kind === 'reset').length;
      const left = `${commands} command${commands === 1 ? '' : 's'}${resets ? ` and ${resets} reset${resets === 1 ? '' : 's'}` : ''} left`;
      throw new TraceMismatchError(
        `${this.file}:${entry.line}: missing command: the run ended but the trace still expects '${describe(entry)}' (${left})`,
        entry.line,
      );
    }
  }

  async close(): Promise<void> {
    // nothing to release
  }
}

export interface TraceRecorderOptions {
  /** Write secret command bodies as they are instead of `**` (default false). */
  readonly showSecrets?: boolean;
  /** A first comment line. */
  readonly comment?: string;
}

/**
 * A wrapper that writes every exchange of the transport below it to a trace file as it happens
 * (each line reaches the file before the next command), so a crash still leaves a usable trace.
 */
export class TraceRecorder implements Transport {
  private fd: number | undefined;

  constructor(
    private readonly inner: Transport,
    readonly file: string,
    private readonly options: TraceRecorderOptions = {},
  ) {
    this.fd = openSync(file, 'w');
    this.write(`# jpki-harness trace${options.comment ? `: ${options.comment}` : ''}`);
    this.write(`# ${inner.description}`);
    this.write(`atr ${toHex(inner.atr)}`);
  }

  private write(line: string): void {
    if (this.fd !== undefined) writeSync(this.fd, line + '\n');
  }

  get description(): string {
    return this.inner.description;
  }

  get atr(): Uint8Array {
    return this.inner.atr;
  }

  async transmit(command: Uint8Array, options?: TransmitOptions): Promise<Uint8Array> {
    const line = `=> ${options?.secret && !this.options.showSecrets ? redactCommand(command) : toHex(command)}`;
    let response: Uint8Array;
    try {
      response = await this.inner.transmit(command, options);
    } catch (error) {
      this.write(`# ${line} got no response: ${(error as Error).message}`);
      throw error;
    }
    this.write(`${line}\n<= ${toHex(response)}`);
    return response;
  }

  async reset(options: { cold?: boolean } = {}): Promise<Uint8Array> {
    const atr = await this.inner.reset(options);
    this.write(`reset ${options.cold ? 'cold' : 'warm'}`);
    this.write(`atr ${toHex(atr)}`);
    return atr;
  }

  async close(): Promise<void> {
    if (this.fd !== undefined) {
      closeSync(this.fd);
      this.fd = undefined;
    }
    await this.inner.close();
  }
}
