import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { compareWithBaseline } from '../../src/compat/baseline.js';
import { loadCases } from '../../src/compat/cases.js';
import { renderCompatHtml } from '../../src/compat/html.js';
import { renderCompatJUnit } from '../../src/compat/junit.js';
import type { CompatReport } from '../../src/compat/report.js';
import { personaTargets, runMatrix } from '../../src/compat/run-matrix.js';
import { announceSkip, simulatorJarBuilt, vector } from '../support.js';
import { junitSchemaErrors } from '../validate.js';

/**
 * CI runs the whole conformance suite against every persona: every conformant persona passes every case it
 * can run, the non-conformant one fails on exactly the cases that see a blocked PIN, and what a card cannot
 * run is not applicable with the reason, never passed.
 */
const NON_CONFORMANT = 'wrong-blocked-pin-sw';
const EXPECTED_FAILURES = ['AD-PIN-01', 'UI-OSC-01', 'UI-PIN-05'];
const EXPECTED_NOT_APPLICABLE: Readonly<Record<string, readonly string[]>> = {
  'no-rsa-keygen': ['AD-PRS-02'],
  'scp03-only-small-memory': ['AD-CRT-03'],
};
const OUT = path.resolve('build', 'test-results');

const ready = simulatorJarBuilt();
if (!ready) announceSkip('compatibility matrix', 'simulator jar missing (ant simulator)');
const maybe = ready ? describe : describe.skip;

maybe('the compatibility matrix over every persona', () => {
  let report: CompatReport;
  let html: string;

  beforeAll(async () => {
    const targets = personaTargets(vector('profiles'));
    // Operation times at 2 % of the published figures: the matrix shape, not minutes of RSA key generation.
    report = await runMatrix(targets, loadCases(vector('conformance')), { jobs: 2, latencyScale: 0.02 });
    mkdirSync(OUT, { recursive: true });
    html = renderCompatHtml(report);
    writeFileSync(path.join(OUT, 'compat.html'), html);
    writeFileSync(path.join(OUT, 'compat.json'), JSON.stringify(report, null, 2));
    writeFileSync(path.join(OUT, 'compat-junit.xml'), renderCompatJUnit(report));
    console.log(`compat matrix: ${report.cards.length} personas × ${report.cases.length} cases in ${(report.wallMilliseconds / 1000).toFixed(1)} s`);
  }, 900_000);

  test('ten personas, at least eight conformant, three modelled on published card measurements', () => {
    const names = report.cards.map((c) => c.card);
    expect(names.length).toBeGreaterThanOrEqual(9);
    expect(names).toEqual(expect.arrayContaining(['taisys-simome-vault', 'nxp-jcop4-j3r180', 'infineon-cjtop-80k', NON_CONFORMANT]));
    expect(names.filter((n) => n !== NON_CONFORMANT).length).toBeGreaterThanOrEqual(8);
  });

  test('every conformant persona passes every case it can run; not applicable only where its profile says so', () => {
    for (const card of report.cards.filter((c) => c.card !== NON_CONFORMANT)) {
      const failed = Object.entries(card.outcomes)
        .filter(([, o]) => o.verdict === 'fail')
        .map(([id, o]) => `${id}: ${o.detail}`);
      expect({ card: card.card, failed }).toEqual({ card: card.card, failed: [] });
      const na = Object.entries(card.outcomes)
        .filter(([, o]) => o.verdict === 'n/a')
        .map(([id]) => id)
        .sort();
      expect({ card: card.card, na }).toEqual({ card: card.card, na: [...(EXPECTED_NOT_APPLICABLE[card.card] ?? [])] });
      for (const id of na) expect(card.outcomes[id]!.detail).toMatch(/compat\.capabilities/);
    }
  });

  test('the non-conformant persona fails on exactly the blocked-PIN cases, with the observed status word', () => {
    const card = report.cards.find((c) => c.card === NON_CONFORMANT)!;
    const failed = Object.entries(card.outcomes).filter(([, o]) => o.verdict === 'fail');
    expect(failed.map(([id]) => id).sort()).toEqual(EXPECTED_FAILURES);
    for (const [, o] of failed) expect(o.detail).toMatch(/SW 6983, expected 63C0/);
  });

  test('per-command timing beside the reader round trip; the slow-RSA personas sign slower than the reference', () => {
    const median = (card: string, command: string): number =>
      report.cards.find((c) => c.card === card)!.timing.find((t) => t.command === command)!.median;
    for (const card of report.cards) {
      expect(card.roundTrip.count).toBeGreaterThan(0);
      expect(card.timing.map((t) => t.command)).toEqual(
        expect.arrayContaining(['SELECT (AID)', 'READ BINARY', 'VERIFY', 'COMPUTE DIGITAL SIGNATURE']),
      );
    }
    // 2 % of 227 ms and 190 ms of injected signing time on top of the simulator's own
    expect(median('infineon-cjtop-80k', 'COMPUTE DIGITAL SIGNATURE')).toBeGreaterThan(median('standard', 'COMPUTE DIGITAL SIGNATURE') + 2);
    expect(median('taisys-simome-vault', 'COMPUTE DIGITAL SIGNATURE')).toBeGreaterThan(median('standard', 'COMPUTE DIGITAL SIGNATURE') + 2);
  });

  test('the HTML report opens with the matrix, then one chart per command; JUnit XML is valid', async () => {
    const matrixAt = html.indexOf('<table class="matrix">');
    const firstChart = html.indexOf('<svg class="chart"');
    expect(matrixAt).toBeGreaterThan(0);
    expect(firstChart).toBeGreaterThan(matrixAt);
    expect(html).toContain('COMPUTE DIGITAL SIGNATURE (ms)');
    expect(html).not.toMatch(/<script|src="http/);
    expect(await junitSchemaErrors(renderCompatJUnit(report))).toEqual([]);
  });

  test('a baseline flags a behaviour change and a timing regression beyond the threshold, nothing against itself', () => {
    expect(compareWithBaseline(report, report)).toEqual([]);
    const before: CompatReport = JSON.parse(JSON.stringify(report)) as CompatReport;
    const card = before.cards.find((c) => c.card === 'standard')!;
    (card.outcomes as Record<string, { verdict: string }>)['UI-PIN-01']!.verdict = 'fail';
    const sign = card.timing.find((t) => t.command === 'COMPUTE DIGITAL SIGNATURE')!;
    (sign as { median: number }).median = sign.median / 10 - 3;
    const findings = compareWithBaseline(before, report);
    expect(findings).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ kind: 'behaviour', card: 'standard', subject: 'UI-PIN-01', before: 'fail', after: 'pass' }),
        expect.objectContaining({ kind: 'timing', card: 'standard', subject: 'COMPUTE DIGITAL SIGNATURE' }),
      ]),
    );
  });

  const chromium = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
  if (!chromium) announceSkip('compat HTML screenshot', "Debian's chromium is not installed (apt-get install chromium)");
  (chromium ? test : test.skip)(
    'headless Chromium opens the HTML report and takes its screenshot',
    () => {
      const file = path.join(OUT, 'compat.html');
      const png = path.join(OUT, 'compat.png');
      const r = spawnSync(
        chromium!,
        ['--headless', '--no-sandbox', '--disable-gpu', '--hide-scrollbars', '--window-size=1400,2400', `--screenshot=${png}`, `file://${file}`],
        {
          timeout: 60_000,
          encoding: 'utf8',
        },
      );
      expect(r.status).toBe(0);
      expect(statSync(png).size).toBeGreaterThan(20_000);
      expect(readFileSync(png).subarray(1, 4).toString('ascii')).toBe('PNG');
    },
    90_000,
  );
});
