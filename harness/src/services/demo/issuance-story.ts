/**
 * The source document's issuance flow ①–⑱ on the simulator, step by step: two simulated cards (the
 * applicant's My Number card and the SIM), the three services, the device agent. `jpki-harness demo`
 * prints it; the tests run the same function and check each step's result.
 */
import { createVerify, X509Certificate } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { JpkiClient } from '../../jpki/client/client.js';
import { TestCertificateAuthority } from '../../jpki/test-ca/test-ca.js';
import { issueTestMyNumberCard, type CertificateIssuer } from '../../my-number-card/issue.js';
import type { Transport } from '../../transport/transport.js';
import { apply, applicationStatus, authoriseAndWrite, type ApplyOptions } from '../applicant/apply.js';
import { callJson } from '../http/client.js';
import { loadJpkiPki } from '../jpki-system/pki.js';
import { authenticateByCardEmulation } from '../verifier/card-emulation.js';
import { checkSimCredential } from '../verifier/check.js';
import { startIssuanceSystem, type IssuanceSystemOptions, type RunningIssuanceSystem } from '../issuance-system.js';

export interface StoryStep {
  /** ①–⑱ as the source document numbers them. */
  readonly marks: string;
  readonly title: string;
  readonly milliseconds: number;
  readonly detail?: string;
}

export interface StoryOptions {
  readonly database?: string;
  readonly dataDirectory?: string;
  readonly keyGeneration?: 'jpki-system' | 'on-card';
  readonly pinPolicy?: 'pin-required' | 'pin-less';
  /** The operator of the SIM (default: the SP-TSM's default operator). */
  readonly operator?: string;
  readonly onStep?: (step: StoryStep) => void;
  /** Progress inside the write (the TSMs' step labels). */
  readonly onProgress?: (label: string) => void;
  /** An issuance system already running (the tests start one per database). */
  readonly system?: RunningIssuanceSystem;
  readonly systemOptions?: Partial<IssuanceSystemOptions>;
}

export interface StoryCards {
  readonly myNumberCard: Transport;
  readonly sim: Transport;
}

export interface StoryResult {
  readonly applicationId: string;
  readonly steps: readonly StoryStep[];
  readonly simCertificate: Uint8Array;
  readonly signatureSerial: string;
  readonly keyFingerprint: string;
  /** From application sent to personalised SIM (excluding the My Number card's TEST issuance). */
  readonly applicationToPersonalisedMs: number;
}

export const STORY_CONTACT = 'applicant';
export const STORY_CARD_PASSWORD = 'TESTPASS1';
export const STORY_DOWNLOAD_PASSWORD = 'download-Passw0rd';
export const STORY_PIN = '1234';

/**
 * The story applicant's application for `sim`, signed with their My Number card: the story's passwords and
 * contact. Spread it and add what a step changes (key generation, operator, the application it replaces).
 */
export function storyApplication(spTsmUrl: string, myNumberCard: Transport, sim: Transport): ApplyOptions {
  return {
    spTsmUrl,
    myNumberCard,
    signaturePassword: STORY_CARD_PASSWORD,
    sim,
    downloadPassword: STORY_DOWNLOAD_PASSWORD,
    contact: STORY_CONTACT,
  };
}

/**
 * A CertificateIssuer backed by the JPKI system's signature CA (POST /signature-certificates); for a renewed
 * or re-issued card, `supersedes` names the holder's previous signature certificate.
 */
export function signatureIssuerAt(jpkiUrl: string, caCertificate: Uint8Array, supersedes?: string): CertificateIssuer {
  return {
    caCertificate,
    issue: async (spki, subject) => {
      const a = (await callJson('JPKI system', `${jpkiUrl}/signature-certificates`, {
        body: {
          subjectPublicKeyInfo: Buffer.from(spki).toString('base64'),
          subject,
          applicant: { name: 'TEST Hanako', address: 'TEST 1-1 Chiyoda, Tokyo' },
          ...(supersedes !== undefined ? { supersedes } : {}),
        },
      })) as { certificate: string };
      return new Uint8Array(Buffer.from(a.certificate, 'base64'));
    },
  };
}

async function fetchDer(url: string): Promise<Uint8Array> {
  const r = await fetch(url);
  if (!r.ok) throw new Error(`${url}: HTTP ${r.status}`);
  return new Uint8Array(await r.arrayBuffer());
}

/**
 * Gives the applicant's My Number card its TEST signature certificate from the JPKI system (not part of
 * ①–⑱). A renewed card names the holder's previous signature certificate (`supersedes`).
 */
export async function issueApplicantCard(card: Transport, jpkiUrl: string, options: { readonly supersedes?: string } = {}): Promise<void> {
  const signatureCa = await fetchDer(`${jpkiUrl}/ca/signature.crt`);
  const authentication = await TestCertificateAuthority.load();
  await issueTestMyNumberCard(card, {
    signatureIssuer: signatureIssuerAt(jpkiUrl, signatureCa, options.supersedes),
    authenticationIssuer: { caCertificate: authentication.der, issue: (spki, subject) => authentication.issue(spki, subject) },
    password: STORY_CARD_PASSWORD,
    pin: '5678',
    subject: 'CN=TEST Hanako, O=JPKI TEST, C=JP',
  });
}

/** The services a story runs against when none is given: SQLite in a new folder unless a database is named. */
export function startStorySystem(
  options: Pick<StoryOptions, 'database' | 'dataDirectory' | 'systemOptions'>,
  folderPrefix: string,
): Promise<RunningIssuanceSystem> {
  const dataDirectory = options.dataDirectory ?? mkdtempSync(path.join(tmpdir(), folderPrefix));
  return startIssuanceSystem({
    database: options.database ?? path.join(dataDirectory, 'state.sqlite'),
    dataDirectory,
    ...(options.systemOptions ?? {}),
  });
}

export async function runIssuanceStory(cards: StoryCards, options: StoryOptions = {}): Promise<StoryResult> {
  const steps: StoryStep[] = [];
  const step = (marks: string, title: string, started: number, detail?: string): void => {
    const s = { marks, title, milliseconds: performance.now() - started, ...(detail ? { detail } : {}) };
    steps.push(s);
    options.onStep?.(s);
  };
  let t = performance.now();
  const system = options.system ?? (await startStorySystem(options, 'jpki-issuance-'));
  const jpkiUrl = system.urls['jpki-system']!;
  const spUrl = system.urls['sp-tsm']!;
  try {
    step('', `services up: JPKI system ${jpkiUrl}, MNO-TSM ${system.urls['mno-tsm']}, SP-TSM ${spUrl} (${system.database.description})`, t);
    t = performance.now();
    await issueApplicantCard(cards.myNumberCard, jpkiUrl);
    step('', "the applicant's My Number card holds its TEST signature certificate", t);

    t = performance.now();
    const started = t;
    step('①', `JPKI-UI app (device agent) on the phone: SIM in ${cards.sim.description}`, t);
    t = performance.now();
    const applied = await apply({
      ...storyApplication(spUrl, cards.myNumberCard, cards.sim),
      keyGeneration: options.keyGeneration ?? 'jpki-system',
      pinPolicy: options.pinPolicy ?? 'pin-required',
      ...(options.operator !== undefined ? { operator: options.operator } : {}),
    });
    step(
      '②–⑤',
      'application signed by the My Number card; SP-TSM checked it at the JPKI system, registered the password, issued the access code',
      t,
      `application ${applied.id}: ${applied.state}`,
    );
    const status = await applicationStatus(spUrl, applied.id);
    const issued = status.events.find((e) => e.step.startsWith('key and certificate issued') || e.step.startsWith('issuance registered'));
    step('⑥–⑨', issued?.step ?? 'issuance at the JPKI system', performance.now(), issued?.detail);

    t = performance.now();
    const accessCode = system.mailbox.latestAccessCode(STORY_CONTACT, applied.id);
    if (!accessCode) throw new Error('no access code in the mailbox');
    step('⑪', `access code delivered out of band (${system.mailbox.file(STORY_CONTACT)})`, t);

    t = performance.now();
    let phase = performance.now();
    let label = '';
    const write = await authoriseAndWrite({
      spTsmUrl: spUrl,
      applicationId: applied.id,
      accessCode,
      downloadPassword: STORY_DOWNLOAD_PASSWORD,
      pin: STORY_PIN,
      sim: cards.sim,
      onStep: (s) => {
        const now = performance.now();
        if (label) options.onProgress?.(`${label} (${(now - phase).toFixed(0)} ms)`);
        label = s;
        phase = now;
      },
    });
    if (label) options.onProgress?.(`${label} (${(performance.now() - phase).toFixed(0)} ms)`);
    step(
      '⑫–⑱',
      'write authorised with access code + password; MNO-TSM installed the applet; SP-TSM wrote key and certificate',
      t,
      `${write.outcome}, ${write.commands} APDUs in ${write.batches} batches`,
    );
    const applicationToPersonalisedMs = performance.now() - started;

    t = performance.now();
    const client = new JpkiClient(cards.sim);
    await client.selectApplication();
    const certificate = await client.readFile(0x000a);
    const cert = new X509Certificate(certificate);
    await client.verifyPin(STORY_PIN);
    const challenge = Buffer.from(`challenge ${Date.now()}`);
    const signature = await client.sign('sha256', challenge);
    const verifier = createVerify('sha256');
    verifier.update(challenge);
    if (!verifier.verify(cert.publicKey, signature)) throw new Error('the SIM signature does not verify with its certificate');
    const final = await applicationStatus(spUrl, applied.id);
    step('', `the SIM signs with its new credential (certificate ${cert.serialNumber}, ${cert.subject.replace(/\n/g, ', ')})`, t);
    t = performance.now();
    const root = (await loadJpkiPki()).root.der;
    const authentication = await authenticateByCardEmulation(cards.sim, { root, pin: STORY_PIN });
    if (!authentication.accepted) throw new Error(`card emulation refused the SIM: ${authentication.reason ?? ''}`);
    step(
      '',
      'card emulation: a reader-side verifier had the SIM sign a fresh challenge; ' +
        `signature, chain and OCSP ${authentication.ocsp?.status ?? '?'} (SIM signing ${authentication.signMs.toFixed(0)} ms)`,
      t,
    );
    t = performance.now();
    const check = await checkSimCredential(cards.sim, root);
    if (!check.valid) throw new Error(`the SIM credential does not check: chain ${check.chain}, OCSP ${check.ocsp?.status ?? 'not asked'}`);
    step('', `validity checked from the SIM: chain to the JPKI root ok, OCSP ${check.ocsp?.status ?? '?'}, ${check.daysLeft} days left`, t);
    return {
      applicationId: applied.id,
      steps,
      simCertificate: new Uint8Array(certificate),
      signatureSerial: cert.serialNumber,
      keyFingerprint: final.keyFingerprint ?? '',
      applicationToPersonalisedMs,
    };
  } finally {
    if (!options.system) await system.close();
  }
}
