/** RFC 5280 CRLReason codes, by name and by number; the ones a revocation here may give. */
import { badRequest } from '../http/errors.js';

export const REVOCATION_REASONS = {
  unspecified: 0,
  keyCompromise: 1,
  cACompromise: 2,
  affiliationChanged: 3,
  superseded: 4,
  cessationOfOperation: 5,
  privilegeWithdrawn: 9,
  aACompromise: 10,
} as const;

export type RevocationReasonName = keyof typeof REVOCATION_REASONS;

export function reasonName(code: number): string {
  const found = Object.entries(REVOCATION_REASONS).find(([, c]) => c === code);
  return found ? found[0] : `reason-${code}`;
}

/**
 * A reason given by name or code. certificateHold (6) and removeFromCRL (8) are refused: a revocation
 * here is final, and there are no delta CRLs.
 */
export function parseReason(value: unknown): number {
  if (value === undefined) return REVOCATION_REASONS.unspecified;
  if (typeof value === 'string' && value in REVOCATION_REASONS) return REVOCATION_REASONS[value as RevocationReasonName];
  if (typeof value === 'number' && (Object.values(REVOCATION_REASONS) as number[]).includes(value)) return value;
  throw badRequest('bad-reason', `reason must be one of ${Object.keys(REVOCATION_REASONS).join(', ')} (or its RFC 5280 code)`);
}

/**
 * What a SIM's user-authentication certificate becomes when the signature certificate it is linked to
 * is revoked: superseded when the card was renewed (its certificate superseded), cessationOfOperation
 * otherwise (card lost, key compromised, ...: the basis of the SIM credential is gone).
 */
export function linkedReason(signatureReason: number): number {
  return signatureReason === REVOCATION_REASONS.superseded ? REVOCATION_REASONS.superseded : REVOCATION_REASONS.cessationOfOperation;
}
