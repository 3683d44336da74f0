import { createHmac, randomBytes } from 'node:crypto';
import { SimulatorProcess } from '../../src/sim/simulator-process.js';
import { PcscTransport } from '../../src/transport/pcsc.js';
import { standardStack } from '../../src/transport/wrappers.js';
import type { Transport } from '../../src/transport/transport.js';
import type { CompatTarget } from '../../src/compat/target.js';
import { toHex } from '../../src/apdu/hex.js';

/**
 * A vendor persona on pcscd's shared vpcd slot. The persona keeps its own ATR (OpenSC must see the card as the
 * vendor's), so the ATR cannot tell this suite's card from another suite's: the card is made from a fresh random
 * seed, and only the card whose ISD answers GET DATA (CIN) with that seed's CIN is taken. Another suite's card in
 * the slot is waited out, not failed on.
 */
export interface PersonaOnSlot {
  readonly simulator: SimulatorProcess;
  /** The transport stack the persona's profile asks for; close it to let go of the reader. */
  readonly transport: Transport;
}

/** The CIN a simulated card made from this 32-byte seed presents: HMAC-SHA256(seed, "CIN" || 00), first 8 bytes. */
export function cinOfSeed(seed: Uint8Array): string {
  return toHex(createHmac('sha256', seed).update(Buffer.from('CIN\u0000', 'latin1')).digest().subarray(0, 8));
}

async function cinOf(transport: Transport, isd: Uint8Array): Promise<string | undefined> {
  const selected = await transport.transmit(Uint8Array.of(0x00, 0xa4, 0x04, 0x00, isd.length, ...isd, 0x00));
  if (toHex(selected.subarray(-2)) !== '9000') return undefined;
  const r = await transport.transmit(Uint8Array.of(0x80, 0xca, 0x00, 0x45, 0x00));
  return toHex(r.subarray(-2)) === '9000' && r[0] === 0x45 ? toHex(r.subarray(2, 2 + r[1]!)) : undefined;
}

export async function startPersonaOnSlot(
  target: CompatTarget,
  options: { port: number; reader: string; latencyScale: number; waitMs: number },
): Promise<PersonaOnSlot> {
  const seed = randomBytes(32);
  const started = SimulatorProcess.start({
    connect: `127.0.0.1:${options.port}`,
    persona: target.persona!,
    cardSeed: toHex(seed),
    latencyScale: options.latencyScale,
  });
  const want = cinOfSeed(seed);
  const deadline = Date.now() + options.waitMs;
  let last = 'no card yet';
  for (;;) {
    const attempt = (async (): Promise<Transport | undefined> => {
      const base = await PcscTransport.open({ reader: options.reader, timeoutMs: 15000 });
      const { getResponse, extendedLength } = target.profile.transport;
      const stack = standardStack(base, { getResponse, extendedLength });
      const cin = await cinOf(stack, target.profile.isdAid).catch(() => undefined);
      if (cin === want) return stack;
      last = `another card in ${options.reader} (ATR ${toHex(base.atr)}, CIN ${cin ?? 'unreadable'})`;
      await stack.close().catch(() => undefined);
      return undefined;
    })().catch((e: unknown) => {
      last = e instanceof Error ? e.message : String(e);
      return undefined;
    });
    const transport = await Promise.race([attempt, started.exited]);
    if (transport) return { simulator: started.process, transport };
    if (Date.now() > deadline) {
      await started.process.stop();
      throw new Error(`${options.reader} stayed busy for ${options.waitMs / 1000} s: ${last}`);
    }
    await new Promise((r) => setTimeout(r, 500));
  }
}
