/**
 * The one interface every way of reaching a card implements. A transport moves bytes:
 * it does not know what an APDU means, and nothing above it knows whether the card is
 * real, simulated or a recorded trace.
 */
export interface Transport {
  /** Human-readable: which reader or simulator this is. */
  readonly description: string;
  /** The ATR of the card as last powered up or reset. */
  readonly atr: Uint8Array;
  /**
   * Sends one command APDU and returns the response APDU (data and SW1 SW2). `options.secret`
   * marks a command whose body (a PIN, a key) must not appear in logs or recorded traces.
   */
  transmit(command: Uint8Array, options?: TransmitOptions): Promise<Uint8Array>;
  /** Resets the card (warm), or removes and restores power (cold); returns the new ATR. */
  reset(options?: { cold?: boolean }): Promise<Uint8Array>;
  /** Releases the card and the reader. Safe to call twice. */
  close(): Promise<void>;
}

/** Per-command hints that travel down the transport stack. */
export interface TransmitOptions {
  /** The command body is secret: wrappers that log or record show its header and length only. */
  readonly secret?: boolean;
}

export type TransportKind = 'pcsc' | 'sim' | 'trace';

/** A PC/SC reader chosen by exact name, by substring of its name, or by index in the reader list. */
export type ReaderSelector = string | number;

/** A reader option from the command line: all digits is an index, anything else a name or substring. */
export function parseReaderSelector(text: string | undefined): ReaderSelector | undefined {
  if (text === undefined) return undefined;
  return /^\d+$/.test(text) ? Number(text) : text;
}
