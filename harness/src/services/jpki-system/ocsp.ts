/**
 * The OCSP responder (RFC 6960) of the two issuing CAs: answers good, revoked (time and reason) or
 * unknown from the certificate store, echoes a nonce, and signs the basic response with the delegated
 * responder of the certificates' CA (sha256WithRSA), carrying the responder and CA certificates so a
 * client that trusts only the root can verify it. Requests it cannot parse get malformedRequest;
 * requests about no CA of this system get unauthorized.
 */
import { sign } from 'node:crypto';
import {
  BasicOCSPResponse,
  CertStatus,
  KeyHash,
  OCSPRequest,
  OCSPResponse,
  OCSPResponseStatus,
  ResponderID,
  ResponseBytes,
  ResponseData,
  RevokedInfo,
  SingleResponse,
  id_pkix_ocsp_basic,
  id_pkix_ocsp_nonce,
} from '@peculiar/asn1-ocsp';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import * as asn1X509 from '@peculiar/asn1-x509';
import type { Database } from '../db/database.js';
import { certIdSerial, hashNameOf, issuerHashes, keyId, sameIssuer } from './cert-id.js';
import { CERTIFICATE_AUTHORITY_NAMES, type IssuingAuthority, type JpkiPki } from './pki.js';
import { findCertificate } from './store.js';

export const OCSP_REQUEST_TYPE = 'application/ocsp-request';
export const OCSP_RESPONSE_TYPE = 'application/ocsp-response';
export const SHA256_WITH_RSA = '1.2.840.113549.1.1.11';
/** How long an answer may be relied on (nextUpdate - thisUpdate). */
export const DEFAULT_OCSP_VALIDITY_MS = 60 * 60 * 1000;

export interface OcspOptions {
  readonly now?: Date;
  readonly validityMs?: number;
}

function crlReason(code: number): asn1X509.CRLReasons {
  const reason = Object.values(asn1X509.CRLReasons).find((v): v is asn1X509.CRLReasons => Number(v) === code);
  if (reason === undefined) throw new RangeError(`no CRL reason ${code}`);
  return reason;
}

function unsuccessful(status: OCSPResponseStatus): Uint8Array {
  return new Uint8Array(AsnConvert.serialize(new OCSPResponse({ responseStatus: status })));
}

function parseRequest(der: Uint8Array): OCSPRequest | undefined {
  try {
    const request = AsnConvert.parse(der, OCSPRequest);
    return request.tbsRequest.requestList.length > 0 ? request : undefined;
  } catch {
    return undefined;
  }
}

/** Which CA a CertID names, if any of ours. */
function authorityOf(
  pki: JpkiPki,
  oid: string,
  nameHash: (a: IssuingAuthority, h: ReturnType<typeof hashNameOf> & string) => boolean,
): IssuingAuthority | undefined {
  const hash = hashNameOf(oid);
  if (!hash) return undefined;
  return CERTIFICATE_AUTHORITY_NAMES.map((n) => pki.authorities[n]).find((a) => nameHash(a, hash));
}

/** Answers one DER OCSPRequest with a DER OCSPResponse (never throws for a bad request). */
export async function answerOcsp(db: Database, pki: JpkiPki, requestDer: Uint8Array, options: OcspOptions = {}): Promise<Uint8Array> {
  const request = parseRequest(requestDer);
  if (!request) return unsuccessful(OCSPResponseStatus.malformedRequest);
  const now = new Date(Math.floor((options.now ?? new Date()).getTime() / 1000) * 1000);
  const nextUpdate = new Date(now.getTime() + (options.validityMs ?? DEFAULT_OCSP_VALIDITY_MS));
  const items = request.tbsRequest.requestList.map((r) => ({
    certId: r.reqCert,
    authority: authorityOf(pki, r.reqCert.hashAlgorithm.algorithm, (a, h) => sameIssuer(r.reqCert, issuerHashes(a.der, h))),
  }));
  const responder = items.find((i) => i.authority)?.authority;
  if (!responder) return unsuccessful(OCSPResponseStatus.unauthorized);
  const responses: SingleResponse[] = [];
  for (const { certId, authority } of items) {
    let certStatus = new CertStatus({ unknown: null });
    if (authority === responder) {
      const row = await findCertificate(db, certIdSerial(certId));
      if (row && row.ca === authority.name) {
        certStatus =
          row.status === 'revoked'
            ? new CertStatus({
                revoked: new RevokedInfo({
                  revocationTime: new Date(row.revoked_at ?? 0),
                  ...(row.revocation_reason !== null ? { revocationReason: new asn1X509.CRLReason(crlReason(row.revocation_reason)) } : {}),
                }),
              })
            : new CertStatus({ good: null });
      }
    }
    responses.push(new SingleResponse({ certID: certId, certStatus, thisUpdate: now, nextUpdate }));
  }
  const nonce = request.tbsRequest.requestExtensions?.find((e) => e.extnID === id_pkix_ocsp_nonce);
  const data = new ResponseData({
    responderID: new ResponderID({ byKey: new KeyHash(keyId(responder.ocsp.der)) }),
    producedAt: now,
    responses,
    ...(nonce
      ? {
          responseExtensions: [
            new asn1X509.Extension({ extnID: id_pkix_ocsp_nonce, critical: false, extnValue: new OctetString(nonce.extnValue.buffer) }),
          ],
        }
      : {}),
  });
  const tbs = Buffer.from(AsnConvert.serialize(data));
  const signature = sign('sha256', tbs, responder.ocsp.key);
  const basic = new BasicOCSPResponse({
    tbsResponseData: data,
    signatureAlgorithm: new asn1X509.AlgorithmIdentifier({ algorithm: SHA256_WITH_RSA, parameters: null }),
    signature: signature.buffer.slice(signature.byteOffset, signature.byteOffset + signature.byteLength),
    certs: [AsnConvert.parse(responder.ocsp.der, asn1X509.Certificate), AsnConvert.parse(responder.der, asn1X509.Certificate)],
  });
  const response = new OCSPResponse({
    responseStatus: OCSPResponseStatus.successful,
    responseBytes: new ResponseBytes({ responseType: id_pkix_ocsp_basic, response: new OctetString(AsnConvert.serialize(basic)) }),
  });
  return new Uint8Array(AsnConvert.serialize(response));
}

/** The response for a request the server could not even read (an unusable GET path, say). */
export function malformedOcspResponse(): Uint8Array {
  return unsuccessful(OCSPResponseStatus.malformedRequest);
}
