/** What the SP-TSM needs from the JPKI system (the source document's steps ③, ⑥–⑨ and ⑯). */
import type { KeyObject } from 'node:crypto';

export interface SignatureCertificateStatus {
  readonly valid: boolean;
  /** Why not, for the applicant (revoked, expired, unknown issuer). */
  readonly reason?: string;
  readonly serial: string;
  readonly subject: string;
  /** The holder's earlier signature certificates (a renewed or re-issued My Number card), newest first. */
  readonly predecessors?: readonly string[];
}

export interface IssuedCredential {
  readonly certificate: Uint8Array;
  readonly caCertificate: Uint8Array;
  /** For keys the JPKI system generated: the private key, unwrapped by the SP-TSM. */
  readonly privateKey?: KeyObject;
}

export interface JpkiSystemPort {
  checkSignatureCertificate(certificate: Uint8Array): Promise<SignatureCertificateStatus>;
  /** Registers (or finds again, by `requestRef`) the issuance for an application; generates the key and certificate for `jpki-system`. */
  requestIssuance(request: { requestRef: string; signatureSerial: string; keyGeneration: 'jpki-system' | 'on-card' }): Promise<{ id: string }>;
  /** The generated key (wrapped for this SP-TSM, unwrapped here) and its certificate. */
  collectIssued(issuanceId: string): Promise<IssuedCredential>;
  /** Certifies a public key generated on the SIM. */
  certify(issuanceId: string, subjectPublicKeyInfo: Uint8Array): Promise<IssuedCredential>;
  /** The user-authentication CA certificate written beside the SIM's certificate. */
  userAuthenticationCaCertificate(): Promise<Uint8Array>;
  /** The serial of the certificate the issuance holds now (none before it is certified). */
  issuedCertificateSerial(issuanceId: string): Promise<string | undefined>;
  /** Revokes a certificate with an RFC 5280 reason name; an already revoked one is left as it is. */
  revokeCertificate(serial: string, reason: string): Promise<void>;
  /** Records that the credential reached the SIM. */
  markDelivered(issuanceId: string, sim: string): Promise<void>;
}
