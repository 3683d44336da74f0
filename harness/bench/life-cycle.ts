/**
 * The credential's whole life, timed per phase: N stories (default 3), each on fresh simulated cards (the
 * My Number card, a SIM of the first operator, a SIM of the second), all against one running issuance
 * system. Each phase's median and p95 over the stories, and each phase's share of the whole, so a phase
 * that grows shows against the others measured in the same minute.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { LifeCycleStory, openSimOfOperatorB, type PhaseName } from '../src/services/demo/life-cycle-story.js';
import { startIssuanceSystem } from '../src/services/issuance-system.js';
import { timingStats } from '../src/stats.js';
import { SimTransport } from '../src/transport/sim.js';
import { freshBenchDatabase } from './bench-database.js';
import { formatSummary } from './format.js';

export async function benchLifeCycle(stories: number, database?: string): Promise<void> {
  const db = await freshBenchDatabase(database);
  const dataDirectory = mkdtempSync(path.join(tmpdir(), 'jpki-bench-life-cycle-'));
  const system = await startIssuanceSystem({ database: db.url, dataDirectory });
  const samples = new Map<PhaseName, number[]>();
  const totals: number[] = [];
  console.log(`\nThe credential's life cycle, phase by phase: ${stories} stories on fresh simulated cards (${db.label})`);
  try {
    for (let n = 0; n < stories; n++) {
      const [myNumberCard, sim, operatorB] = await Promise.all([
        SimTransport.open({ myNumberCard: true }),
        SimTransport.open({}),
        openSimOfOperatorB(),
      ]);
      try {
        const story = await LifeCycleStory.start({ myNumberCard, sim, otherSim: operatorB.sim }, { system });
        const phases = await story.run();
        for (const p of phases) samples.set(p.name, [...(samples.get(p.name) ?? []), p.milliseconds]);
        totals.push(phases.reduce((t, p) => t + p.milliseconds, 0));
      } finally {
        await Promise.all([myNumberCard.close(), sim.close(), operatorB.close()]);
      }
    }
  } finally {
    await system.close();
    await db.dispose();
    rmSync(dataDirectory, { recursive: true, force: true });
  }
  const whole = timingStats(totals);
  for (const [name, values] of samples) {
    const s = timingStats(values);
    console.log(`${formatSummary(name, s)}  share ${((100 * s.median) / whole.median).toFixed(1)} %`);
  }
  console.log(formatSummary('the whole story', whole));
}
