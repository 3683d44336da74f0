import { CardAbsentError, CardRemovedError, ReaderNotFoundError, TransportError } from '../errors.js';
import {
  openPcscContext,
  openReader,
  pcscUnavailable,
  readersOpenedIn,
  reason,
  type CardReader,
  type PcscContext,
  type ReaderStatus,
} from './pcsc-binding.js';
import { closeContextMonitor, closeMonitors } from './pcsc-monitor.js';
import type { ReaderSelector, TransmitOptions, Transport } from './transport.js';
export type { ReaderSelector } from './transport.js';

/**
 * The newest status each reader reported. node-pcsclite starts one monitor thread per
 * reader; asking again with get_status() would start a second one that close() never
 * joins, and the process would never exit. So status is only ever observed, never polled.
 */
const lastStatus = new WeakMap<CardReader, ReaderStatus>();

function observedReader(context: PcscContext, name: string): CardReader {
  const reader = openReader(context, name);
  reader.on('status', (status) => lastStatus.set(reader, status));
  return reader;
}

/**
 * Stops the context, then the monitor threads of the readers opened in it; without both the process
 * never exits. The context goes first so that nothing new is reported while the readers close.
 */
async function closeContext(context: PcscContext): Promise<void> {
  await closeContextMonitor(context);
  await closeMonitors(readersOpenedIn(context));
}

/** Disconnects from the card, or answers at once when no connection is open. */
function disconnect(reader: CardReader, disposition: number, cb: (err: unknown) => void): void {
  if (reader.connected) reader._disconnect(disposition, cb);
  else cb(undefined);
}

export interface PcscOptions {
  readonly reader?: ReaderSelector;
  /** How long to wait for the reader and for a card in it (default 10 s). */
  readonly timeoutMs?: number;
  readonly share?: 'shared' | 'exclusive';
  readonly protocol?: 'T0' | 'T1' | 'any';
  /** Largest response accepted, in bytes (default 65538: an extended-length response). */
  readonly maxResponseLength?: number;
}

function matches(name: string, index: number, selector: ReaderSelector | undefined): boolean {
  if (selector === undefined) return true;
  if (typeof selector === 'number') return index === selector;
  return name === selector || name.toLowerCase().includes(selector.toLowerCase());
}

/** Reader names as pcscd reports them: its first report, or none when none comes within `waitMs`. */
export async function listReaders(waitMs = 1000): Promise<string[]> {
  const context = openPcscContext();
  try {
    return await new Promise<string[]>((resolve, reject) => {
      const timer = setTimeout(() => resolve([]), waitMs);
      context.on('readers', (names) => {
        clearTimeout(timer);
        resolve([...names]);
      });
      context.on('error', (error: unknown) => {
        clearTimeout(timer);
        reject(pcscUnavailable(error));
      });
    });
  } finally {
    await closeContext(context);
  }
}

/** PC/SC through node-pcsclite: any reader pcscd knows, the vpcd virtual readers included. */
export class PcscTransport implements Transport {
  private closed = false;
  private exclusiveDepth = 0;
  private removal: Error | undefined;

  private constructor(
    private readonly context: PcscContext,
    private readonly reader: CardReader,
    private protocol: number,
    private currentAtr: Uint8Array,
    private readonly options: PcscOptions,
  ) {
    reader.on('status', (status) => {
      if ((status.state & reader.SCARD_STATE_EMPTY) !== 0) {
        this.removal = new CardRemovedError(`the card was removed from '${reader.name}'`);
      }
    });
    reader.on('end', () => {
      this.removal = new CardRemovedError(`the reader '${reader.name}' was removed`);
    });
  }

  get description(): string {
    return `PC/SC reader '${this.reader.name}'`;
  }

  get atr(): Uint8Array {
    return this.currentAtr;
  }

  static async open(options: PcscOptions = {}): Promise<PcscTransport> {
    const timeoutMs = options.timeoutMs ?? 10000;
    const context = openPcscContext();
    try {
      const reader = await PcscTransport.findReader(context, options.reader, timeoutMs);
      const atr = await PcscTransport.waitForCard(reader, timeoutMs);
      const protocol = await PcscTransport.connect(reader, options);
      return new PcscTransport(context, reader, protocol, atr, options);
    } catch (error) {
      await closeContext(context);
      throw error;
    }
  }

  /** The first reader pcscd reports that matches, with its status monitor started (on that reader only). */
  private static findReader(context: PcscContext, selector: ReaderSelector | undefined, timeoutMs: number): Promise<CardReader> {
    return new Promise<CardReader>((resolve, reject) => {
      let seen: readonly string[] = [];
      let settled = false;
      const settle = (): boolean => {
        if (settled) return false;
        settled = true;
        clearTimeout(timer);
        return true;
      };
      const timer = setTimeout(() => {
        if (!settle()) return;
        const which = selector === undefined ? 'any reader' : `a reader matching '${selector}'`;
        reject(new ReaderNotFoundError(`no ${which} within ${timeoutMs} ms; readers: ${seen.length ? seen.join(', ') : 'none'}`));
      }, timeoutMs);
      context.on('readers', (names) => {
        seen = names;
        const name = names.find((candidate, index) => matches(candidate, index, selector));
        // Only one reader is opened, and none once the wait is over: its monitor would outlive the command.
        if (name !== undefined && settle()) resolve(observedReader(context, name));
      });
      context.on('error', (error: unknown) => {
        if (settle()) reject(pcscUnavailable(error));
      });
    });
  }

  private static waitForCard(reader: CardReader, timeoutMs: number): Promise<Uint8Array> {
    return new Promise<Uint8Array>((resolve, reject) => {
      const timer = setTimeout(() => {
        reader.removeListener('status', onStatus);
        reject(new CardAbsentError(`no card in '${reader.name}' within ${timeoutMs} ms`));
      }, timeoutMs);
      const onStatus = (status: { state: number; atr?: Buffer }) => {
        if ((status.state & reader.SCARD_STATE_PRESENT) !== 0 && status.atr && status.atr.length > 0) {
          clearTimeout(timer);
          reader.removeListener('status', onStatus);
          resolve(new Uint8Array(status.atr));
        }
      };
      reader.on('status', onStatus);
      const known = lastStatus.get(reader);
      if (known) onStatus(known);
    });
  }

  private static connect(reader: CardReader, options: PcscOptions): Promise<number> {
    const share = options.share === 'shared' ? reader.SCARD_SHARE_SHARED : reader.SCARD_SHARE_EXCLUSIVE;
    const protocol =
      options.protocol === 'T0'
        ? reader.SCARD_PROTOCOL_T0
        : options.protocol === 'T1'
          ? reader.SCARD_PROTOCOL_T1
          : reader.SCARD_PROTOCOL_T0 | reader.SCARD_PROTOCOL_T1;
    return new Promise<number>((resolve, reject) => {
      reader._connect(share, protocol, (err, chosen) => {
        if (err) reject(new TransportError(`cannot connect to the card in '${reader.name}': ${reason(err)}`));
        else resolve(chosen);
      });
    });
  }

  transmit(command: Uint8Array, _options?: TransmitOptions): Promise<Uint8Array> {
    if (this.closed) return Promise.reject(new TransportError('the PC/SC transport is closed'));
    if (this.removal) return Promise.reject(this.removal);
    return new Promise<Uint8Array>((resolve, reject) => {
      // A view, not a copy: the binding reads the bytes before the call returns.
      const data = Buffer.from(command.buffer, command.byteOffset, command.byteLength);
      this.reader._transmit(data, this.options.maxResponseLength ?? 65538, this.protocol, (err, response) => {
        if (err) {
          const message = reason(err);
          reject(
            this.removal ??
              (/removed|no smart card|reset|unavailable/i.test(message)
                ? new CardRemovedError(`the card in '${this.reader.name}' is gone: ${message}`)
                : new TransportError(`transmit failed on '${this.reader.name}': ${message}`)),
          );
        } else if (response.length < 2) {
          // What pcscd hands back when the card went away during the exchange.
          reject(
            this.removal ?? new CardRemovedError(`the card in '${this.reader.name}' answered ${response.length} bytes (no status word): card gone?`),
          );
        } else {
          resolve(response); // a Buffer is a Uint8Array: no copy
        }
      });
    });
  }

  async reset(options: { cold?: boolean } = {}): Promise<Uint8Array> {
    const disposition = options.cold ? this.reader.SCARD_UNPOWER_CARD : this.reader.SCARD_RESET_CARD;
    await new Promise<void>((resolve, reject) =>
      disconnect(this.reader, disposition, (err) => (err ? reject(new TransportError(reason(err))) : resolve())),
    );
    this.protocol = await PcscTransport.connect(this.reader, this.options);
    // pcscd reports the ATR after a reset as a status change; wait briefly for it.
    this.currentAtr = await new Promise<Uint8Array>((resolve) => {
      const previous = lastStatus.get(this.reader);
      const timer = setTimeout(() => {
        this.reader.removeListener('status', onStatus);
        resolve(new Uint8Array(lastStatus.get(this.reader)?.atr ?? previous?.atr ?? this.currentAtr));
      }, 200);
      const onStatus = (status: ReaderStatus) => {
        if (status.atr && status.atr.length > 0 && (status.state & this.reader.SCARD_STATE_PRESENT) !== 0) {
          clearTimeout(timer);
          this.reader.removeListener('status', onStatus);
          resolve(new Uint8Array(status.atr));
        }
      };
      this.reader.on('status', onStatus);
    });
    return this.currentAtr;
  }

  /**
   * Holds the card for this process alone, for a secure-channel session: another application's
   * command in the middle would break the session's MAC chain. node-pcsclite has no
   * SCardBeginTransaction, so a shared connection is reconnected exclusively (a warm card stays as it
   * is: SCARD_LEAVE_CARD) and shared again afterwards. An exclusive connection already is.
   */
  async beginExclusive(): Promise<void> {
    if (this.options.share !== 'shared' || this.exclusiveDepth++ > 0) return;
    await this.reconnect({ ...this.options, share: 'exclusive' });
  }

  async endExclusive(): Promise<void> {
    if (this.options.share !== 'shared' || this.exclusiveDepth === 0 || --this.exclusiveDepth > 0) return;
    await this.reconnect(this.options);
  }

  private async reconnect(options: PcscOptions): Promise<void> {
    await new Promise<void>((resolve, reject) =>
      disconnect(this.reader, this.reader.SCARD_LEAVE_CARD, (err) => (err ? reject(new TransportError(reason(err))) : resolve())),
    );
    this.protocol = await PcscTransport.connect(this.reader, options);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // A reader that vanished may never answer the disconnect: give it a moment, then release the
    // context regardless (its threads would otherwise keep the process alive).
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 2000);
      try {
        disconnect(this.reader, this.reader.SCARD_RESET_CARD, () => {
          clearTimeout(timer);
          resolve();
        });
      } catch {
        clearTimeout(timer);
        resolve();
      }
    });
    await closeContext(this.context);
  }
}
