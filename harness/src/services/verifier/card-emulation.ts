/**
 * The card-emulation use case (the source document's 別紙4): a reader-side verifier sends the SIM the same
 * APDUs it would send the My Number card — select the JPKI application, read the certificate, verify the
 * PIN, sign a fresh challenge (PKCS#1 v1.5, SHA-256) — then checks the signature, the chain to the JPKI root
 * and the revocation status (OCSP). A revoked, expired or untrusted credential is refused.
 */
import { createVerify, randomBytes, X509Certificate } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { JpkiClient } from '../../jpki/client/client.js';
import type { Transport } from '../../transport/transport.js';
import { checkOcsp, type OcspResult } from '../jpki-system/ocsp-client.js';
import { checkChain, ocspUrlOf } from './check.js';

export interface Authentication {
  readonly accepted: boolean;
  /** Why not, when refused. */
  readonly reason?: string;
  readonly serial: string;
  readonly subject: string;
  readonly ocsp?: OcspResult;
  /** Challenge to verdict, and the SIM's own signing (VERIFY excluded). */
  readonly totalMs: number;
  readonly signMs: number;
}

export interface CardEmulationOptions {
  readonly root: Uint8Array;
  /** The user's PIN; left out for a PIN-less credential. */
  readonly pin?: string;
  readonly now?: Date;
}

export async function authenticateByCardEmulation(sim: Transport, options: CardEmulationOptions): Promise<Authentication> {
  const started = performance.now();
  const challenge = randomBytes(32);
  const client = new JpkiClient(sim);
  await client.selectApplication();
  const certificate = await client.readFile(0x000a);
  const issuer = await client.readFile(0x000b);
  if (options.pin !== undefined) await client.verifyPin(options.pin);
  const signStarted = performance.now();
  const signature = await client.sign('sha256', challenge);
  const signMs = performance.now() - signStarted;
  const cert = new X509Certificate(certificate);
  const base = { serial: cert.serialNumber, subject: cert.subject.replace(/\n/g, ', '), signMs };
  const refuse = (reason: string, ocsp?: OcspResult): Authentication => ({
    ...base,
    accepted: false,
    reason,
    ...(ocsp ? { ocsp } : {}),
    totalMs: performance.now() - started,
  });
  const verifier = createVerify('sha256');
  verifier.update(challenge);
  if (!verifier.verify(cert.publicKey, signature)) return refuse('the signature does not verify with the certificate');
  const chain = checkChain(certificate, issuer, options.root, options.now);
  if (chain !== 'ok') return refuse(`certificate ${chain}`);
  const url = ocspUrlOf(certificate);
  if (!url) return refuse('the certificate names no OCSP responder');
  const ocsp = await checkOcsp(certificate, issuer, url);
  if (ocsp.status !== 'good') return refuse(`OCSP: ${ocsp.status}${ocsp.reason ? ` (${ocsp.reason})` : ''}`, ocsp);
  return { ...base, accepted: true, ocsp, totalMs: performance.now() - started };
}
