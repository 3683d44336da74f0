import { UsageError } from '../errors.js';
import { PcscTransport, type ReaderSelector } from './pcsc.js';
import { SimTransport } from './sim.js';
import type { Transport, TransportKind } from './transport.js';

export interface OpenOptions {
  readonly kind: TransportKind;
  readonly reader?: ReaderSelector;
  readonly timeoutMs?: number;
  readonly simulatorJar?: string;
  readonly simulatorLog?: string;
}

/** A reader option from the command line: all digits is an index, anything else a name or substring. */
export function parseReaderSelector(text: string | undefined): ReaderSelector | undefined {
  if (text === undefined) return undefined;
  return /^\d+$/.test(text) ? Number(text) : text;
}

export async function openTransport(options: OpenOptions): Promise<Transport> {
  switch (options.kind) {
    case 'pcsc': {
      const reader = options.reader;
      return PcscTransport.open({
        ...(reader !== undefined ? { reader } : {}),
        ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
      });
    }
    case 'sim':
      return SimTransport.open({
        ...(options.simulatorJar !== undefined ? { jar: options.simulatorJar } : {}),
        ...(options.simulatorLog !== undefined ? { logFile: options.simulatorLog } : {}),
      });
    default:
      throw new UsageError(`unknown transport '${String(options.kind)}' (expected pcsc or sim)`);
  }
}
