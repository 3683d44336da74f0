/**
 * The download application (the source document's step ②): a small JSON document naming the applicant's
 * contact, the SIM they designate (by its card authority certificate) and their choices, signed with the
 * My Number card's signature key. The SP-TSM keeps the document's digest, never the document with a
 * secret in it: the password travels beside the document in the same request, not inside it.
 */
import type { X509Certificate } from 'node:crypto';
import { badRequest } from '../http/errors.js';
import { validContact } from './mailbox.js';
import { base64Field, checkSignedDocument, signDocument, type DocumentSigner, type SignedDocument } from './signed-document.js';

export const APPLICATION_TYPE = 'jpki-sim-download-application';

/** What an operator name may look like. */
export const OPERATOR_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export interface ApplicationDocument {
  readonly type: typeof APPLICATION_TYPE;
  readonly version: 1;
  /** Mailbox name for the access code. */
  readonly contact: string;
  /** The designated SIM's card authority certificate (DER, base64). */
  readonly simCertificate: string;
  readonly keyGeneration: 'jpki-system' | 'on-card';
  readonly pinPolicy: 'pin-required' | 'pin-less';
  /** A transfer: the application whose credential moves to this SIM (it is revoked and terminated). */
  readonly replaces?: string;
  /**
   * The mobile operator of the designated SIM (the JPKI-UI app knows whose SIM it runs on): its MNO-TSM
   * installs the applet. Absent in documents from before operators: the SP-TSM's default operator.
   */
  readonly operator?: string;
  /** Random, so that two applications are never the same document. */
  readonly nonce: string;
  readonly createdAt: string;
}

/** What goes over the wire to POST /applications: the signed document and, beside it, the password. */
export interface SignedApplication extends SignedDocument {
  readonly password: string;
}

export type ApplicationSigner = DocumentSigner;

export async function signApplication(
  signer: ApplicationSigner,
  choices: Pick<ApplicationDocument, 'contact' | 'keyGeneration' | 'pinPolicy' | 'replaces' | 'operator'> & { readonly simCertificate: Uint8Array },
  password: string,
  now = new Date(),
): Promise<SignedApplication> {
  const fields = {
    contact: choices.contact,
    simCertificate: Buffer.from(choices.simCertificate).toString('base64'),
    keyGeneration: choices.keyGeneration,
    pinPolicy: choices.pinPolicy,
    ...(choices.replaces !== undefined ? { replaces: choices.replaces } : {}),
    ...(choices.operator !== undefined ? { operator: choices.operator } : {}),
  };
  const signed = await signDocument(signer, APPLICATION_TYPE, fields, now);
  return { ...signed, password };
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

/** Parses the request and checks the document's shape, its age and its signature against the signer certificate. */
export function checkApplication(body: unknown, now: Date, maxAgeMs = 15 * 60_000): CheckedApplication {
  const checked = checkSignedDocument(body, APPLICATION_TYPE, 'application', now, maxAgeMs);
  const password = (body as { password?: unknown }).password;
  if (typeof password !== 'string') throw badRequest('malformed-application', 'password is required');
  const d = checked.fields;
  if (typeof d.contact !== 'string' || !validContact(d.contact))
    throw badRequest('malformed-application', 'contact must be a mailbox name (letters, digits, . _ -)');
  if (d.keyGeneration !== 'jpki-system' && d.keyGeneration !== 'on-card')
    throw badRequest('malformed-application', 'keyGeneration must be jpki-system or on-card');
  if (d.pinPolicy !== 'pin-required' && d.pinPolicy !== 'pin-less')
    throw badRequest('malformed-application', 'pinPolicy must be pin-required or pin-less');
  if (d.replaces !== undefined && (typeof d.replaces !== 'string' || !/^[0-9a-f-]{36}$/.test(d.replaces))) {
    throw badRequest('malformed-application', 'replaces must be an application id');
  }
  if (d.operator !== undefined && (typeof d.operator !== 'string' || !OPERATOR_NAME.test(d.operator))) {
    throw badRequest('malformed-application', 'operator must be an operator name (letters, digits, . _ -; at most 64)');
  }
  const simCertificate = base64Field(d.simCertificate, 'simCertificate', 8192, 'malformed-application');
  return {
    document: d as unknown as ApplicationDocument,
    digest: checked.digest,
    signer: checked.signer,
    signerDer: checked.signerDer,
    simCertificate,
    password,
  };
}
