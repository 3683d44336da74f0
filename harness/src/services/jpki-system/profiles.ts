/**
 * The certificate profiles of the test JPKI system, modelled on JPKI's two certificates:
 *
 * - user authentication (利用者証明用): no personal data at all; the subject names only a serial-like
 *   identifier; keyUsage digitalSignature (critical), extendedKeyUsage clientAuth;
 * - signature (署名用): nonRepudiation + digitalSignature (critical); the applicant's (TEST) name and
 *   address travel in the subject alternative name as otherName attributes, as JPKI's do in spirit.
 *
 * Both carry a TEST certificate policy, authority and subject key identifiers, a CRL distribution point
 * and an AIA (OCSP responder, CA certificate) at the service's own URLs. The TEST OIDs are under
 * {joint-iso-itu-t(2) example(999)}, the arc reserved for examples: they can never mean anything real.
 */
import { AsnConvert } from '@peculiar/asn1-schema';
import * as asn1X509 from '@peculiar/asn1-x509';
import type { CertificateAuthorityName } from '../db/tables/jpki-system.js';
import { x509 } from './webcrypto.js';

export const TEST_POLICY_OIDS: Readonly<Record<CertificateAuthorityName, string>> = {
  'user-authentication': '2.999.1.1',
  signature: '2.999.1.2',
};

/** The otherName types of the applicant's attributes in a TEST signature certificate. */
export const TEST_APPLICANT_OIDS = {
  name: '2.999.2.1',
  address: '2.999.2.2',
  dateOfBirth: '2.999.2.3',
  gender: '2.999.2.4',
} as const;

/** The applicant's basic four attributes (基本4情報), TEST values only. */
export interface Applicant {
  readonly name: string;
  readonly address: string;
  /** YYYYMMDD */
  readonly dateOfBirth?: string;
  readonly gender?: string;
}

export const USER_AUTHENTICATION_VALIDITY_YEARS = 5;
export const SIGNATURE_VALIDITY_YEARS = 5;

/** Where the service publishes its CRLs, OCSP responder and CA certificates. */
export interface PublicationPoints {
  crl(ca: CertificateAuthorityName): string;
  readonly ocsp: string;
  caCertificate(ca: CertificateAuthorityName): string;
}

export function publicationPoints(baseUrl: string): PublicationPoints {
  const base = baseUrl.replace(/\/+$/, '');
  return {
    crl: (ca) => `${base}/crl/${ca}.crl`,
    ocsp: `${base}/ocsp`,
    caCertificate: (ca) => `${base}/ca/${ca}.crt`,
  };
}

/** The subject of a user-authentication certificate: an identifier, never a name. */
export function userAuthenticationSubject(identifier: string): string {
  return `C=JP, O=JPKI TEST, OU=JPKI TEST User Authentication, CN=${identifier}`;
}

/** A DN as given, or (without any `=`) a bare name put into CN under the TEST organisation. */
export function signatureSubject(subject: string): string {
  return subject.includes('=') ? subject : `C=JP, O=JPKI TEST, OU=JPKI TEST Signature, CN=${subject}`;
}

function derUtf8String(text: string): ArrayBuffer {
  const value = Buffer.from(text, 'utf8');
  const length = value.length < 0x80 ? [value.length] : value.length < 0x100 ? [0x81, value.length] : [0x82, value.length >> 8, value.length & 0xff];
  const der = Buffer.concat([Buffer.from([0x0c, ...length]), value]);
  return der.buffer.slice(der.byteOffset, der.byteOffset + der.byteLength);
}

/** subjectAltName with the applicant's attributes as otherName (UTF8String) entries. */
export function applicantAltNames(applicant: Applicant): x509.Extension {
  const entries: [string, string | undefined][] = [
    [TEST_APPLICANT_OIDS.name, applicant.name],
    [TEST_APPLICANT_OIDS.address, applicant.address],
    [TEST_APPLICANT_OIDS.dateOfBirth, applicant.dateOfBirth],
    [TEST_APPLICANT_OIDS.gender, applicant.gender],
  ];
  const names = entries
    .filter((e): e is [string, string] => e[1] !== undefined && e[1] !== '')
    .map(([typeId, value]) => new asn1X509.GeneralName({ otherName: new asn1X509.OtherName({ typeId, value: derUtf8String(value) }) }));
  return new x509.Extension(asn1X509.id_ce_subjectAltName, false, AsnConvert.serialize(new asn1X509.SubjectAlternativeName(names)));
}

/** Reads the applicant's attributes back from a signature certificate (undefined when it has none). */
export function readApplicant(certificate: x509.X509Certificate): Applicant | undefined {
  const extension = certificate.getExtension(asn1X509.id_ce_subjectAltName);
  if (!extension) return undefined;
  const names = AsnConvert.parse(extension.value, asn1X509.SubjectAlternativeName);
  const found: Record<string, string> = {};
  for (const n of names) {
    if (!n.otherName) continue;
    const der = Buffer.from(n.otherName.value);
    if (der[0] !== 0x0c) continue;
    const lengthByte = der[1]!;
    const offset = lengthByte < 0x80 ? 2 : 2 + (lengthByte & 0x7f);
    found[n.otherName.typeId] = der.subarray(offset).toString('utf8');
  }
  const name = found[TEST_APPLICANT_OIDS.name];
  const address = found[TEST_APPLICANT_OIDS.address];
  if (name === undefined || address === undefined) return undefined;
  const dateOfBirth = found[TEST_APPLICANT_OIDS.dateOfBirth];
  const gender = found[TEST_APPLICANT_OIDS.gender];
  return { name, address, ...(dateOfBirth !== undefined ? { dateOfBirth } : {}), ...(gender !== undefined ? { gender } : {}) };
}

async function commonExtensions(
  ca: CertificateAuthorityName,
  issuerSpki: Uint8Array | ArrayBuffer,
  subjectSpki: Uint8Array,
  points: PublicationPoints,
): Promise<x509.Extension[]> {
  return [
    await x509.AuthorityKeyIdentifierExtension.create(issuerSpki),
    await x509.SubjectKeyIdentifierExtension.create(subjectSpki),
    new x509.CertificatePolicyExtension([TEST_POLICY_OIDS[ca]]),
    new x509.CRLDistributionPointsExtension([points.crl(ca)]),
    new x509.AuthorityInfoAccessExtension({ ocsp: [points.ocsp], caIssuers: [points.caCertificate(ca)] }),
  ];
}

/** The extensions of a user-authentication certificate. */
export async function userAuthenticationExtensions(
  issuerSpki: Uint8Array | ArrayBuffer,
  subjectSpki: Uint8Array,
  points: PublicationPoints,
): Promise<x509.Extension[]> {
  return [
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
    new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.clientAuth]),
    ...(await commonExtensions('user-authentication', issuerSpki, subjectSpki, points)),
  ];
}

/** The extensions of a signature certificate (with the applicant's attributes when given). */
export async function signatureExtensions(
  issuerSpki: Uint8Array | ArrayBuffer,
  subjectSpki: Uint8Array,
  points: PublicationPoints,
  applicant?: Applicant,
): Promise<x509.Extension[]> {
  return [
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.nonRepudiation, true),
    ...(applicant ? [applicantAltNames(applicant)] : []),
    ...(await commonExtensions('signature', issuerSpki, subjectSpki, points)),
  ];
}
