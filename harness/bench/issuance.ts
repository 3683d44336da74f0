/**
 * Application → personalised SIM on the simulator (the SP-TSM's ②–⑱), per issuance, with fresh cards
 * each round: the time `runIssuanceStory` reports as applicationToPersonalisedMs (from the application
 * being signed to the SIM holding key and certificate), split into the application (②–⑤, with ⑥–⑨ done
 * by the SP-TSM before it answers) and the write (⑫–⑱). Left out: starting the services and the
 * simulators, each SIM's CASD credential (a card maker's step), and the My Number card's TEST issuance.
 * Both key generations run in each round, their order alternating.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readCardAuthorityCertificate } from '../src/gp/card-authority.js';
import { runIssuanceStory } from '../src/services/demo/issuance-story.js';
import { startIssuanceSystem, type RunningIssuanceSystem } from '../src/services/issuance-system.js';
import { timingStats } from '../src/stats.js';
import { SimTransport } from '../src/transport/sim.js';
import { freshBenchDatabase } from './bench-database.js';
import { formatSummary } from './format.js';

type KeyGeneration = 'jpki-system' | 'on-card';

interface Round {
  readonly total: number;
  readonly apply: number;
  readonly write: number;
}

async function oneIssuance(system: RunningIssuanceSystem, keyGeneration: KeyGeneration): Promise<Round> {
  const [myNumberCard, sim] = await Promise.all([SimTransport.open({ myNumberCard: true }), SimTransport.open({})]);
  try {
    await readCardAuthorityCertificate(sim); // the simulated CASD's key pair, made on first use
    const result = await runIssuanceStory({ myNumberCard, sim }, { system, keyGeneration });
    const phase = (marks: string): number => result.steps.find((s) => s.marks === marks)?.milliseconds ?? NaN;
    return { total: result.applicationToPersonalisedMs, apply: phase('②–⑤'), write: phase('⑫–⑱') };
  } finally {
    await Promise.all([myNumberCard.close(), sim.close()]);
  }
}

const LABEL: Record<KeyGeneration, string> = { 'jpki-system': 'key off card (JPKI system)', 'on-card': 'key on card (SIM)' };

export async function benchIssuance(rounds: number, database?: string): Promise<void> {
  const db = await freshBenchDatabase(database);
  const dataDirectory = mkdtempSync(path.join(tmpdir(), 'jpki-bench-issuance-'));
  const system = await startIssuanceSystem({ database: db.url, dataDirectory });
  const results: Record<KeyGeneration, Round[]> = { 'jpki-system': [], 'on-card': [] };
  try {
    console.log(
      `\nIssuance, application → personalised SIM: ${rounds} rounds of fresh simulated cards after one warm-up per key generation (${db.label})`,
    );
    for (const k of ['jpki-system', 'on-card'] as const) await oneIssuance(system, k);
    for (let i = 0; i < rounds; i++) {
      const order: KeyGeneration[] = i % 2 === 0 ? ['jpki-system', 'on-card'] : ['on-card', 'jpki-system'];
      for (const k of order) results[k].push(await oneIssuance(system, k));
    }
  } finally {
    await system.close();
    await db.dispose();
    rmSync(dataDirectory, { recursive: true, force: true });
  }
  for (const k of ['jpki-system', 'on-card'] as const) {
    const r = results[k];
    console.log(formatSummary(`${LABEL[k]}: whole`, timingStats(r.map((x) => x.total))));
    console.log(formatSummary('  apply (②–⑤, incl. ⑥–⑨)', timingStats(r.map((x) => x.apply))));
    console.log(formatSummary('  write (⑫–⑱)', timingStats(r.map((x) => x.write))));
  }
  const off = timingStats(results['jpki-system'].map((x) => x.total)).median;
  const on = timingStats(results['on-card'].map((x) => x.total)).median;
  console.log(`on card / off card, median whole: ${(on / off).toFixed(2)}`);
}
