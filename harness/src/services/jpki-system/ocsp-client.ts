/**
 * An OCSP client (RFC 6960) for the SP-TSM and relying parties: asks about one certificate with a
 * nonce, and believes the answer only when it is signed by the issuer or by a responder the issuer
 * delegated (id-kp-OCSPSigning), echoes the nonce and names the certificate asked about.
 */
import { createPublicKey, randomBytes, verify } from 'node:crypto';
import {
  BasicOCSPResponse,
  CertStatus,
  OCSPRequest,
  OCSPResponse,
  OCSPResponseStatus,
  Request,
  TBSRequest,
  id_pkix_ocsp_basic,
  id_pkix_ocsp_nonce,
} from '@peculiar/asn1-ocsp';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import * as asn1X509 from '@peculiar/asn1-x509';
import { HarnessError } from '../../errors.js';
import { certIdSerial, keyId, makeCertId, sameIssuer, issuerHashes, hashNameOf } from './cert-id.js';
import { reasonName } from './reasons.js';
import { normaliseSerial } from './serials.js';
import { OCSP_REQUEST_TYPE, SHA256_WITH_RSA } from './ocsp.js';

export class OcspError extends HarnessError {
  readonly exitCode = 4;
  constructor(
    /** malformedRequest, unauthorized, ... for a refusal; bad-signature, nonce-mismatch, ... for an answer not believed. */
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export type OcspCertificateStatus = 'good' | 'revoked' | 'unknown';

export interface OcspResult {
  readonly status: OcspCertificateStatus;
  readonly revokedAt?: Date;
  /** RFC 5280 reason name, for a revoked certificate that gave one. */
  readonly reason?: string;
  readonly thisUpdate: Date;
  readonly nextUpdate?: Date;
  readonly producedAt: Date;
}

export interface OcspCheckOptions {
  /** Default true. */
  readonly nonce?: boolean;
  readonly signal?: AbortSignal;
  /** Allowed clock difference for thisUpdate in the future (default 5 minutes). */
  readonly clockSkewMs?: number;
}

const RSA_SIGNATURES: Readonly<Record<string, string>> = {
  [SHA256_WITH_RSA]: 'sha256',
  '1.2.840.113549.1.1.12': 'sha384',
  '1.2.840.113549.1.1.13': 'sha512',
  '1.2.840.113549.1.1.5': 'sha1',
};

function statusName(status: OCSPResponseStatus): string {
  return OCSPResponseStatus[status] ?? `status-${String(status)}`;
}

/** The DER OCSPRequest for one certificate, with its nonce. */
export function buildOcspRequest(certificate: Uint8Array, issuer: Uint8Array, nonce?: Uint8Array): Uint8Array {
  const cert = AsnConvert.parse(certificate, asn1X509.Certificate);
  const serial = normaliseSerial(Buffer.from(cert.tbsCertificate.serialNumber).toString('hex'));
  const tbsRequest = new TBSRequest({
    requestList: [new Request({ reqCert: makeCertId(issuer, serial) })],
    ...(nonce
      ? {
          requestExtensions: [
            new asn1X509.Extension({
              extnID: id_pkix_ocsp_nonce,
              critical: false,
              extnValue: new OctetString(AsnConvert.serialize(new OctetString(nonce))),
            }),
          ],
        }
      : {}),
  });
  return new Uint8Array(AsnConvert.serialize(new OCSPRequest({ tbsRequest })));
}

function isDelegatedResponder(candidate: asn1X509.Certificate, issuer: asn1X509.Certificate, issuerSpki: Buffer): boolean {
  const eku = candidate.tbsCertificate.extensions?.find((e) => e.extnID === asn1X509.id_ce_extKeyUsage);
  if (!eku) return false;
  const usages = AsnConvert.parse(eku.extnValue, asn1X509.ExtendedKeyUsage);
  if (!usages.includes('1.3.6.1.5.5.7.3.9')) return false;
  if (!Buffer.from(AsnConvert.serialize(candidate.tbsCertificate.issuer)).equals(Buffer.from(AsnConvert.serialize(issuer.tbsCertificate.subject))))
    return false;
  const hash = RSA_SIGNATURES[candidate.signatureAlgorithm.algorithm];
  if (!hash) return false;
  return verify(
    hash,
    Buffer.from(AsnConvert.serialize(candidate.tbsCertificate)),
    createPublicKey({ key: issuerSpki, format: 'der', type: 'spki' }),
    Buffer.from(candidate.signatureValue),
  );
}

function spkiOf(certificateDer: Uint8Array): Buffer {
  const c = AsnConvert.parse(certificateDer, asn1X509.Certificate);
  return Buffer.from(AsnConvert.serialize(c.tbsCertificate.subjectPublicKeyInfo));
}

/** Checks a parsed basic response against what was asked; answers the status of the certificate. */
export function verifyBasicResponse(
  basic: BasicOCSPResponse,
  certificate: Uint8Array,
  issuer: Uint8Array,
  nonce: Uint8Array | undefined,
  now = new Date(),
  clockSkewMs = 5 * 60 * 1000,
): OcspResult {
  const issuerCert = AsnConvert.parse(issuer, asn1X509.Certificate);
  const candidates: Uint8Array[] = [issuer, ...(basic.certs ?? []).map((c) => new Uint8Array(AsnConvert.serialize(c)))];
  const data = basic.tbsResponseData;
  const signer = candidates.find((der) => {
    const id = data.responderID;
    if (id.byKey) return keyId(der).equals(Buffer.from(id.byKey.buffer));
    if (id.byName)
      return Buffer.from(AsnConvert.serialize(id.byName)).equals(
        Buffer.from(AsnConvert.serialize(AsnConvert.parse(der, asn1X509.Certificate).tbsCertificate.subject)),
      );
    return false;
  });
  if (!signer) throw new OcspError('unknown-responder', 'the OCSP answer is signed by a responder it does not include');
  if (signer !== issuer && !isDelegatedResponder(AsnConvert.parse(signer, asn1X509.Certificate), issuerCert, spkiOf(issuer))) {
    throw new OcspError('unauthorised-responder', 'the OCSP responder is neither the issuer nor delegated by it');
  }
  const hash = RSA_SIGNATURES[basic.signatureAlgorithm.algorithm];
  if (!hash) throw new OcspError('unsupported-signature', `OCSP answer signed with ${basic.signatureAlgorithm.algorithm}`);
  const tbs = basic.tbsResponseDataRaw ? Buffer.from(basic.tbsResponseDataRaw) : Buffer.from(AsnConvert.serialize(data));
  if (!verify(hash, tbs, createPublicKey({ key: spkiOf(signer), format: 'der', type: 'spki' }), Buffer.from(basic.signature))) {
    throw new OcspError('bad-signature', 'the OCSP answer does not verify');
  }
  if (nonce) {
    const echoed = data.responseExtensions?.find((e) => e.extnID === id_pkix_ocsp_nonce);
    const value = echoed ? Buffer.from(AsnConvert.parse(echoed.extnValue.buffer, OctetString).buffer) : undefined;
    if (!value?.equals(Buffer.from(nonce))) throw new OcspError('nonce-mismatch', 'the OCSP answer does not echo the nonce');
  }
  const cert = AsnConvert.parse(certificate, asn1X509.Certificate);
  const serial = normaliseSerial(Buffer.from(cert.tbsCertificate.serialNumber).toString('hex'));
  const single = data.responses.find((r) => {
    const h = hashNameOf(r.certID.hashAlgorithm.algorithm);
    return h !== undefined && certIdSerial(r.certID) === serial && sameIssuer(r.certID, issuerHashes(issuer, h));
  });
  if (!single) throw new OcspError('no-answer', `the OCSP answer says nothing about serial ${serial}`);
  if (single.thisUpdate.getTime() > now.getTime() + clockSkewMs) throw new OcspError('not-yet-valid', 'the OCSP answer is from the future');
  if (single.nextUpdate && single.nextUpdate.getTime() < now.getTime() - clockSkewMs)
    throw new OcspError('stale', 'the OCSP answer is past its nextUpdate');
  const common = { thisUpdate: single.thisUpdate, producedAt: data.producedAt, ...(single.nextUpdate ? { nextUpdate: single.nextUpdate } : {}) };
  return { ...statusOf(single.certStatus), ...common };
}

function statusOf(status: CertStatus): Pick<OcspResult, 'status' | 'revokedAt' | 'reason'> {
  if (status.revoked) {
    const reason = status.revoked.revocationReason;
    return { status: 'revoked', revokedAt: status.revoked.revocationTime, ...(reason !== undefined ? { reason: reasonName(reason.reason) } : {}) };
  }
  if (status.good !== undefined) return { status: 'good' };
  return { status: 'unknown' };
}

/** Parses a DER OCSPResponse; a non-successful one throws OcspError with the status name as code. */
export function parseOcspResponse(der: Uint8Array): BasicOCSPResponse {
  let response: OCSPResponse;
  try {
    response = AsnConvert.parse(der, OCSPResponse);
  } catch {
    throw new OcspError('malformed-answer', 'the OCSP answer is not an OCSPResponse');
  }
  if (response.responseStatus !== OCSPResponseStatus.successful)
    throw new OcspError(statusName(response.responseStatus), `the OCSP responder answered ${statusName(response.responseStatus)}`);
  if (response.responseBytes?.responseType !== id_pkix_ocsp_basic)
    throw new OcspError('unsupported-answer', 'the OCSP answer is not a basic response');
  return AsnConvert.parse(response.responseBytes.response.buffer, BasicOCSPResponse);
}

/** Asks the responder at `url` (HTTP POST) about `certificate` issued by `issuer` (both DER). */
export async function checkOcsp(certificate: Uint8Array, issuer: Uint8Array, url: string, options: OcspCheckOptions = {}): Promise<OcspResult> {
  const nonce = options.nonce === false ? undefined : new Uint8Array(randomBytes(16));
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': OCSP_REQUEST_TYPE, accept: 'application/ocsp-response' },
    body: buildOcspRequest(certificate, issuer, nonce),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  if (!response.ok) throw new OcspError(`http-${response.status}`, `the OCSP responder answered HTTP ${response.status}`);
  const basic = parseOcspResponse(new Uint8Array(await response.arrayBuffer()));
  return verifyBasicResponse(basic, certificate, issuer, nonce, new Date(), options.clockSkewMs);
}
