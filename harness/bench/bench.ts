/**
 * npm run bench — round-trip time of a SELECT of the JPKI applet over each path, measured in
 * the same process and the same minute so the figures compare:
 *   direct   harness ⇄ simulator over the vpcd socket protocol (harness listens)
 *   pcscd    harness → node-pcsclite → pcscd → vpcd driver → simulator
 * Prints median and p95 per path and the ratio of the pcscd path to the direct one.
 * Options: --iterations N (default 2000), --warmup N (default 200).
 */
import { existsSync } from 'node:fs';
import { createConnection } from 'node:net';
import { parseHex } from '../src/apdu/hex.js';
import { SimulatorProcess } from '../src/sim/simulator-process.js';
import { PcscTransport } from '../src/transport/pcsc.js';
import { SimTransport } from '../src/transport/sim.js';
import type { Transport } from '../src/transport/transport.js';
import { formatSummary, summarise, type Summary } from './stats.js';
import { benchAppletCommands } from './applet-commands.js';

const SELECT_JPKI = parseHex('00A4040C0AD392F000260100000001');
const BENCH_SLOT_PORT = 35964;
const BENCH_READER = 'Virtual PCD 00 01';

function option(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  const value = i >= 0 ? Number(process.argv[i + 1]) : fallback;
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${name} needs a positive integer`);
  return value;
}

async function measure(transport: Transport, iterations: number, warmup: number): Promise<Summary> {
  const samples: number[] = [];
  for (let i = 0; i < warmup + iterations; i++) {
    const start = process.hrtime.bigint();
    const response = await transport.transmit(SELECT_JPKI);
    const elapsed = Number(process.hrtime.bigint() - start) / 1e6;
    if (response[response.length - 2] !== 0x90 || response[response.length - 1] !== 0x00) {
      throw new Error(`SELECT failed on ${transport.description}`);
    }
    if (i >= warmup) samples.push(elapsed);
  }
  return summarise(samples);
}

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

async function main(): Promise<void> {
  const iterations = option('--iterations', 2000);
  const warmup = option('--warmup', 200);
  console.log(`SELECT D392F000260100000001 round trip, ${iterations} iterations after ${warmup} warm-up\n`);

  const direct = await SimTransport.open();
  let directSummary: Summary;
  try {
    directSummary = await measure(direct, iterations, warmup);
    console.log(formatSummary('direct (vpcd link, no pcscd)', directSummary));
    await benchAppletCommands('direct link', direct, Math.max(50, Math.floor(iterations / 20)));
  } finally {
    await direct.close();
  }

  if (!existsSync('/run/pcscd/pcscd.comm') || !(await listening(BENCH_SLOT_PORT))) {
    console.log(`pcscd path: SKIPPED — pcscd with the vpcd driver is not running (nothing on port ${BENCH_SLOT_PORT})`);
    return;
  }
  const simulator = SimulatorProcess.start({ connect: `127.0.0.1:${BENCH_SLOT_PORT}` }).process;
  try {
    const pcsc = await PcscTransport.open({ reader: BENCH_READER, timeoutMs: 15000 });
    try {
      const pcscSummary = await measure(pcsc, iterations, warmup);
      console.log(formatSummary('pcscd + vpcd (node-pcsclite)', pcscSummary));
      console.log(
        `\nratio pcscd/direct: median ${(pcscSummary.median / directSummary.median).toFixed(2)}x, p95 ${(pcscSummary.p95 / directSummary.p95).toFixed(2)}x`,
      );
      await benchAppletCommands('pcscd + vpcd', pcsc, Math.max(50, Math.floor(iterations / 20)));
    } finally {
      await pcsc.close();
    }
  } finally {
    await simulator.stop();
  }
}

main().catch((error: unknown) => {
  console.error(`bench: ${(error as Error).message}`);
  process.exitCode = 1;
});
