/**
 * npm run bench — the compatibility matrix: wall time of the whole conformance suite on every simulated
 * vendor persona (the cards run in parallel as `jpki-harness compat` runs them), and per persona.
 */
import path from 'node:path';
import { loadCases } from '../src/compat/cases.js';
import { defaultJobs, personaTargets, runMatrix } from '../src/compat/run-matrix.js';
import { packageRoot } from '../src/package-root.js';

export async function benchCompatMatrix(latencyScale: number, jobs = defaultJobs()): Promise<void> {
  const root = packageRoot();
  const targets = personaTargets(path.join(root, 'test-vectors', 'profiles'));
  const cases = loadCases(path.join(root, 'test-vectors', 'conformance'));
  const report = await runMatrix(targets, cases, { latencyScale, jobs });
  console.log(
    `${'compat matrix (wall)'.padEnd(46)} ${(report.wallMilliseconds / 1000).toFixed(1)} s  ` +
      `(${report.cards.length} personas × ${report.cases.length} cases, ${jobs} at a time, persona operation times × ${latencyScale}; ` +
      `${report.totals.pass} passed, ${report.totals.fail} failed, ${report.totals['n/a']} n/a)`,
  );
  for (const card of report.cards) {
    console.log(`${`  compat ${card.card}`.padEnd(46)} ${(card.wallMilliseconds / 1000).toFixed(1)} s`);
  }
}
