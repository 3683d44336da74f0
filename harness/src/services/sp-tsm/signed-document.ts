/**
 * A JSON document signed with the applicant's My Number card (its signature key, RSASSA-PKCS1-v1_5 with
 * SHA-256 over the document's exact bytes), sent with the signature certificate. The application and the
 * revocation request are both such documents; this module signs them and checks signature, shape and age.
 */
import { createHash, createVerify, randomBytes, X509Certificate } from 'node:crypto';
import { badRequest, ServiceError } from '../http/errors.js';

export interface DocumentSigner {
  readonly certificate: Uint8Array;
  /** Signs SHA-256 of `data` (PKCS#1 v1.5), as the card does. */
  sign(data: Uint8Array): Promise<Uint8Array>;
}

/** What goes over the wire. */
export interface SignedDocument {
  /** The document's exact bytes (UTF-8 JSON), base64: what was signed. */
  readonly document: string;
  readonly signature: string;
  /** The My Number card's signature certificate (DER, base64). */
  readonly signerCertificate: string;
}

export interface CheckedDocument {
  /** The parsed document, its `type`, `nonce` and `createdAt` checked. */
  readonly fields: Readonly<Record<string, unknown>>;
  /** SHA-256 of the document bytes, hex. */
  readonly digest: string;
  readonly signer: X509Certificate;
  readonly signerDer: Uint8Array;
}

/** Signs `fields` as a document of `type`, with a fresh nonce and the time. */
export async function signDocument(
  signer: DocumentSigner,
  type: string,
  fields: Readonly<Record<string, unknown>>,
  now = new Date(),
): Promise<SignedDocument> {
  const bytes = Buffer.from(
    JSON.stringify({ type, version: 1, ...fields, nonce: randomBytes(16).toString('base64url'), createdAt: now.toISOString() }),
    'utf8',
  );
  const signature = await signer.sign(bytes);
  return {
    document: bytes.toString('base64'),
    signature: Buffer.from(signature).toString('base64'),
    signerCertificate: Buffer.from(signer.certificate).toString('base64'),
  };
}

const B64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** A base64 field of a request (a 400 with `code` when it is not). */
export function base64Field(value: unknown, name: string, max: number, code: string): Buffer {
  if (typeof value !== 'string' || !B64.test(value) || value.length > max) throw badRequest(code, `${name} must be base64`);
  return Buffer.from(value, 'base64');
}

/**
 * Checks a signed document of `type`: shape, age (within `maxAgeMs` of `now`, either way) and the
 * signature against the signer certificate. `what` names it in the refusals (`malformed-<what>`,
 * `stale-<what>`).
 */
export function checkSignedDocument(body: unknown, type: string, what: string, now: Date, maxAgeMs = 15 * 60_000): CheckedDocument {
  const malformed = `malformed-${what}`;
  if (typeof body !== 'object' || body === null) throw badRequest(malformed, `the ${what} is not a JSON object`);
  const b = body as Record<string, unknown>;
  const bytes = base64Field(b.document, 'document', 16_384, malformed);
  const signature = base64Field(b.signature, 'signature', 1024, malformed);
  const signerDer = base64Field(b.signerCertificate, 'signerCertificate', 8192, malformed);
  let signer: X509Certificate;
  try {
    signer = new X509Certificate(signerDer);
  } catch {
    throw badRequest(malformed, 'signerCertificate is not an X.509 certificate');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw badRequest(malformed, 'the document is not JSON');
  }
  if (typeof parsed !== 'object' || parsed === null) throw badRequest(malformed, 'the document is not a JSON object');
  const d = parsed as Record<string, unknown>;
  if (d.type !== type || d.version !== 1) throw badRequest(malformed, `the document is not a ${type} version 1`);
  if (typeof d.nonce !== 'string' || d.nonce.length < 16) throw badRequest(malformed, 'nonce is missing');
  const created = typeof d.createdAt === 'string' ? Date.parse(d.createdAt) : NaN;
  if (!Number.isFinite(created)) throw badRequest(malformed, 'createdAt must be a date');
  if (Math.abs(now.getTime() - created) > maxAgeMs)
    throw new ServiceError(422, `stale-${what}`, `the ${what} was signed too long ago (or in the future): sign it again`);
  const verifier = createVerify('sha256');
  verifier.update(bytes);
  if (!verifier.verify(signer.publicKey, signature))
    throw new ServiceError(422, 'bad-signature', 'the signature does not verify with the signer certificate');
  return { fields: d, digest: createHash('sha256').update(bytes).digest('hex'), signer, signerDer };
}
