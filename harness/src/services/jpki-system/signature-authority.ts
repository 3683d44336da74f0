/**
 * The signature CA as the test My Number card's personalisation sees it: certifies the key the card
 * generated and records the certificate, so the validity check, the CRL and OCSP know it.
 */
import type { Database } from '../db/database.js';
import { CertificateIssuer, type BaseUrl, type Validity } from './issuer.js';
import type { JpkiPki } from './pki.js';
import type { Applicant } from './profiles.js';
import { insertCertificate } from './store.js';

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

  /** A signature certificate (DER) for the card's key; `subject` is a DN or a bare TEST name. */
  async issue(subjectPublicKeyInfo: Uint8Array, subject: string, applicant?: Applicant, validity?: Validity): Promise<Uint8Array> {
    const signed = await this.issuer.signature({ subjectPublicKeyInfo, subject, ...(applicant ? { applicant } : {}), ...(validity ? { validity } : {}) });
    await this.db.transaction().execute((trx) => insertCertificate(trx, signed.row));
    return signed.der;
  }
}
