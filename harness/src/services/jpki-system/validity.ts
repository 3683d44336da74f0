/**
 * The validity check the SP-TSM asks for (the source document's step ③): is this signature certificate
 * one of the test JPKI system's, chained to its root, inside its validity period and not revoked?
 */
import type { Database } from '../db/database.js';
import type { JpkiPki } from './pki.js';
import { reasonName } from './reasons.js';
import { normaliseSerial } from './serials.js';
import { findCertificate } from './store.js';
import { x509 } from './webcrypto.js';

export type InvalidReason =
  'malformed' | 'untrusted-issuer' | 'not-a-signature-certificate' | 'not-yet-valid' | 'expired' | 'revoked' | 'unknown-certificate';

export interface CertificateValidity {
  readonly valid: boolean;
  /** Why not; absent when valid. */
  readonly reason?: InvalidReason;
  /** For a revoked certificate: the RFC 5280 reason name. */
  readonly revocationReason?: string;
  readonly revokedAt?: string;
  readonly serial?: string;
  readonly subject?: string;
  readonly notAfter?: string;
  /**
   * For a valid certificate of a renewed or re-issued card: the holder's earlier signature certificates,
   * newest first (the link a relying party uses to recognise the same person behind a new certificate).
   */
  readonly predecessors?: readonly string[];
}

/** Follows the successor links back from `serial` (bounded: a card is renewed a handful of times). */
async function predecessorsOf(db: Database, serial: string): Promise<string[]> {
  const chain: string[] = [];
  let current = await findCertificate(db, serial);
  while (current?.successor_of && chain.length < 16 && !chain.includes(current.successor_of)) {
    chain.push(current.successor_of);
    current = await findCertificate(db, current.successor_of);
  }
  return chain;
}

async function signedBy(certificate: x509.X509Certificate, issuer: x509.X509Certificate): Promise<boolean> {
  if (certificate.issuer !== issuer.subject) return false;
  try {
    return await certificate.verify({ publicKey: issuer, signatureOnly: true });
  } catch {
    return false;
  }
}

export async function checkSignatureCertificate(db: Database, pki: JpkiPki, der: Uint8Array, now = new Date()): Promise<CertificateValidity> {
  let certificate: x509.X509Certificate;
  try {
    certificate = new x509.X509Certificate(der);
  } catch {
    return { valid: false, reason: 'malformed' };
  }
  const serial = normaliseSerial(certificate.serialNumber);
  const about = { serial, subject: certificate.subject, notAfter: certificate.notAfter.toISOString() };
  const signatureCa = pki.authorities.signature.certificate;
  const chained = (await signedBy(certificate, signatureCa)) && (await signedBy(signatureCa, pki.root.certificate));
  if (!chained) {
    const fromUserAuthentication = await signedBy(certificate, pki.authorities['user-authentication'].certificate);
    return { valid: false, reason: fromUserAuthentication ? 'not-a-signature-certificate' : 'untrusted-issuer', ...about };
  }
  if (now < certificate.notBefore) return { valid: false, reason: 'not-yet-valid', ...about };
  if (now > certificate.notAfter) return { valid: false, reason: 'expired', ...about };
  const row = await findCertificate(db, serial);
  if (!row || row.ca !== 'signature') return { valid: false, reason: 'unknown-certificate', ...about };
  if (row.status === 'revoked') {
    return {
      valid: false,
      reason: 'revoked',
      revocationReason: reasonName(row.revocation_reason ?? 0),
      revokedAt: new Date(row.revoked_at ?? 0).toISOString(),
      ...about,
    };
  }
  const predecessors = await predecessorsOf(db, row.serial);
  return { valid: true, ...about, ...(predecessors.length > 0 ? { predecessors } : {}) };
}
