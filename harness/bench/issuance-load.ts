/**
 * The SP-TSM's POST /applications under load: N applicants at once on loopback (a tenth of them sending
 * their application twice at the same moment), on SQLite and on PostgreSQL, for each key generation.
 * Applications are signed in Node with throwaway keys the JPKI system's signature CA certified (see
 * src/services/load/application-load.ts); the designated SIMs are real simulated SIMs. Reports requests
 * per second and latency quantiles, then counts what the database holds: every application exactly
 * once, each with one issuance. Bounded: a fixed number of requests, each with a timeout.
 *
 * What one application costs the services: the signature checks, the JPKI system's validity check over
 * HTTP, a scrypt hash of the password (N=2^15 unless said otherwise), the row and its events, the issuance
 * request (in jpki-system mode an RSA-2048 key pair generated and certified), the access code's delivery.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startIssuanceSystem } from '../src/services/issuance-system.js';
import {
  applicantKeys,
  countStored,
  planApplications,
  sendApplications,
  simulatedSimCertificates,
  splitDuplicates,
  throwawaySigners,
  type ApplicantKey,
} from '../src/services/load/application-load.js';
import { PASSWORD_HASH_PARAMETERS } from '../src/services/sp-tsm/passwords.js';
import { quantile, timingStats } from '../src/stats.js';
import { freshBenchDatabase } from './bench-database.js';

const REQUEST_TIMEOUT_MS = 180_000;
const APPLICANT_KEYS = 20;
const SIMS = 2;

interface Row {
  readonly mode: string;
  readonly database: string;
  readonly requests: number;
  readonly ok: number;
  readonly wallMs: number;
  readonly median: number;
  readonly p95: number;
  readonly p99: number;
  readonly stored: number;
  readonly distinct: number;
  readonly missing: number;
  readonly pairs: number;
  readonly splitPairs: number;
  readonly issuances: number;
  readonly exactlyOnce: boolean;
  readonly errors: readonly string[];
}

async function oneRun(
  keyGeneration: 'jpki-system' | 'on-card',
  server: string | undefined,
  applicants: number,
  keys: readonly ApplicantKey[],
  sims: readonly Uint8Array[],
): Promise<Row> {
  const db = await freshBenchDatabase(server);
  const dataDirectory = mkdtempSync(path.join(tmpdir(), 'jpki-bench-load-'));
  const system = await startIssuanceSystem({ database: db.url, dataDirectory });
  try {
    const signers = await throwawaySigners(system.urls['jpki-system']!, keys);
    const spUrl = system.urls['sp-tsm']!;
    // Warm-up: a few applications one at a time (counted with the rest afterwards).
    const warmup = await planApplications({
      applicants: 4,
      keyGeneration,
      signers,
      simCertificates: sims,
      contactPrefix: 'warmup',
      duplicateEvery: 0,
    });
    for (const w of warmup) await sendApplications(spUrl, [w], REQUEST_TIMEOUT_MS);
    const planned = await planApplications({ applicants, keyGeneration, signers, simCertificates: sims, contactPrefix: 'load' });
    const run = await sendApplications(spUrl, planned, REQUEST_TIMEOUT_MS);
    const ok = run.responses.filter((r) => r.status === 200 || r.status === 201);
    const ms = ok.map((r) => r.milliseconds);
    const stats = timingStats(ms);
    const count = await countStored(system.database.db, [...warmup, ...planned]);
    const expected = warmup.length + planned.length;
    const splitPairs = splitDuplicates(run);
    const exactlyOnce =
      count.applications === expected &&
      count.distinctDigests === expected &&
      count.missing === 0 &&
      count.unexpected === 0 &&
      count.issuances === expected &&
      count.distinctIssuanceRequests === expected &&
      splitPairs === 0;
    const errors = [...new Set(run.responses.filter((r) => !(r.status === 200 || r.status === 201)).map((r) => `${r.status} ${r.error ?? ''}`))];
    return {
      mode: keyGeneration,
      database: db.engine === 'sqlite' ? 'SQLite' : 'PostgreSQL',
      requests: run.responses.length,
      ok: ok.length,
      wallMs: run.wallMs,
      median: stats.median,
      p95: stats.p95,
      p99: quantile(ms, 0.99),
      stored: count.applications,
      distinct: count.distinctDigests,
      missing: count.missing,
      pairs: planned.filter((p) => p.twice).length,
      splitPairs,
      issuances: count.issuances,
      exactlyOnce,
      errors,
    };
  } finally {
    await system.close();
    await db.dispose();
    rmSync(dataDirectory, { recursive: true, force: true });
  }
}

function table(rows: readonly Row[]): void {
  const head = [
    'key generation',
    'database',
    'requests',
    'ok',
    'wall s',
    'req/s',
    'median ms',
    'p95 ms',
    'p99 ms',
    'stored',
    'distinct',
    'issuances',
    'twice→one',
    'exactly once',
  ];
  const cells = rows.map((r) => [
    r.mode,
    r.database,
    String(r.requests),
    String(r.ok),
    (r.wallMs / 1000).toFixed(1),
    (r.ok / (r.wallMs / 1000)).toFixed(1),
    r.median.toFixed(0),
    r.p95.toFixed(0),
    r.p99.toFixed(0),
    String(r.stored),
    String(r.distinct),
    String(r.issuances),
    `${r.pairs - r.splitPairs}/${r.pairs}`,
    r.exactlyOnce ? 'yes' : 'NO',
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const line = (c: readonly string[]): string => c.map((v, i) => (i < 2 ? v.padEnd(widths[i]!) : v.padStart(widths[i]!))).join('  ');
  console.log(line(head));
  for (const c of cells) console.log(line(c));
  for (const r of rows) for (const e of r.errors) console.log(`  ${r.mode} on ${r.database}: failed requests: ${e}`);
}

export async function benchIssuanceLoad(applicants: number, postgres?: string): Promise<void> {
  const { N, r, p } = PASSWORD_HASH_PARAMETERS;
  console.log(
    `\nSP-TSM POST /applications: ${applicants} concurrent applicants on loopback, every tenth sending twice at once; ` +
      `services and clients in this one process; password hash scrypt N=2^${Math.log2(N)} r=${r} p=${p}; ` +
      `${APPLICANT_KEYS} applicant keys, ${SIMS} simulated SIMs; after 4 warm-up applications; counts include them`,
  );
  const [keys, sims] = await Promise.all([applicantKeys(APPLICANT_KEYS), simulatedSimCertificates(SIMS)]);
  const servers: (string | undefined)[] = [undefined];
  if (postgres && /^postgres(ql)?:\/\//.test(postgres)) servers.push(postgres);
  else console.log('SKIPPED PostgreSQL: no server (--db postgres://… or JPKI_TEST_POSTGRES_URL)');
  const rows: Row[] = [];
  for (const keyGeneration of ['on-card', 'jpki-system'] as const) {
    for (const server of servers) rows.push(await oneRun(keyGeneration, server, applicants, keys, sims));
  }
  console.log('on-card: the JPKI system only registers the issuance; jpki-system: it generates and certifies an RSA-2048 key per application\n');
  table(rows);
  if (rows.some((r) => !r.exactlyOnce || r.ok !== r.requests)) process.exitCode = 1;
}
