/**
 * LOAD benchmark material: a load file of a chosen size made from the reference CAP (its Method
 * component padded, its package AID changed so it does not collide with the card's JPKI package),
 * loaded with INSTALL [for load] + LOAD through a GpSession at a given security level.
 */
import { createHash } from 'node:crypto';
import { CapFile } from '../src/gp/cap/cap.js';
import { installForLoad, deleteObject } from '../src/gp/commands.js';
import { makeKeySet, SIMULATOR_TEST_MASTER_KEY, simulatorDiversification } from '../src/gp/keys.js';
import { sendLoad, type LoadResult } from '../src/gp/manager.js';
import { GpSession } from '../src/gp/session.js';
import { loadBlockSize } from '../src/gp/commands.js';
import type { Transport } from '../src/transport/transport.js';

/** The package AID of the benchmark load file (the JPKI package's RID and PIX prefix, another suffix). */
export const BENCH_PACKAGE = Uint8Array.from(Buffer.from('D392F0002601FFFF00', 'hex'));

/** The reference CAP's load file data block grown to `size` bytes, package AID replaced. */
export function benchLoadFile(capPath: string, size: number): Uint8Array {
  const block = Buffer.from(CapFile.load(capPath).loadFileDataBlock());
  // Header: tag(1) size(2) magic(4) minor major flags(3) package minor major AID-length(3) AID
  if (block[0] !== 0x01 || block[12] !== BENCH_PACKAGE.length) throw new Error('unexpected Header component');
  Buffer.from(BENCH_PACKAGE).copy(block, 13);
  let off = 0;
  while (off < block.length && block[off] !== 0x07) off += 3 + block.readUInt16BE(off + 1);
  if (off >= block.length) throw new Error('no Method component');
  const grow = size - block.length;
  if (grow <= 0) return new Uint8Array(block);
  const methodSize = block.readUInt16BE(off + 1);
  const end = off + 3 + methodSize;
  const out = Buffer.concat([block.subarray(0, end), Buffer.alloc(grow), block.subarray(end)]);
  out.writeUInt16BE(methodSize + grow, off + 1);
  return new Uint8Array(out);
}

/** One timed INSTALL [for load] + LOAD of the file over a fresh session at `level`; deletes it afterwards. */
export async function timedLoad(
  transport: Transport,
  loadFile: Uint8Array,
  level: number,
  scp: 2 | 3 = 3,
): Promise<LoadResult & { installMs: number }> {
  const keys = scp === 3 ? makeKeySet(0, SIMULATOR_TEST_MASTER_KEY) : makeKeySet(0x20, SIMULATOR_TEST_MASTER_KEY);
  const session = await GpSession.open(transport, {
    keys,
    diversification: simulatorDiversification(scp),
    securityLevel: level,
    ...(scp === 2 ? { scp: 2, i: 0x55 } : {}),
  });
  try {
    const start = process.hrtime.bigint();
    await session.sendOk(
      'INSTALL [for load]',
      installForLoad({
        loadFileAid: BENCH_PACKAGE,
        loadFileHash: new Uint8Array(createHash('sha256').update(loadFile).digest()),
      }),
    );
    const installMs = Number(process.hrtime.bigint() - start) / 1e6;
    const result = await sendLoad(
      session,
      loadFile,
      loadBlockSize(session.maxCommandData ?? 255, session.scp, session.securityLevel, session.macLength),
    );
    await session.sendOk('DELETE', deleteObject(BENCH_PACKAGE));
    return { ...result, installMs };
  } finally {
    await session.end();
  }
}
