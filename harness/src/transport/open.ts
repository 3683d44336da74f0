/**
 * The one way every command and library call reaches a card: a bare transport of the kind asked for, under
 * the standard wrappers. Each kind's module is loaded when that kind is opened (a PC/SC command never loads
 * the simulator's process code, nor a simulator run the PC/SC binding).
 */
import { UsageError } from '../errors.js';
export { parseReaderSelector } from './transport.js';
import type { TraceTransport } from './trace.js';
import type { ReaderSelector, Transport, TransportKind } from './transport.js';
import { standardStack, type StackOptions } from './wrappers.js';

export interface OpenOptions {
  /** How to reach the card; default defaultTransportKind(): PC/SC when a reader is named, else the simulator. */
  readonly kind?: TransportKind;
  readonly reader?: ReaderSelector;
  readonly timeoutMs?: number;
  readonly share?: 'shared' | 'exclusive';
  readonly protocol?: 'T0' | 'T1' | 'any';
  readonly simulatorJar?: string;
  readonly simulatorLog?: string;
  /** Attach to a simulator that connects to this port instead of starting one (sim). */
  readonly attachPort?: number;
  /** The trace file to replay (trace). */
  readonly trace?: string;
}

/**
 * The one default of every command and library call that reaches a card: a named reader means PC/SC,
 * no reader the simulator over the direct link (a fresh card, no pcscd needed).
 */
export function defaultTransportKind(options: { readonly reader?: ReaderSelector | undefined }): TransportKind {
  return options.reader !== undefined ? 'pcsc' : 'sim';
}

/** Opens the bare transport of a kind: PC/SC reader, direct simulator link, or trace replay. */
export async function openTransport(options: OpenOptions): Promise<Transport> {
  const kind = options.kind ?? defaultTransportKind(options);
  switch (kind) {
    case 'pcsc': {
      const { PcscTransport } = await import('./pcsc.js');
      return PcscTransport.open({
        ...(options.reader !== undefined ? { reader: options.reader } : {}),
        ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
        ...(options.share !== undefined ? { share: options.share } : {}),
        ...(options.protocol !== undefined ? { protocol: options.protocol } : {}),
      });
    }
    case 'sim': {
      const { SimTransport } = await import('./sim.js');
      return SimTransport.open({
        ...(options.simulatorJar !== undefined ? { jar: options.simulatorJar } : {}),
        ...(options.simulatorLog !== undefined ? { logFile: options.simulatorLog } : {}),
        ...(options.attachPort !== undefined ? { attachPort: options.attachPort } : {}),
      });
    }
    case 'trace': {
      if (options.trace === undefined) throw new UsageError('the trace transport needs a trace file (--trace FILE)');
      const { TraceTransport } = await import('./trace.js');
      return TraceTransport.fromFile(options.trace);
    }
    default:
      throw new UsageError(`unknown transport '${String(kind)}' (expected pcsc, sim or trace)`);
  }
}

export interface CardOptions extends OpenOptions, StackOptions {
  /** Record every wire exchange to this trace file. */
  readonly record?: string;
}

/** A card ready for scenarios: the wrapped transport, and the bare one underneath. */
export interface Card {
  /** What scenarios use: ISO response handling and chaining on top of the card. */
  readonly transport: Transport;
  /** The bare transport (a TraceTransport when replaying). */
  readonly base: Transport;
  /** Closes everything; for a replayed trace, throws when the run left commands of the trace unsent. */
  close(options?: { checkTrace?: boolean }): Promise<void>;
}

/** A replayed trace, told apart without loading the trace module for a card that is none. */
function isTrace(transport: Transport): transport is TraceTransport {
  return typeof (transport as Partial<TraceTransport>).assertConsumed === 'function';
}

/** Opens a transport and stacks the wrappers: [recorder] ⇐ [logging] ⇐ GET RESPONSE/6Cxx ⇐ chaining. */
export async function openCard(options: CardOptions): Promise<Card> {
  const base = await openTransport(options);
  let wire: Transport = base;
  try {
    if (options.record !== undefined) {
      const { TraceRecorder } = await import('./trace.js');
      wire = new TraceRecorder(base, options.record, { showSecrets: options.showSecrets ?? false });
    }
  } catch (e) {
    await base.close();
    throw new UsageError(`cannot record to '${options.record}': ${(e as Error).message}`);
  }
  const transport = standardStack(wire, options);
  let closed = false;
  return {
    transport,
    base,
    async close(closeOptions = {}) {
      if (closed) return;
      closed = true;
      await transport.close();
      if (closeOptions.checkTrace && isTrace(base)) base.assertConsumed();
    },
  };
}
