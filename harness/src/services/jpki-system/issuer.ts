/**
 * Signs certificates with the issuing CAs under the two profiles. Signing is pure: it answers the
 * certificate and the row to store, and the caller stores it in the same transaction as whatever state
 * change the certificate belongs to.
 */
import { createPublicKey } from 'node:crypto';
import { badRequest } from '../http/errors.js';
import type { JpkiPki } from './pki.js';
import {
  publicationPoints,
  signatureExtensions,
  signatureSubject,
  SIGNATURE_VALIDITY_YEARS,
  userAuthenticationExtensions,
  userAuthenticationSubject,
  USER_AUTHENTICATION_VALIDITY_YEARS,
  type Applicant,
  type PublicationPoints,
} from './profiles.js';
import { randomSerial } from './serials.js';
import type { NewCertificateRow } from './store.js';
import type { CertificateAuthorityName } from '../db/tables/jpki-system.js';
import { asX509Key, RSA_SHA256, x509 } from './webcrypto.js';

export interface Validity {
  readonly notBefore: Date;
  readonly notAfter: Date;
}

interface CommonRequest {
  readonly subjectPublicKeyInfo: Uint8Array;
  /** Defaults to now .. now + the profile's years. */
  readonly validity?: Validity;
}

export interface UserAuthenticationRequest extends CommonRequest {
  readonly linkedSignatureSerial: string;
  readonly issuanceId?: string;
}

export interface SignatureRequest extends CommonRequest {
  /** A DN, or a bare (TEST) name put into CN. */
  readonly subject: string;
  readonly applicant?: Applicant;
}

export interface SignedCertificate {
  readonly certificate: x509.X509Certificate;
  readonly der: Uint8Array;
  readonly serial: string;
  readonly row: NewCertificateRow;
}

/** Refuses anything but an RSA key of at least 2048 bits (the JPKI profile). */
export function checkSubjectPublicKey(spki: Uint8Array): void {
  let key;
  try {
    key = createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
  } catch {
    throw badRequest('malformed-public-key', 'subjectPublicKeyInfo is not a DER SubjectPublicKeyInfo');
  }
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  if (key.asymmetricKeyType !== 'rsa' || bits < 2048) throw badRequest('unsupported-public-key', 'the profile takes RSA keys of 2048 bits or more');
}

function defaultValidity(years: number): Validity {
  const notBefore = new Date(Math.floor(Date.now() / 1000) * 1000);
  const notAfter = new Date(notBefore);
  notAfter.setUTCFullYear(notAfter.getUTCFullYear() + years);
  return { notBefore, notAfter };
}

/** The service's public URL, or how to learn it once the service listens. */
export type BaseUrl = string | (() => string);

export class CertificateIssuer {
  constructor(
    private readonly pki: JpkiPki,
    private readonly baseUrl: BaseUrl,
  ) {}

  /** The CRL, OCSP and CA-certificate URLs written into the certificates. */
  get points(): PublicationPoints {
    return publicationPoints(typeof this.baseUrl === 'string' ? this.baseUrl : this.baseUrl());
  }

  private async sign(
    ca: CertificateAuthorityName,
    subject: string,
    request: CommonRequest,
    extensions: x509.Extension[],
    years: number,
    link: Pick<NewCertificateRow, 'linked_signature_serial' | 'issuance_id'>,
  ): Promise<SignedCertificate> {
    const authority = this.pki.authorities[ca];
    const serial = randomSerial();
    const validity = request.validity ?? defaultValidity(years);
    const certificate = await x509.X509CertificateGenerator.create({
      serialNumber: serial,
      subject,
      issuer: authority.certificate.subjectName,
      notBefore: validity.notBefore,
      notAfter: validity.notAfter,
      publicKey: request.subjectPublicKeyInfo,
      // eslint-disable-next-line @typescript-eslint/no-unsafe-assignment -- see asX509Key
      signingKey: asX509Key(authority.signingKey),
      signingAlgorithm: RSA_SHA256,
      extensions,
    });
    const der = new Uint8Array(certificate.rawData);
    return {
      certificate,
      der,
      serial,
      row: {
        serial,
        ca,
        subject: certificate.subject,
        der: Buffer.from(der).toString('base64'),
        not_before: validity.notBefore.getTime(),
        not_after: validity.notAfter.getTime(),
        issued_at: Date.now(),
        status: 'good',
        revoked_at: null,
        revocation_reason: null,
        ...link,
      },
    };
  }

  /** A user-authentication certificate for a SIM, linked to the applicant's signature certificate. */
  async userAuthentication(request: UserAuthenticationRequest): Promise<SignedCertificate> {
    checkSubjectPublicKey(request.subjectPublicKeyInfo);
    const authority = this.pki.authorities['user-authentication'];
    const extensions = await userAuthenticationExtensions(authority.certificate.publicKey.rawData, request.subjectPublicKeyInfo, this.points);
    // The subject is an identifier drawn afresh, unrelated to the applicant.
    const identifier = randomSerial().slice(0, 20);
    return this.sign('user-authentication', userAuthenticationSubject(identifier), request, extensions, USER_AUTHENTICATION_VALIDITY_YEARS, {
      linked_signature_serial: request.linkedSignatureSerial,
      issuance_id: request.issuanceId ?? null,
    });
  }

  /** A signature certificate for an applicant's (test) card. */
  async signature(request: SignatureRequest): Promise<SignedCertificate> {
    checkSubjectPublicKey(request.subjectPublicKeyInfo);
    const authority = this.pki.authorities.signature;
    const extensions = await signatureExtensions(
      authority.certificate.publicKey.rawData,
      request.subjectPublicKeyInfo,
      this.points,
      request.applicant,
    );
    return this.sign('signature', signatureSubject(request.subject), request, extensions, SIGNATURE_VALIDITY_YEARS, {
      linked_signature_serial: null,
      issuance_id: null,
    });
  }
}
