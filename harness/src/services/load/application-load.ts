/**
 * Many applicants at once against the SP-TSM's POST /applications, without a My Number card each:
 * a few throwaway applicant keys made in Node and certified by the JPKI system's signature CA
 * (POST /signature-certificates), reused across applicants, each application a distinct document
 * (its own nonce and contact) signed in Node; the designated SIMs' card authority certificates are
 * read from simulated SIMs. A share of the applications is sent twice at the same moment, so that
 * the count afterwards shows duplicates collapsing to one stored application.
 */
import { createHash, createSign, generateKeyPair, type KeyObject } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { promisify } from 'node:util';
import { readCardAuthorityCertificate } from '../../gp/card-authority.js';
import { SimTransport } from '../../transport/sim.js';
import type { Database } from '../db/database.js';
import { callJson } from '../http/client.js';
import { signApplication, type ApplicationSigner, type SignedApplication } from '../sp-tsm/application.js';

const generateRsa = promisify(generateKeyPair);

export interface ApplicantKey {
  readonly publicKey: KeyObject;
  readonly privateKey: KeyObject;
}

/** `count` throwaway RSA-2048 applicant key pairs. */
export async function applicantKeys(count: number): Promise<ApplicantKey[]> {
  return Promise.all(Array.from({ length: count }, () => generateRsa('rsa', { modulusLength: 2048 })));
}

/** Each key with a signature certificate from the JPKI system at `jpkiUrl`, as a signer. */
export async function throwawaySigners(jpkiUrl: string, keys: readonly ApplicantKey[]): Promise<ApplicationSigner[]> {
  const signers: ApplicationSigner[] = [];
  for (const [i, key] of keys.entries()) {
    const spki = key.publicKey.export({ format: 'der', type: 'spki' });
    const answer = (await callJson('JPKI system', `${jpkiUrl}/signature-certificates`, {
      body: { subjectPublicKeyInfo: spki.toString('base64'), subject: `TEST Applicant ${String(i + 1).padStart(3, '0')}` },
    })) as { certificate: string };
    signers.push(nodeSigner(new Uint8Array(Buffer.from(answer.certificate, 'base64')), key.privateKey));
  }
  return signers;
}

/** Signs as the My Number card does (RSASSA-PKCS1-v1_5, SHA-256), with a key held in Node. */
export function nodeSigner(certificate: Uint8Array, privateKey: KeyObject): ApplicationSigner {
  return { certificate, sign: async (data) => new Uint8Array(createSign('sha256').update(data).sign(privateKey)) };
}

/** The card authority certificates of `count` fresh simulated SIMs (one simulator at a time). */
export async function simulatedSimCertificates(count: number): Promise<Uint8Array[]> {
  const certificates: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const sim = await SimTransport.open({});
    try {
      certificates.push(await readCardAuthorityCertificate(sim));
    } finally {
      await sim.close();
    }
  }
  return certificates;
}

export interface PlannedApplication {
  readonly application: SignedApplication;
  /** SHA-256 of the document bytes, hex: what the SP-TSM keeps as the application's identity. */
  readonly digest: string;
  readonly contact: string;
  /** Sent twice at once. */
  readonly twice: boolean;
}

export interface LoadPlan {
  readonly applicants: number;
  readonly keyGeneration: 'jpki-system' | 'on-card';
  /** Every n-th applicant sends twice (default 10: a tenth). */
  readonly duplicateEvery?: number;
  readonly signers: readonly ApplicationSigner[];
  readonly simCertificates: readonly Uint8Array[];
  /** Mailbox names are `${prefix}-NNN`. */
  readonly contactPrefix?: string;
}

/** One distinct, validly signed application per applicant. */
export async function planApplications(plan: LoadPlan): Promise<PlannedApplication[]> {
  if (plan.signers.length === 0 || plan.simCertificates.length === 0) throw new Error('a load plan needs signers and SIM certificates');
  const every = plan.duplicateEvery ?? 10;
  const planned: PlannedApplication[] = [];
  for (let i = 0; i < plan.applicants; i++) {
    const contact = `${plan.contactPrefix ?? 'applicant'}-${String(i).padStart(3, '0')}`;
    const application = await signApplication(
      plan.signers[i % plan.signers.length]!,
      {
        contact,
        keyGeneration: plan.keyGeneration,
        pinPolicy: 'pin-required',
        simCertificate: plan.simCertificates[i % plan.simCertificates.length]!,
      },
      `load-Passw0rd-${i}`,
    );
    const digest = createHash('sha256').update(Buffer.from(application.document, 'base64')).digest('hex');
    planned.push({ application, digest, contact, twice: every > 0 && i % every === every - 1 });
  }
  return planned;
}

export interface LoadResponse {
  readonly digest: string;
  /** HTTP status, or 0 when the request failed or timed out. */
  readonly status: number;
  readonly id?: string;
  readonly duplicate?: boolean;
  readonly error?: string;
  readonly milliseconds: number;
}

export interface LoadRun {
  readonly responses: readonly LoadResponse[];
  /** First request sent to last answer. */
  readonly wallMs: number;
}

/** Sends every planned application at once (the twice-marked ones twice), each request bounded by `timeoutMs`. */
export async function sendApplications(spTsmUrl: string, planned: readonly PlannedApplication[], timeoutMs: number): Promise<LoadRun> {
  const one = async (p: PlannedApplication): Promise<LoadResponse> => {
    const started = performance.now();
    try {
      const response = await fetch(`${spTsmUrl}/applications`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(p.application),
        signal: AbortSignal.timeout(timeoutMs),
      });
      const answer = (await response.json()) as { id?: string; duplicate?: boolean; error?: { code?: string; message?: string } };
      return {
        digest: p.digest,
        status: response.status,
        ...(answer.id !== undefined ? { id: answer.id } : {}),
        ...(answer.duplicate !== undefined ? { duplicate: answer.duplicate } : {}),
        ...(answer.error ? { error: `${answer.error.code ?? ''}: ${answer.error.message ?? ''}` } : {}),
        milliseconds: performance.now() - started,
      };
    } catch (e) {
      return { digest: p.digest, status: 0, error: e instanceof Error ? e.message : String(e), milliseconds: performance.now() - started };
    }
  };
  const requests = planned.flatMap((p) => (p.twice ? [p, p] : [p]));
  const started = performance.now();
  const responses = await Promise.all(requests.map(one));
  return { responses, wallMs: performance.now() - started };
}

export interface StoredCount {
  /** Rows in sp_applications. */
  readonly applications: number;
  readonly distinctDigests: number;
  /** Planned digests with no row. */
  readonly missing: number;
  /** Rows whose digest was not planned. */
  readonly unexpected: number;
  /** Applications that reached awaiting-write (issuance registered, access code sent). */
  readonly awaitingWrite: number;
  /** Issuances at the JPKI system, and how many distinct request references they have. */
  readonly issuances: number;
  readonly distinctIssuanceRequests: number;
}

/** What the database holds after a run: each planned application once, with one issuance. */
export async function countStored(db: Database, planned: readonly PlannedApplication[]): Promise<StoredCount> {
  const rows = await db.selectFrom('sp_applications').select(['id', 'application_digest', 'state']).execute();
  const digests = new Set(rows.map((r) => r.application_digest));
  const plannedDigests = new Set(planned.map((p) => p.digest));
  const issuances = await db.selectFrom('jpki_issuances').select('request_ref').execute();
  return {
    applications: rows.length,
    distinctDigests: digests.size,
    missing: [...plannedDigests].filter((d) => !digests.has(d)).length,
    unexpected: [...digests].filter((d) => !plannedDigests.has(d)).length,
    awaitingWrite: rows.filter((r) => r.state === 'awaiting-write').length,
    issuances: issuances.length,
    distinctIssuanceRequests: new Set(issuances.map((i) => i.request_ref)).size,
  };
}

/** The pairs sent twice whose two answers named different applications (should be none). */
export function splitDuplicates(run: LoadRun): number {
  const ids = new Map<string, Set<string>>();
  for (const r of run.responses) {
    if (r.id === undefined) continue;
    const set = ids.get(r.digest) ?? new Set<string>();
    set.add(r.id);
    ids.set(r.digest, set);
  }
  return [...ids.values()].filter((s) => s.size > 1).length;
}
