/**
 * The download application (the source document's step ②): a small JSON document naming the applicant's
 * contact, the SIM they designate (by its card authority certificate) and their choices, signed with the
 * My Number card's signature key. The SP-TSM keeps the document's digest, never the document with a
 * secret in it: the password travels beside the document in the same request, not inside it.
 */
import { createHash, createVerify, X509Certificate } from 'node:crypto';
import { randomBytes } from 'node:crypto';
import { badRequest, ServiceError } from '../http/errors.js';
import { validContact } from './mailbox.js';

export const APPLICATION_TYPE = 'jpki-sim-download-application';

export interface ApplicationDocument {
  readonly type: typeof APPLICATION_TYPE;
  readonly version: 1;
  /** Mailbox name for the access code. */
  readonly contact: string;
  /** The designated SIM's card authority certificate (DER, base64). */
  readonly simCertificate: string;
  readonly keyGeneration: 'jpki-system' | 'on-card';
  readonly pinPolicy: 'pin-required' | 'pin-less';
  /** Random, so that two applications are never the same document. */
  readonly nonce: string;
  readonly createdAt: string;
}

/** What goes over the wire to POST /applications. */
export interface SignedApplication {
  /** The document's exact bytes (UTF-8 JSON), base64: what was signed. */
  readonly document: string;
  /** RSASSA-PKCS1-v1_5 with SHA-256 over the document bytes, base64. */
  readonly signature: string;
  /** The My Number card's signature certificate (DER, base64). */
  readonly signerCertificate: string;
  readonly password: string;
}

export interface ApplicationSigner {
  readonly certificate: Uint8Array;
  /** Signs SHA-256 of `data` (PKCS#1 v1.5), as the card does. */
  sign(data: Uint8Array): Promise<Uint8Array>;
}

export async function signApplication(
  signer: ApplicationSigner,
  choices: Pick<ApplicationDocument, 'contact' | 'keyGeneration' | 'pinPolicy'> & { readonly simCertificate: Uint8Array },
  password: string,
  now = new Date(),
): Promise<SignedApplication> {
  const document: ApplicationDocument = {
    type: APPLICATION_TYPE,
    version: 1,
    contact: choices.contact,
    simCertificate: Buffer.from(choices.simCertificate).toString('base64'),
    keyGeneration: choices.keyGeneration,
    pinPolicy: choices.pinPolicy,
    nonce: randomBytes(16).toString('base64url'),
    createdAt: now.toISOString(),
  };
  const bytes = Buffer.from(JSON.stringify(document), 'utf8');
  const signature = await signer.sign(bytes);
  return {
    document: bytes.toString('base64'),
    signature: Buffer.from(signature).toString('base64'),
    signerCertificate: Buffer.from(signer.certificate).toString('base64'),
    password,
  };
}

export interface CheckedApplication {
  readonly document: ApplicationDocument;
  /** SHA-256 of the document bytes, hex: the application's identity for "stored exactly once". */
  readonly digest: string;
  readonly signer: X509Certificate;
  readonly signerDer: Uint8Array;
  readonly simCertificate: Uint8Array;
  readonly password: string;
}

const B64 = /^[A-Za-z0-9+/]*={0,2}$/;

function base64Field(value: unknown, name: string, max: number): Buffer {
  if (typeof value !== 'string' || !B64.test(value) || value.length > max) throw badRequest('malformed-application', `${name} must be base64`);
  return Buffer.from(value, 'base64');
}

/** Parses the request and checks the document's shape, its age and its signature against the signer certificate. */
export function checkApplication(body: unknown, now: Date, maxAgeMs = 15 * 60_000): CheckedApplication {
  if (typeof body !== 'object' || body === null) throw badRequest('malformed-application', 'the application is not a JSON object');
  const b = body as Record<string, unknown>;
  const bytes = base64Field(b.document, 'document', 16_384);
  const signature = base64Field(b.signature, 'signature', 1024);
  const signerDer = base64Field(b.signerCertificate, 'signerCertificate', 8192);
  if (typeof b.password !== 'string') throw badRequest('malformed-application', 'password is required');
  let signer: X509Certificate;
  try {
    signer = new X509Certificate(signerDer);
  } catch {
    throw badRequest('malformed-application', 'signerCertificate is not an X.509 certificate');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw badRequest('malformed-application', 'the document is not JSON');
  }
  const d = parsed as Partial<Record<keyof ApplicationDocument, unknown>>;
  if (d.type !== APPLICATION_TYPE || d.version !== 1) throw badRequest('malformed-application', `the document is not a ${APPLICATION_TYPE} version 1`);
  if (typeof d.contact !== 'string' || !validContact(d.contact)) throw badRequest('malformed-application', 'contact must be a mailbox name (letters, digits, . _ -)');
  if (d.keyGeneration !== 'jpki-system' && d.keyGeneration !== 'on-card') throw badRequest('malformed-application', 'keyGeneration must be jpki-system or on-card');
  if (d.pinPolicy !== 'pin-required' && d.pinPolicy !== 'pin-less') throw badRequest('malformed-application', 'pinPolicy must be pin-required or pin-less');
  if (typeof d.nonce !== 'string' || d.nonce.length < 16) throw badRequest('malformed-application', 'nonce is missing');
  const created = typeof d.createdAt === 'string' ? Date.parse(d.createdAt) : NaN;
  if (!Number.isFinite(created)) throw badRequest('malformed-application', 'createdAt must be a date');
  if (Math.abs(now.getTime() - created) > maxAgeMs) throw new ServiceError(422, 'stale-application', 'the application was signed too long ago (or in the future): sign it again');
  const simCertificate = base64Field(d.simCertificate, 'simCertificate', 8192);
  const verifier = createVerify('sha256');
  verifier.update(bytes);
  if (!verifier.verify(signer.publicKey, signature)) throw new ServiceError(422, 'bad-signature', 'the signature does not verify with the signer certificate');
  return {
    document: d as ApplicationDocument,
    digest: createHash('sha256').update(bytes).digest('hex'),
    signer,
    signerDer,
    simCertificate,
    password: b.password,
  };
}
