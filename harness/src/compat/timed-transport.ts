/**
 * Times every command the suite sends to one card, named by what it is (SELECT, READ BINARY, VERIFY,
 * COMPUTE DIGITAL SIGNATURE, …), so the matrix can compare the same command across cards. It sits on top
 * of the transport stack: a command's time includes the GET RESPONSE and 6Cxx rounds it needed, as a
 * client sees it.
 */
import { performance } from 'node:perf_hooks';
import { commandName } from '../apdu/command-name.js';
import { selectAidCommand } from '../apdu/jpki-commands.js';
import type { TransmitOptions, Transport } from '../transport/transport.js';

/** A transport that records how long each named command took, in milliseconds. */
export class TimedTransport implements Transport {
  private readonly samples = new Map<string, number[]>();

  constructor(private readonly inner: Transport) {}

  get description(): string {
    return this.inner.description;
  }

  get atr(): Uint8Array {
    return this.inner.atr;
  }

  async transmit(command: Uint8Array, options?: TransmitOptions): Promise<Uint8Array> {
    const name = commandName(command);
    const start = performance.now();
    const response = await this.inner.transmit(command, options);
    if (name !== undefined) {
      const list = this.samples.get(name) ?? [];
      list.push(performance.now() - start);
      this.samples.set(name, list);
    }
    return response;
  }

  reset(options?: { cold?: boolean }): Promise<Uint8Array> {
    return this.inner.reset(options);
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  /** Samples per command name, in milliseconds, in the order the commands were first seen. */
  timings(): ReadonlyMap<string, readonly number[]> {
    return this.samples;
  }
}

/**
 * The reader's own round trip: the median time of a command the card answers at once without running an
 * application (SELECT of an AID that is not on the card: 6A82 from the card's runtime), with the PIN and
 * the applet's state untouched. Leaves no application selected on a card that deselects on 6A82.
 */
export async function measureRoundTrip(transport: Transport, count = 15): Promise<number[]> {
  const probe = selectAidCommand(Uint8Array.of(0xa0, 0x00, 0x00, 0x00, 0x00, 0x4a, 0x50));
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    const start = performance.now();
    await transport.transmit(probe);
    out.push(performance.now() - start);
  }
  return out;
}
