/**
 * Authentication with the SIM credential, on one personalised simulated SIM (direct link), N rounds of:
 *  (a) card emulation: authenticateByCardEmulation, fresh challenge → verdict (signature, chain, OCSP);
 *  (b) UI app: the device agent's sign-in at the relying party over HTTPS, challenge → session (the same
 *      checks, plus TLS, the challenge round trip and the session row);
 *  (c) the SIM's own signing: COMPUTE DIGITAL SIGNATURE alone, after SELECT and VERIFY.
 * All in this process, the order of (a), (b), (c) rotating each round, after two warm-up rounds; the
 * ratios (a)/(c) and (b)/(c) say how much of an authentication is the card.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { JpkiClient } from '../src/jpki/client/client.js';
import { runIssuanceStory, STORY_PIN } from '../src/services/demo/issuance-story.js';
import { signIn } from '../src/services/device-agent/sign-in.js';
import { startIssuanceSystem } from '../src/services/issuance-system.js';
import { loadJpkiPki } from '../src/services/jpki-system/pki.js';
import { authenticateByCardEmulation } from '../src/services/verifier/card-emulation.js';
import { timingStats, type TimingStats } from '../src/stats.js';
import { SimTransport } from '../src/transport/sim.js';
import type { Transport } from '../src/transport/transport.js';
import { freshBenchDatabase } from './bench-database.js';
import { formatSummary } from './format.js';

type Kind = 'card emulation' | 'UI app sign-in' | 'SIM signing';

async function simSigning(sim: Transport): Promise<number> {
  const client = new JpkiClient(sim);
  await client.selectApplication();
  await client.verifyPin(STORY_PIN);
  const challenge = randomBytes(32);
  const started = performance.now();
  await client.sign('sha256', challenge);
  return performance.now() - started;
}

export async function benchAuthentication(rounds: number, database?: string): Promise<void> {
  const db = await freshBenchDatabase(database);
  const dataDirectory = mkdtempSync(path.join(tmpdir(), 'jpki-bench-authentication-'));
  const system = await startIssuanceSystem({ database: db.url, dataDirectory });
  const [myNumberCard, sim] = await Promise.all([SimTransport.open({ myNumberCard: true }), SimTransport.open({})]);
  const samples: Record<Kind, number[]> = { 'card emulation': [], 'UI app sign-in': [], 'SIM signing': [] };
  try {
    await runIssuanceStory({ myNumberCard, sim }, { system });
    const root = (await loadJpkiPki()).root.der;
    const url = system.urls['relying-party']!;
    const ca = system.relyingPartyCertificate!;
    const measure: Record<Kind, () => Promise<number>> = {
      'card emulation': async () => {
        const a = await authenticateByCardEmulation(sim, { root, pin: STORY_PIN });
        if (!a.accepted) throw new Error(`card emulation refused the SIM: ${a.reason ?? ''}`);
        return a.totalMs;
      },
      'UI app sign-in': async () => (await signIn({ url, ca, sim, pin: STORY_PIN })).totalMs,
      'SIM signing': () => simSigning(sim),
    };
    const kinds = Object.keys(measure) as Kind[];
    console.log(
      `\nAuthentication with the SIM credential: one personalised simulated SIM (direct link), ` +
        `${rounds} rounds after 2 warm-up, order rotating (${db.label})`,
    );
    for (let i = 0; i < 2; i++) for (const k of kinds) await measure[k]();
    for (let i = 0; i < rounds; i++) {
      const order = kinds.map((_k, j) => kinds[(i + j) % kinds.length]!);
      for (const k of order) samples[k].push(await measure[k]());
    }
  } finally {
    await Promise.all([myNumberCard.close(), sim.close()]);
    await system.close();
    await db.dispose();
    rmSync(dataDirectory, { recursive: true, force: true });
  }
  const stats = Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, timingStats(v)])) as Record<Kind, TimingStats>;
  console.log(formatSummary('(a) card emulation (→ verdict)', stats['card emulation']));
  console.log(formatSummary('(b) UI app sign-in (→ session)', stats['UI app sign-in']));
  console.log(formatSummary('(c) SIM signing (sign command)', stats['SIM signing']));
  const ratio = (a: TimingStats, c: TimingStats): string => `median ${(a.median / c.median).toFixed(2)}, p95 ${(a.p95 / c.p95).toFixed(2)}`;
  console.log(`(a)/(c): ${ratio(stats['card emulation'], stats['SIM signing'])};  (b)/(c): ${ratio(stats['UI app sign-in'], stats['SIM signing'])}`);
}
