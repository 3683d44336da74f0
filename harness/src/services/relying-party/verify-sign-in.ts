/**
 * What the relying party checks before it opens a session, in this order (cheapest and local first, the
 * OCSP round trip last): the certificates parse; the signature over the challenge verifies with the
 * certificate's key (possession of the SIM's key); the certificate is a user-authentication certificate
 * (clientAuth); it chains to the JPKI root through the CA certificate sent beside it; both are within
 * their validity period; the OCSP responder the certificate names says `good`. Each failure is a
 * ServiceError with its own code.
 */
import { createVerify, X509Certificate } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { ServiceError, badRequest } from '../http/errors.js';
import { checkOcsp, OcspError, type OcspResult } from '../jpki-system/ocsp-client.js';
import { checkChain, ocspUrlOf } from '../verifier/check.js';

export interface SignInEvidence {
  readonly challenge: Uint8Array;
  /** DER: the SIM's user-authentication certificate and the CA certificate beside it (files 000A, 000B). */
  readonly certificate: Uint8Array;
  readonly caCertificate: Uint8Array;
  /** RSASSA-PKCS1-v1_5 with SHA-256 over the challenge bytes. */
  readonly signature: Uint8Array;
}

export interface VerifiedSignIn {
  readonly serial: string;
  readonly subject: string;
  readonly issuer: string;
  readonly notAfter: Date;
  readonly ocsp: OcspResult;
}

export interface VerifyOptions {
  /** DER of the JPKI root. */
  readonly root: Uint8Array;
  readonly now: Date;
  readonly signal?: AbortSignal;
}

const CLIENT_AUTH = '1.3.6.1.5.5.7.3.2';

const oneLine = (name: string): string => name.replace(/\n/g, ', ');

function parse(der: Uint8Array, field: string): X509Certificate {
  try {
    return new X509Certificate(der);
  } catch {
    throw badRequest('malformed-certificate', `${field} is not a DER X.509 certificate`);
  }
}

/** The SIM's certificate must be for authentication: a signature certificate chains to the same root. */
function forAuthentication(der: Uint8Array): boolean {
  const eku = new x509.X509Certificate(der).getExtension(x509.ExtendedKeyUsageExtension);
  return eku?.usages.some((u) => String(u) === CLIENT_AUTH) ?? false;
}

function signatureVerifies(cert: X509Certificate, challenge: Uint8Array, signature: Uint8Array): boolean {
  try {
    const verifier = createVerify('sha256');
    verifier.update(challenge);
    return verifier.verify(cert.publicKey, signature);
  } catch {
    return false; // a key the verifier cannot use is a signature that does not verify
  }
}

async function revocationStatus(certificate: Uint8Array, caCertificate: Uint8Array, signal?: AbortSignal): Promise<OcspResult> {
  const url = ocspUrlOf(certificate);
  if (!url) throw new ServiceError(403, 'certificate-untrusted', 'the certificate names no OCSP responder: its revocation status cannot be known');
  try {
    return await checkOcsp(certificate, caCertificate, url, signal ? { signal } : {});
  } catch (error) {
    // Fail closed: without a believable OCSP answer nobody signs in.
    const why =
      error instanceof OcspError
        ? `${error.code}: ${error.message}`
        : error instanceof Error
          ? ((error.cause as Error | undefined)?.message ?? error.message)
          : String(error);
    throw new ServiceError(503, 'revocation-unavailable', `the revocation status could not be obtained (${why})`);
  }
}

export async function verifySignIn(evidence: SignInEvidence, options: VerifyOptions): Promise<VerifiedSignIn> {
  const cert = parse(evidence.certificate, 'certificate');
  parse(evidence.caCertificate, 'caCertificate');
  if (!signatureVerifies(cert, evidence.challenge, evidence.signature)) {
    throw new ServiceError(401, 'signature-invalid', "the signature does not verify over the challenge with the certificate's key");
  }
  if (!forAuthentication(evidence.certificate))
    throw new ServiceError(403, 'certificate-untrusted', 'the certificate is not a user-authentication certificate (no clientAuth)');
  const chain = checkChain(evidence.certificate, evidence.caCertificate, options.root, options.now);
  if (chain === 'untrusted') throw new ServiceError(403, 'certificate-untrusted', 'the certificate does not chain to the JPKI root');
  if (chain === 'expired')
    throw new ServiceError(403, 'certificate-expired', `the certificate (or its CA) expired; valid until ${new Date(cert.validTo).toISOString()}`);
  if (chain === 'not-yet-valid')
    throw new ServiceError(403, 'certificate-not-yet-valid', `the certificate is valid from ${new Date(cert.validFrom).toISOString()}`);
  const ocsp = await revocationStatus(evidence.certificate, evidence.caCertificate, options.signal);
  if (ocsp.status === 'revoked') {
    const when = ocsp.revokedAt ? ` on ${ocsp.revokedAt.toISOString()}` : '';
    throw new ServiceError(403, 'certificate-revoked', `the certificate was revoked${when}: ${ocsp.reason ?? 'unspecified'}`);
  }
  if (ocsp.status !== 'good') throw new ServiceError(403, 'certificate-unknown', 'the OCSP responder does not know the certificate');
  return { serial: cert.serialNumber, subject: oneLine(cert.subject), issuer: oneLine(cert.issuer), notAfter: new Date(cert.validTo), ocsp };
}
