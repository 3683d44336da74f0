/**
 * How the services name a SIM: by its card authority (CASD) certificate, which the card's maker signed
 * and which the card proves it holds by signing with its key. The name is the certificate's SHA-256, so
 * no phone can make one up, and two SIMs never share one.
 */
import { createHash } from 'node:crypto';
import { readCardAuthorityCertificate, verifyCardAuthority, type VerifiedCardAuthority } from '../gp/card-authority.js';
import type { Transport } from '../transport/transport.js';

export const cardName = (casdCertificate: Uint8Array): string => createHash('sha256').update(casdCertificate).digest('hex').toUpperCase();

export interface IdentifiedCard {
  readonly name: string;
  readonly certificate: Uint8Array;
  readonly authority: VerifiedCardAuthority;
}

/** Reads the card's CASD certificate and checks it against the card authority root. */
export async function identifyCard(card: Transport, cardAuthorityRoot: Uint8Array): Promise<IdentifiedCard> {
  const certificate = await readCardAuthorityCertificate(card);
  const authority = verifyCardAuthority(certificate, cardAuthorityRoot);
  return { name: cardName(certificate), certificate, authority };
}
