/**
 * The applicant's requests after issuance, each a document signed with the same My Number card signature
 * certificate that signed the application, so only the applicant — re-identified by the card — can make
 * them: revoking the SIM credential (a lost or stolen phone, or no longer wanted), resetting its PIN, and
 * renewing it. (A transfer to another SIM is a new application that names the one it replaces.)
 */
import { badRequest } from '../http/errors.js';
import { checkSignedDocument, signDocument, type DocumentSigner, type SignedDocument } from './signed-document.js';

export const REVOCATION_TYPE = 'jpki-sim-revocation-request';

export const REVOCATION_GROUNDS = ['lost', 'stolen', 'withdrawn'] as const;
export type RevocationGround = (typeof REVOCATION_GROUNDS)[number];

/** The RFC 5280 reason the JPKI system records for each ground. */
export const REVOCATION_REASON: Readonly<Record<RevocationGround, string>> = {
  lost: 'keyCompromise',
  stolen: 'keyCompromise',
  withdrawn: 'cessationOfOperation',
};

export function signRevocation(signer: DocumentSigner, application: string, ground: RevocationGround, now = new Date()): Promise<SignedDocument> {
  return signDocument(signer, REVOCATION_TYPE, { application, ground }, now);
}

export interface CheckedRevocation {
  readonly application: string;
  readonly ground: RevocationGround;
  /** The signer certificate's serial, upper-case hex. */
  readonly signerSerial: string;
  readonly signerDer: Uint8Array;
}

export function checkRevocation(body: unknown, now: Date): CheckedRevocation {
  const checked = checkSignedDocument(body, REVOCATION_TYPE, 'revocation', now);
  const { application, ground } = checked.fields;
  if (typeof application !== 'string') throw badRequest('malformed-revocation', 'application is required');
  if (typeof ground !== 'string' || !(REVOCATION_GROUNDS as readonly string[]).includes(ground))
    throw badRequest('malformed-revocation', `ground must be one of ${REVOCATION_GROUNDS.join(', ')}`);
  return { application, ground: ground as RevocationGround, signerSerial: checked.signer.serialNumber.toUpperCase(), signerDer: checked.signerDer };
}

export const PIN_RESET_TYPE = 'jpki-sim-pin-reset-request';

/** The applicant's request for a PIN reset (forgotten or blocked): signed like the application; the new PIN travels beside it. */
export function signPinReset(signer: DocumentSigner, application: string, now = new Date()): Promise<SignedDocument> {
  return signDocument(signer, PIN_RESET_TYPE, { application }, now);
}

export function checkPinReset(body: unknown, now: Date): { application: string; signerSerial: string; signerDer: Uint8Array; pin: unknown } {
  const checked = checkSignedDocument(body, PIN_RESET_TYPE, 'pin-reset', now);
  const { application } = checked.fields;
  if (typeof application !== 'string') throw badRequest('malformed-pin-reset', 'application is required');
  return { application, signerSerial: checked.signer.serialNumber.toUpperCase(), signerDer: checked.signerDer, pin: (body as { pin?: unknown }).pin };
}

export const RENEWAL_TYPE = 'jpki-sim-renewal-request';

/** The applicant's request for a new key and certificate on the same SIM (before the old one expires); the PIN stays. */
export function signRenewal(signer: DocumentSigner, application: string, now = new Date()): Promise<SignedDocument> {
  return signDocument(signer, RENEWAL_TYPE, { application }, now);
}

export function checkRenewal(body: unknown, now: Date): { application: string; signerSerial: string; signerDer: Uint8Array } {
  const checked = checkSignedDocument(body, RENEWAL_TYPE, 'renewal', now);
  const { application } = checked.fields;
  if (typeof application !== 'string') throw badRequest('malformed-renewal', 'application is required');
  return { application, signerSerial: checked.signer.serialNumber.toUpperCase(), signerDer: checked.signerDer };
}
