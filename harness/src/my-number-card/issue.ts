import * as x509 from '@peculiar/x509';
import { encodeCommand } from '../apdu/command.js';
import { toHex } from '../apdu/hex.js';
import { HarnessError } from '../errors.js';
import type { Transport } from '../transport/transport.js';
import { checkAuthenticationPin, checkSignaturePassword, MyNumberCardFile, selectFile, selectJpkiApplication, sendCommand } from './client.js';

/**
 * TEST issuance of the simulator's My Number card (`--my-number-card`): the proprietary commands of
 * docs/my-number-card.md. A real card comes issued from J-LIS; this stands in for it so the
 * issuance services have an applicant's card that signs through PC/SC.
 */

/** A certification authority that certifies a key generated on the card. */
export interface CertificateIssuer {
  /** The CA's certificate (DER), written to the card beside the certificate it issues. */
  readonly caCertificate: Uint8Array;
  /** Issues a certificate (DER) for the DER SubjectPublicKeyInfo, with `subject` as a distinguished name. */
  issue(subjectPublicKeyInfo: Uint8Array, subject: string): Promise<Uint8Array>;
}

export interface TestMyNumberCardOptions {
  /** Issues the signature certificate (EF 0001; its CA certificate goes to EF 0002). */
  readonly signatureIssuer: CertificateIssuer;
  /** Issues the user-authentication certificate (EF 000A; its CA certificate goes to EF 000B). */
  readonly authenticationIssuer: CertificateIssuer;
  /** The signature password: 6 to 16 characters A-Z and 0-9. */
  readonly password: string;
  /** The user-authentication PIN: 4 digits. */
  readonly pin: string;
  /** The applicant's distinguished name in the signature certificate, e.g. `CN=TEST Applicant, C=JP`. */
  readonly subject: string;
  /** The name in the user-authentication certificate (default `subject`; real ones carry no name). */
  readonly authenticationSubject?: string;
}

/** What an issuance wrote to the card. */
export interface IssuedTestMyNumberCard {
  readonly signatureCertificate: Uint8Array;
  readonly signaturePublicKey: Uint8Array;
  readonly authenticationCertificate: Uint8Array;
  readonly authenticationPublicKey: Uint8Array;
}

/** The card's state as its GET DATA 80 CA 01 01 reports it (TEST card only). */
export interface TestMyNumberCardState {
  readonly issued: boolean;
  readonly signaturePasswordTriesLeft: number;
  readonly authenticationPinTriesLeft: number;
  readonly signatureKeyPresent: boolean;
  readonly authenticationKeyPresent: boolean;
  readonly signaturePasswordSet: boolean;
  readonly authenticationPinSet: boolean;
}

/** The issuance could not be completed for a reason other than a card status word (a certificate for another key). */
export class TestIssuanceError extends HarnessError {
  readonly exitCode = 3;
}

/** Bytes of one PUT FILE block; blocks before the last go with command chaining (CLA 90). */
const BLOCK = 255;

/** Reads the TEST card's state record. */
export async function readTestCardState(transport: Transport): Promise<TestMyNumberCardState> {
  await selectJpkiApplication(transport);
  const r = await sendCommand(transport, 'GET DATA (card state)', Uint8Array.of(0x80, 0xca, 0x01, 0x01, 0x00));
  const d = r.data;
  if (d.length < 2 || d[0] !== 0xe0 || d[1] !== d.length - 2) throw new TestIssuanceError('the card state is not an E0 template');
  const fields = new Map<number, number>();
  for (let at = 2; at + 2 < d.length; at += 2 + d[at + 1]!) fields.set(d[at]!, d[at + 2]!);
  const field = (tag: number): number => {
    const v = fields.get(tag);
    if (v === undefined) throw new TestIssuanceError(`the card state lacks field ${tag.toString(16)}`);
    return v;
  };
  return {
    issued: field(0x80) === 1,
    signaturePasswordTriesLeft: field(0x81),
    authenticationPinTriesLeft: field(0x82),
    signatureKeyPresent: (field(0x83) & 1) !== 0,
    authenticationKeyPresent: (field(0x83) & 2) !== 0,
    signaturePasswordSet: (field(0x84) & 1) !== 0,
    authenticationPinSet: (field(0x84) & 2) !== 0,
  };
}

/** GENERATE KEY PAIR 80 46 on a key file, then READ PUBLIC KEY 80 B4: the new key's DER SubjectPublicKeyInfo. */
export async function generateKeyPair(transport: Transport, keyFid: number): Promise<Uint8Array> {
  await selectFile(transport, keyFid);
  await sendCommand(transport, 'GENERATE KEY PAIR', Uint8Array.of(0x80, 0x46, 0x00, 0x00));
  const parts: Uint8Array[] = [];
  for (let offset = 0; offset < 0x1000; offset += 256) {
    const r = await sendCommand(transport, 'READ PUBLIC KEY', Uint8Array.of(0x80, 0xb4, offset >> 8, offset & 0xff, 0x00), (sw) =>
      [0x9000, 0x6282, 0x6b00].includes(sw),
    );
    if (r.sw === 0x6b00) break;
    parts.push(r.data);
    if (r.sw !== 0x9000) break;
  }
  return new Uint8Array(Buffer.concat(parts));
}

/** PUT FILE 80/90 DB: the whole content of a certificate file, in chained blocks. */
export async function writeCertificateFile(transport: Transport, fid: number, der: Uint8Array): Promise<void> {
  await selectFile(transport, fid);
  for (let at = 0; at < der.length; at += BLOCK) {
    const last = at + BLOCK >= der.length;
    const data = der.subarray(at, Math.min(der.length, at + BLOCK));
    await sendCommand(transport, 'PUT FILE', encodeCommand({ cla: last ? 0x80 : 0x90, ins: 0xdb, p1: 0x00, p2: 0x00, data }));
  }
}

/** SET REFERENCE DATA 80 DA on a password or PIN file: a new value with a full try counter. */
export async function setReferenceData(transport: Transport, fid: number, value: string): Promise<void> {
  await selectFile(transport, fid);
  await sendCommand(
    transport,
    'SET REFERENCE DATA',
    encodeCommand({ cla: 0x80, ins: 0xda, p1: 0x00, p2: 0x00, data: new Uint8Array(Buffer.from(value, 'ascii')) }),
    undefined,
    true,
  );
}

function samePublicKey(certificate: Uint8Array, spki: Uint8Array): boolean {
  const key = new Uint8Array(new x509.X509Certificate(certificate).publicKey.rawData);
  return toHex(key) === toHex(spki);
}

async function certify(issuer: CertificateIssuer, spki: Uint8Array, subject: string, what: string): Promise<Uint8Array> {
  const certificate = await issuer.issue(spki, subject);
  let matches: boolean;
  try {
    matches = samePublicKey(certificate, spki);
  } catch (error) {
    throw new TestIssuanceError(`the ${what} issuer returned no X.509 certificate`, { cause: error });
  }
  if (!matches) throw new TestIssuanceError(`the ${what} certificate is not for the key generated on the card`);
  return certificate;
}

/**
 * Issues the TEST My Number card: generates the signature and user-authentication key pairs on the
 * card, has each public key certified, writes certificates and CA certificates (0001, 0002, 000A,
 * 000B), sets the signature password (001B) and the PIN (0018), then issues the card, which closes
 * its issuance commands for good. A card already issued answers CardStatusError 6985.
 */
export async function issueTestMyNumberCard(transport: Transport, options: TestMyNumberCardOptions): Promise<IssuedTestMyNumberCard> {
  checkSignaturePassword(options.password);
  checkAuthenticationPin(options.pin);
  await selectJpkiApplication(transport);
  const signaturePublicKey = await generateKeyPair(transport, MyNumberCardFile.SignatureKey);
  const authenticationPublicKey = await generateKeyPair(transport, MyNumberCardFile.AuthenticationKey);
  const signatureCertificate = await certify(options.signatureIssuer, signaturePublicKey, options.subject, 'signature');
  const authenticationCertificate = await certify(
    options.authenticationIssuer,
    authenticationPublicKey,
    options.authenticationSubject ?? options.subject,
    'user-authentication',
  );
  await writeCertificateFile(transport, MyNumberCardFile.SignatureCertificate, signatureCertificate);
  await writeCertificateFile(transport, MyNumberCardFile.SignatureCaCertificate, options.signatureIssuer.caCertificate);
  await writeCertificateFile(transport, MyNumberCardFile.AuthenticationCertificate, authenticationCertificate);
  await writeCertificateFile(transport, MyNumberCardFile.AuthenticationCaCertificate, options.authenticationIssuer.caCertificate);
  await setReferenceData(transport, MyNumberCardFile.SignaturePassword, options.password);
  await setReferenceData(transport, MyNumberCardFile.AuthenticationPin, options.pin);
  await sendCommand(transport, 'ISSUE', Uint8Array.of(0x80, 0xf0, 0x00, 0x00));
  return { signatureCertificate, signaturePublicKey, authenticationCertificate, authenticationPublicKey };
}
