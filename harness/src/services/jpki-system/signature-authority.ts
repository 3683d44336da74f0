/**
 * The signature CA as the test My Number card's personalisation sees it: certifies the key the card
 * generated and records the certificate, so the validity check, the CRL and OCSP know it.
 */
import type { Database } from '../db/database.js';
import { badRequest } from '../http/errors.js';
import { CertificateIssuer, type BaseUrl, type Validity } from './issuer.js';
import type { JpkiPki } from './pki.js';
import type { Applicant } from './profiles.js';
import { REVOCATION_REASONS } from './reasons.js';
import { revokeCertificate } from './revocation.js';
import { findCertificate, insertCertificate } from './store.js';

/** What a card personalisation needs from a signature CA. */
export interface CardSignatureIssuer {
  readonly caCertificate: Uint8Array;
  issue(subjectPublicKeyInfo: Uint8Array, subject: string): Promise<Uint8Array>;
}

export class SignatureCertificateAuthority implements CardSignatureIssuer {
  private readonly issuer: CertificateIssuer;

  constructor(
    private readonly db: Database,
    pki: JpkiPki,
    baseUrl: BaseUrl,
  ) {
    this.issuer = new CertificateIssuer(pki, baseUrl);
    this.caCertificate = pki.authorities.signature.der;
  }

  readonly caCertificate: Uint8Array;

  /**
   * A signature certificate (DER) for the card's key; `subject` is a DN or a bare TEST name. For a renewed
   * or re-issued card, `supersedes` names the holder's previous signature certificate: the new one records
   * the link, and the previous one, if still good, is revoked as superseded — and with it the SIM
   * certificates linked to it.
   */
  async issue(
    subjectPublicKeyInfo: Uint8Array,
    subject: string,
    applicant?: Applicant,
    validity?: Validity,
    supersedes?: string,
  ): Promise<Uint8Array> {
    const previous = supersedes === undefined ? undefined : await findCertificate(this.db, supersedes);
    if (supersedes !== undefined && previous?.ca !== 'signature')
      throw badRequest('unknown-predecessor', `no signature certificate ${supersedes} to supersede`);
    const signed = await this.issuer.signature({
      subjectPublicKeyInfo,
      subject,
      ...(applicant ? { applicant } : {}),
      ...(validity ? { validity } : {}),
    });
    await this.db.transaction().execute((trx) => insertCertificate(trx, { ...signed.row, successor_of: previous?.serial ?? null }));
    if (previous?.status === 'good') await revokeCertificate(this.db, previous.serial, REVOCATION_REASONS.superseded);
    return signed.der;
  }
}
