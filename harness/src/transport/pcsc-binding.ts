/**
 * node-pcsclite's native addon, driven directly rather than through the package's JavaScript layer.
 *
 * That layer starts a status-monitor thread on every reader pcscd announces, whether the command uses
 * it or not, and finds the addon through the `bindings` package, which probes build folders with
 * requires that fail: about 5 ms of every PC/SC command here. This module loads the addon from the
 * package's build folder, reports the reader names, and starts a monitor only on a reader that is
 * opened. Every thread it starts is stopped through pcsc-monitor.ts.
 */
import { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { TransportError } from '../errors.js';
import { watchContext, watchMonitor, type MonitoredContext, type MonitoredReader } from './pcsc-monitor.js';

export interface ReaderStatus {
  readonly state: number;
  readonly atr?: Buffer;
}

/** A reader with node-pcsclite's status monitor on it; the constants are pcsc-lite's. */
export interface CardReader extends MonitoredReader {
  readonly name: string;
  readonly SCARD_SHARE_SHARED: number;
  readonly SCARD_SHARE_EXCLUSIVE: number;
  readonly SCARD_PROTOCOL_T0: number;
  readonly SCARD_PROTOCOL_T1: number;
  readonly SCARD_STATE_EMPTY: number;
  readonly SCARD_STATE_PRESENT: number;
  readonly SCARD_RESET_CARD: number;
  readonly SCARD_UNPOWER_CARD: number;
  readonly SCARD_LEAVE_CARD: number;
  /** Set by the addon: whether a connection to the card is open. */
  readonly connected?: boolean;
  on(event: 'status', listener: (status: ReaderStatus) => void): this;
  on(event: 'end', listener: () => void): this;
  on(event: 'error', listener: (error: unknown) => void): this;
  removeListener(event: 'status', listener: (status: ReaderStatus) => void): this;
  _connect(share: number, protocol: number, cb: (err: unknown, protocol: number) => void): void;
  _disconnect(disposition: number, cb: (err: unknown) => void): void;
  _transmit(data: Buffer, resLen: number, protocol: number, cb: (err: unknown, response: Buffer) => void): void;
  close(): void;
}

/** The PC/SC context: the names of the readers as pcscd reports them, and the readers opened in it. */
export interface PcscContext extends MonitoredContext {
  on(event: 'readers', listener: (names: readonly string[]) => void): this;
  on(event: 'error', listener: (error: unknown) => void): this;
  close(): void;
}

interface NativeReader extends CardReader {
  get_status(cb: (err: unknown, state: number, atr?: Buffer) => void): void;
  emit(event: string, ...args: unknown[]): boolean;
  removeAllListeners(event: string): this;
}

interface NativeContext extends PcscContext {
  start(cb: (err: unknown, names: Buffer) => void): void;
  emit(event: string, ...args: unknown[]): boolean;
}

interface Addon {
  PCSCLite: new () => NativeContext;
  CardReader: new (name: string) => NativeReader;
}

let addon: Addon | undefined;

/** The readers opened in each context, so that closing a context reaches every monitor thread it started. */
const openedIn = new WeakMap<PcscContext, NativeReader[]>();

function loadAddon(): Addon {
  if (addon !== undefined) return addon;
  const require = createRequire(import.meta.url);
  try {
    const root = path.dirname(require.resolve('pcsclite/package.json'));
    const file = ['Release', 'Debug'].map((build) => path.join(root, 'build', build, 'pcsclite.node')).find((f) => existsSync(f));
    if (file === undefined) throw new Error(`no build/Release/pcsclite.node in ${root}`);
    const loaded = require(file) as Addon;
    // The addon's objects report through this.emit (a reader's '_end'), as the package's own layer arranges.
    for (const native of [loaded.PCSCLite, loaded.CardReader]) {
      for (const key of Object.getOwnPropertyNames(EventEmitter.prototype)) {
        if (key !== 'constructor') Object.defineProperty(native.prototype, key, Object.getOwnPropertyDescriptor(EventEmitter.prototype, key)!);
      }
    }
    addon = loaded;
    return loaded;
  } catch (error) {
    throw new TransportError(
      `the PC/SC binding (npm 'pcsclite') is not usable: ${(error as Error).message}. Install libpcsclite-dev and run npm install again.`,
    );
  }
}

/**
 * Opens a PC/SC context. It reports the reader names ('readers', at once and after every change) and
 * errors; its own close comes back as an error ("Command cancelled"), which is nobody's concern.
 */
export function openPcscContext(): PcscContext {
  const { PCSCLite } = loadAddon();
  let context: NativeContext;
  try {
    context = new PCSCLite();
  } catch (error) {
    throw pcscUnavailable(error);
  }
  watchContext(context);
  openedIn.set(context, []);
  context.on('error', () => undefined);
  context.start((err, names) => {
    if (err) context.emit('error', err);
    else context.emit('readers', readerNames(names));
  });
  return context;
}

/** Starts the status monitor on one reader; its first report (at once) carries the card's state and ATR. */
export function openReader(context: PcscContext, name: string): CardReader {
  const reader = new (loadAddon().CardReader)(name);
  openedIn.get(context)?.push(reader);
  reader.on('error', () => undefined);
  // The addon's own event when the monitor thread has ended, relayed as 'end'.
  reader.on('_end' as 'end', () => {
    reader.removeAllListeners('status');
    reader.emit('end');
  });
  watchMonitor(reader);
  reader.get_status((err, state, atr) => {
    if (err) reader.emit('error', err);
    else reader.emit('status', atr && atr.length > 0 ? { state, atr } : { state });
  });
  return reader;
}

/** The readers opened in the context (see openReader). */
export function readersOpenedIn(context: PcscContext): readonly CardReader[] {
  return openedIn.get(context) ?? [];
}

/**
 * The text of what node-pcsclite hands to a callback as an error: an object with a `message` (not always an
 * Error of this realm: the native binding builds its own), or a string.
 */
export function reason(error: unknown): string {
  if (typeof error === 'string') return error;
  const message = (error as { message?: unknown } | null)?.message;
  return typeof message === 'string' ? message : (JSON.stringify(error) ?? 'unknown error');
}

/** The error for a context pcscd refuses or drops. */
export function pcscUnavailable(error: unknown): TransportError {
  return new TransportError(`PC/SC is not available (is pcscd running?): ${reason(error)}`);
}

/** pcsc-lite's multi-string: names ended by NUL, the list ended by a second NUL. */
function readerNames(multiString: Buffer | undefined): string[] {
  return (multiString?.toString('utf8') ?? '').split('\0').filter((name) => name.length > 0);
}
