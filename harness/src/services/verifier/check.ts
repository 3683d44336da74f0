/**
 * The SIM credential's validity, read from the SIM (its certificate, the CA certificate beside it and the
 * applet's information record) and checked as a relying party would: chain to the JPKI root, validity
 * period, and revocation at the OCSP responder the certificate names.
 */
import { X509Certificate } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { JpkiClient } from '../../jpki/client/client.js';
import type { AppletInformation } from '../../jpki/client/info.js';
import type { Transport } from '../../transport/transport.js';
import { checkOcsp, type OcspResult } from '../jpki-system/ocsp-client.js';

export interface CredentialCheck {
  readonly serial: string;
  readonly subject: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly daysLeft: number;
  /** Chain and validity period, before revocation. */
  readonly chain: 'ok' | 'untrusted' | 'expired' | 'not-yet-valid';
  readonly ocspUrl?: string;
  readonly ocsp?: OcspResult;
  /** The overall verdict: usable only when the chain is ok and OCSP says good. */
  readonly valid: boolean;
  readonly information: AppletInformation;
}

/** The OCSP URL of the certificate's authorityInfoAccess, if any. */
export function ocspUrlOf(certificate: Uint8Array): string | undefined {
  const cert = new x509.X509Certificate(certificate);
  const aia = cert.getExtension(x509.AuthorityInfoAccessExtension);
  for (const location of aia?.ocsp ?? []) if (location.type === 'url') return location.value;
  return undefined;
}

/** Chain (SIM certificate → CA certificate → root) and period. */
export function checkChain(certificate: Uint8Array, issuer: Uint8Array, root: Uint8Array, now = new Date()): CredentialCheck['chain'] {
  const cert = new X509Certificate(certificate);
  const ca = new X509Certificate(issuer);
  const anchor = new X509Certificate(root);
  if (!cert.checkIssued(ca) || !cert.verify(ca.publicKey) || !ca.checkIssued(anchor) || !ca.verify(anchor.publicKey)) return 'untrusted';
  const t = now.getTime();
  if (t < Date.parse(cert.validFrom) || t < Date.parse(ca.validFrom)) return 'not-yet-valid';
  if (t > Date.parse(cert.validTo) || t > Date.parse(ca.validTo)) return 'expired';
  return 'ok';
}

export async function checkSimCredential(sim: Transport, root: Uint8Array, now = new Date()): Promise<CredentialCheck> {
  const client = new JpkiClient(sim);
  await client.selectApplication();
  const information = await client.information();
  const certificate = await client.readFile(0x000a);
  const issuer = await client.readFile(0x000b);
  const cert = new X509Certificate(certificate);
  const chain = checkChain(certificate, issuer, root, now);
  const ocspUrl = ocspUrlOf(certificate);
  const ocsp = ocspUrl && chain !== 'untrusted' ? await checkOcsp(certificate, issuer, ocspUrl) : undefined;
  const notAfter = new Date(cert.validTo);
  return {
    serial: cert.serialNumber,
    subject: cert.subject.replace(/\n/g, ', '),
    notBefore: new Date(cert.validFrom),
    notAfter,
    daysLeft: Math.floor((notAfter.getTime() - now.getTime()) / 86_400_000),
    chain,
    ...(ocspUrl ? { ocspUrl } : {}),
    ...(ocsp ? { ocsp } : {}),
    valid: chain === 'ok' && ocsp?.status === 'good',
    information,
  };
}
