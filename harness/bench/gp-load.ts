/**
 * LOAD benchmark: the ~20 KB load file of test-vectors/cap/bench-20k.cap over SCP02 and SCP03, with
 * C-MAC and with C-MAC + C-DECRYPTION; time per LOAD block and in total, then INSTALL and DELETE.
 *
 *   node dist/harness/bench/gp-load.js --reader "Virtual PCD 00 00"    # a card or the simulator via pcscd
 *   node dist/harness/bench/gp-load.js --emulated                      # host-side cost only (test card in-process)
 *
 * With a reader, the card must accept the GP test keys of the simulator profiles (SCP02 and SCP03 runs
 * use test-vectors/profiles/simulator-scp02.yaml and simulator-scp03.yaml; a card speaks one of them).
 */
import path from 'node:path';
import { toHex } from '../src/apdu/hex.js';
import { CapFile } from '../src/gp/cap/cap.js';
import { makeKeySet } from '../src/gp/keys.js';
import { deleteAid, installApplet, loadCap } from '../src/gp/manager.js';
import { loadProfile } from '../src/gp/profile.js';
import { GpSession } from '../src/gp/session.js';
import { packageRoot } from '../src/package-root.js';
import { PcscTransport } from '../src/transport/pcsc.js';
import type { Transport } from '../src/transport/transport.js';
import { EmulatedCard } from '../test/gp/emulated-card.js';
import { timingStats } from '../src/stats.js';
import { formatSummary } from './format.js';

const args = process.argv.slice(2);
const emulated = args.includes('--emulated');
const readerIndex = args.indexOf('--reader');
const reader = readerIndex >= 0 ? args[readerIndex + 1] : undefined;
const rounds = Number(args[args.indexOf('--rounds') + 1] ?? 3) || 3;

const root = packageRoot();
const cap = CapFile.load(path.join(root, 'test-vectors', 'cap', 'bench-20k.cap'));

interface Case {
  label: string;
  profile: string;
  scp: 2 | 3;
  level: number;
}
const cases: Case[] = [
  { label: 'SCP02 i=55 C-MAC', profile: 'simulator-scp02.yaml', scp: 2, level: 0x01 },
  { label: 'SCP02 i=55 C-MAC+C-DEC', profile: 'simulator-scp02.yaml', scp: 2, level: 0x03 },
  { label: 'SCP03 i=70 C-MAC', profile: 'simulator-scp03.yaml', scp: 3, level: 0x01 },
  { label: 'SCP03 i=70 C-MAC+C-DEC', profile: 'simulator-scp03.yaml', scp: 3, level: 0x03 },
];

async function openTransport(c: Case): Promise<Transport> {
  if (emulated) {
    const p = loadProfile(path.join(root, 'test-vectors', 'profiles', c.profile));
    return new EmulatedCard({ scp: c.scp, i: p.i, keys: makeKeySet(0x01, p.keys.enc, p.keys.mac, p.keys.dek), maxCommandData: 255 });
  }
  return PcscTransport.open({ share: 'exclusive', ...(reader !== undefined ? { reader } : {}) });
}

console.log(
  `load file ${cap.loadFileDataBlock().length} bytes (${toHex(cap.packageAid)}), ` +
    `${emulated ? 'emulated card in-process (host cost only)' : `reader ${reader ?? '(first)'}`}, ${rounds} rounds`,
);
for (const c of cases) {
  const profile = loadProfile(path.join(root, 'test-vectors', 'profiles', c.profile));
  const blocks: number[] = [];
  const totals: number[] = [];
  const installs: number[] = [];
  let blockSize = 0;
  let blockCount = 0;
  let skipped: string | undefined;
  for (let round = 0; round < rounds && skipped === undefined; round++) {
    const transport = await openTransport(c);
    try {
      const session = await GpSession.open(transport, {
        keys: profile.keys,
        diversification: profile.diversification,
        scp: c.scp,
        i: profile.i,
        securityLevel: c.level,
        sdAid: profile.isdAid,
      });
      await deleteAid(session, cap.packageAid, true).catch(() => undefined);
      const r = await loadCap(session, cap);
      blocks.push(...r.blockMilliseconds);
      totals.push(r.totalMilliseconds);
      blockSize = r.blockSize;
      blockCount = r.blocks;
      const t = process.hrtime.bigint();
      await installApplet(session, { loadFileAid: cap.packageAid, moduleAid: cap.applets[0]!.aid });
      installs.push(Number(process.hrtime.bigint() - t) / 1e6);
      await deleteAid(session, cap.packageAid, true);
      await session.end();
    } catch (e) {
      skipped = (e as Error).message;
    } finally {
      await transport.close();
    }
  }
  if (skipped !== undefined) {
    console.log(`${c.label.padEnd(34)} not run: ${skipped}`);
    continue;
  }
  console.log(`${c.label.padEnd(34)} ${blockCount} blocks of ${blockSize} bytes`);
  console.log('  ' + formatSummary('per LOAD block', timingStats(blocks)));
  console.log('  ' + formatSummary('whole LOAD', timingStats(totals)));
  console.log('  ' + formatSummary('INSTALL [for install]', timingStats(installs)));
}
