import { decodeCommand, encodeCommand } from '../apdu/command.js';
import { concatBytes, toHex } from '../apdu/hex.js';
import { TransportError } from '../errors.js';
import { redactCommand } from '../apdu/redact.js';
import type { TransmitOptions, Transport } from './transport.js';

/**
 * Wrappers stack on any transport and are transports themselves. Each passes `reset`,
 * `close`, `atr` and `description` through and changes only what it is for.
 */
abstract class TransportWrapper implements Transport {
  constructor(protected readonly inner: Transport) {}
  get description(): string {
    return this.inner.description;
  }
  get atr(): Uint8Array {
    return this.inner.atr;
  }
  abstract transmit(command: Uint8Array, options?: TransmitOptions): Promise<Uint8Array>;
  reset(options?: { cold?: boolean }): Promise<Uint8Array> {
    return this.inner.reset(options);
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

export interface LoggingOptions {
  /** Show secret command bodies (default: header and length only). */
  readonly showSecrets?: boolean;
}

/** Writes `=> command` and `<= response (ms)` for every exchange to a sink. */
export class LoggingTransport extends TransportWrapper {
  constructor(
    inner: Transport,
    private readonly sink: (line: string) => void,
    private readonly options: LoggingOptions = {},
  ) {
    super(inner);
  }

  async transmit(command: Uint8Array, options?: TransmitOptions): Promise<Uint8Array> {
    this.sink(`=> ${options?.secret && !this.options.showSecrets ? redactCommand(command) : toHex(command)}`);
    const start = process.hrtime.bigint();
    const response = await this.inner.transmit(command, options);
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    this.sink(`<= ${toHex(response)}  (${ms.toFixed(3)} ms)`);
    return response;
  }

  override async reset(options: { cold?: boolean } = {}): Promise<Uint8Array> {
    const atr = await this.inner.reset(options);
    this.sink(`-- ${options.cold ? 'cold' : 'warm'} reset, ATR ${toHex(atr)}`);
    return atr;
  }
}

/** One timed exchange as seen at the wire below the wrapper. */
export interface TimedExchange {
  readonly command: Uint8Array;
  readonly response: Uint8Array;
  readonly nanoseconds: number;
}

/**
 * Times every exchange with the monotonic high-resolution clock. `onExchange` sees each one;
 * placed under the ISO wrapper it times GET RESPONSE and chained blocks separately.
 */
export class TimingTransport extends TransportWrapper {
  /** Total nanoseconds and count since creation. */
  totalNanoseconds = 0;
  count = 0;

  constructor(
    inner: Transport,
    private readonly onExchange?: (exchange: TimedExchange) => void,
  ) {
    super(inner);
  }

  async transmit(command: Uint8Array, options?: TransmitOptions): Promise<Uint8Array> {
    const start = process.hrtime.bigint();
    const response = await this.inner.transmit(command, options);
    const nanoseconds = Number(process.hrtime.bigint() - start);
    this.totalNanoseconds += nanoseconds;
    this.count++;
    this.onExchange?.({ command, response, nanoseconds });
    return response;
  }
}

export interface IsoOptions {
  /** Answer 61xx with GET RESPONSE until the data is complete (default true). */
  readonly getResponse?: boolean;
  /** Re-send a command answered 6Cxx with Le = xx (default true). */
  readonly resendOnWrongLength?: boolean;
  /** Upper bound on GET RESPONSE rounds for one command (default 256). */
  readonly maxGetResponse?: number;
}

/**
 * T=0 style response handling, switchable because vendors differ: `61xx` fetches the rest with
 * GET RESPONSE (`00 C0 00 00 xx`, channel bits of the command's CLA) and concatenates the data;
 * `6Cxx` re-sends the same command with Le = xx.
 */
export class IsoTransport extends TransportWrapper {
  private readonly getResponse: boolean;
  private readonly resend: boolean;
  private readonly maxGetResponse: number;

  constructor(inner: Transport, options: IsoOptions = {}) {
    super(inner);
    this.getResponse = options.getResponse ?? true;
    this.resend = options.resendOnWrongLength ?? true;
    this.maxGetResponse = options.maxGetResponse ?? 256;
  }

  transmit(command: Uint8Array, options?: TransmitOptions): Promise<Uint8Array> {
    // No async frame on the way: most answers are neither 61xx nor 6Cxx and pass straight back. The
    // command travels in the closure, not in a field, so that two commands in flight (two callers on
    // one stack) cannot complete each other's answers.
    return this.inner.transmit(command, options).then((response) => {
      const sw1 = response[response.length - 2];
      if ((sw1 === 0x61 && this.getResponse) || (sw1 === 0x6c && this.resend)) return this.complete(command, response, options);
      return response;
    });
  }

  private async complete(command: Uint8Array, first: Uint8Array, options?: TransmitOptions): Promise<Uint8Array> {
    let response = first;
    let sw1 = response[response.length - 2];
    if (sw1 === 0x6c && this.resend) {
      response = await this.inner.transmit(withLe(command, response[response.length - 1]!), options);
      sw1 = response[response.length - 2];
    }
    if (sw1 !== 0x61 || !this.getResponse) return response;
    const parts: Uint8Array[] = [];
    for (let round = 0; sw1 === 0x61; round++) {
      if (round >= this.maxGetResponse) throw new TransportError(`the card kept answering 61xx after ${round} GET RESPONSE commands`);
      parts.push(response.subarray(0, response.length - 2));
      const le = response[response.length - 1]!;
      response = await this.inner.transmit(Uint8Array.of(getResponseClass(command[0]!), 0xc0, 0x00, 0x00, le));
      sw1 = response[response.length - 2];
    }
    parts.push(response);
    return concatBytes(...parts);
  }
}

/** The interindustry class with the command's logical channel: 0–3 in bits 1–2, 4–19 in the further-class coding. */
export function getResponseClass(cla: number): number {
  return (cla & 0x40) !== 0 ? 0x40 | (cla & 0x0f) : cla & 0x03;
}

/** The command with its Le replaced (or added): short form only, as 6Cxx is a T=0 answer. */
export function withLe(command: Uint8Array, le: number): Uint8Array {
  const decoded = decodeCommand(command);
  return encodeCommand({ ...decoded, ne: le === 0 ? 256 : le });
}

/**
 * Whether an ATR announces extended Lc/Le: the card-capabilities object (compact TLV tag 7,
 * third software-function byte, bit 0x40) in its historical bytes.
 */
export function atrSupportsExtendedLength(atr: Uint8Array): boolean {
  if (atr.length < 2) return false;
  const t0 = atr[1]!;
  const historicalCount = t0 & 0x0f;
  let i = 2;
  let y = t0 >> 4;
  let protocolBytes = true;
  while (protocolBytes) {
    let td: number | undefined;
    for (const bit of [0x1, 0x2, 0x4, 0x8]) {
      if ((y & bit) === 0) continue;
      if (bit === 0x8) td = atr[i];
      i++;
    }
    if (td === undefined) protocolBytes = false;
    else y = td >> 4;
  }
  const historical = atr.subarray(i, i + historicalCount);
  if (historical[0] !== 0x80) return false;
  for (let j = 1; j < historical.length;) {
    const tag = historical[j]! >> 4;
    const length = historical[j]! & 0x0f;
    if (tag === 7 && length >= 3) return (historical[j + 3]! & 0x40) !== 0;
    j += 1 + length;
  }
  return false;
}

export interface ChainingOptions {
  /**
   * Whether the card takes extended-length APDUs: true, false, or 'atr' to read it from the
   * card-capabilities bytes of the ATR (default 'atr').
   */
  readonly extendedLength?: boolean | 'atr';
  /** Largest data field per chained block (default 255). */
  readonly blockSize?: number;
}

/**
 * Sends commands whose data does not fit a short APDU: as they are (extended length) when the
 * card allows it, else as a chain of short commands (CLA bit 0x10 on all but the last block).
 * An extended Le becomes a short Le of 256 on a card without extended length.
 */
export class ChainingTransport extends TransportWrapper {
  private readonly blockSize: number;
  private readonly extendedSetting: boolean | 'atr';

  constructor(inner: Transport, options: ChainingOptions = {}) {
    super(inner);
    this.blockSize = options.blockSize ?? 255;
    this.extendedSetting = options.extendedLength ?? 'atr';
    if (this.blockSize < 1 || this.blockSize > 255) throw new RangeError('blockSize must be 1..255');
  }

  get extendedLength(): boolean {
    return this.extendedSetting === 'atr' ? atrSupportsExtendedLength(this.inner.atr) : this.extendedSetting;
  }

  transmit(command: Uint8Array, options?: TransmitOptions): Promise<Uint8Array> {
    // Fast path: a short APDU (at most 4 + 1 + 255 + 1 bytes, not starting an extended body).
    if (command.length <= 5 || (command.length <= 261 && command[4] !== 0)) return this.inner.transmit(command, options);
    return this.transmitLong(command, options);
  }

  private async transmitLong(command: Uint8Array, options?: TransmitOptions): Promise<Uint8Array> {
    const decoded = decodeCommand(command);
    if (!decoded.extended || this.extendedLength) return this.inner.transmit(command, options);
    const data = decoded.data ?? new Uint8Array(0);
    const ne = decoded.ne === undefined ? undefined : Math.min(decoded.ne, 256);
    if (data.length <= 255) {
      return this.inner.transmit(encodeCommand({ ...decoded, data, ...(ne !== undefined ? { ne } : {}) }), options);
    }
    let response: Uint8Array = new Uint8Array(0);
    for (let offset = 0; offset < data.length; offset += this.blockSize) {
      const last = offset + this.blockSize >= data.length;
      const block = data.subarray(offset, Math.min(data.length, offset + this.blockSize));
      const { cla, ins, p1, p2 } = decoded;
      const apdu = encodeCommand({ cla: last ? cla : cla | 0x10, ins, p1, p2, data: block, ...(last && ne !== undefined ? { ne } : {}) });
      response = await this.inner.transmit(apdu, options);
      if (!last && (response[response.length - 2] !== 0x90 || response[response.length - 1] !== 0x00)) return response;
    }
    return response;
  }
}

export interface StackOptions extends IsoOptions, ChainingOptions {
  /** Log every wire exchange (under the ISO wrapper: GET RESPONSE included). */
  readonly log?: (line: string) => void;
  readonly showSecrets?: boolean;
}

/**
 * The usual stack: card ⇐ [logging] ⇐ ISO response handling ⇐ chaining ⇐ caller.
 * A trace recorder, when wanted, goes directly on the card transport before this.
 */
export function standardStack(base: Transport, options: StackOptions = {}): Transport {
  let t: Transport = base;
  if (options.log) t = new LoggingTransport(t, options.log, { showSecrets: options.showSecrets ?? false });
  t = new IsoTransport(t, options);
  t = new ChainingTransport(t, options);
  return t;
}
