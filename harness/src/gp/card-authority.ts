/**
 * The card's authority (GP Amendment A's Controlling Authority Security Domain, CASD) seen from the
 * host: read its certificate from the card, check that a trusted card authority issued it, and check
 * statements the CASD signed for an application on the card (GP Card API Authority, MODE_SIGN).
 *
 * On the simulator (docs/gp-simulator.md) the CASD is `A000000151535041`; `80 CA 7F 21 00` answers
 * `7F21 <BER length> <X.509 DER>`; its signature is RSASSA-PKCS1-v1_5 / SHA-256 over
 * `4F <len> <calling application's AID> || data`.
 */
import { verify as verifySignature, X509Certificate, type KeyObject } from 'node:crypto';
import path from 'node:path';
import { encodeCommand } from '../apdu/command.js';
import { concatBytes, parseHex, toHex } from '../apdu/hex.js';
import { ResponseApdu } from '../apdu/response.js';
import { packageRoot } from '../package-root.js';
import type { Transport } from '../transport/transport.js';
import { selectByAid } from './commands.js';
import { GpError, gpStatusError } from './errors.js';

/** The CASD's AID on the simulated card (GlobalPlatform's security domain module AID). */
export const CASD_AID = parseHex('A000000151535041');

/** TEST ONLY: the root of the simulator's card authority (test-vectors/card-authority, DER). Never trust it outside tests. */
export const TEST_CARD_AUTHORITY_ROOT = path.join(packageRoot(), 'test-vectors', 'card-authority', 'root.der');

/** A CASD certificate or signature that does not verify, or is not what a card authority issues. */
export class CardAuthorityError extends GpError {}

/** The card as its CASD certificate names it: `serialNumber` = IIN || CIN (hex), CN = `TEST CASD <CIN hex>`. */
export interface CardAuthorityIdentity {
  readonly commonName: string;
  /** The subject's serialNumber attribute, hex: IIN || CIN on the simulated card. */
  readonly serialNumber: string;
  /** CIN (hex) from the CN `… CASD <CIN>`, when the CN has that form. */
  readonly cin?: string;
  /** IIN (hex): the serialNumber without the trailing CIN, when both are known. */
  readonly iin?: string;
}

export interface VerifiedCardAuthority {
  /** The CASD's public key (RSA), to verify its signatures. */
  readonly publicKey: KeyObject;
  readonly cardIdentity: CardAuthorityIdentity;
  readonly certificate: X509Certificate;
}

/** Sends one command and follows 61xx with GET RESPONSE (whether or not the transport already does). */
async function exchange(transport: Transport, command: Uint8Array): Promise<ResponseApdu> {
  let r = new ResponseApdu(await transport.transmit(command));
  let data = r.data;
  while (r.sw1 === 0x61) {
    r = new ResponseApdu(await transport.transmit(Uint8Array.of(command[0]! & 0x03, 0xc0, 0x00, 0x00, r.sw2)));
    data = concatBytes(data, r.data);
  }
  return new ResponseApdu(concatBytes(data, Uint8Array.of(r.sw1, r.sw2)));
}

/** SELECT the CASD, GET DATA `7F21`: the CASD certificate, DER. The CASD stays selected. */
export async function readCardAuthorityCertificate(transport: Transport, casdAid: Uint8Array = CASD_AID): Promise<Uint8Array> {
  const select = await exchange(transport, encodeCommand(selectByAid(casdAid)));
  if (select.sw !== 0x9000) throw gpStatusError(`SELECT CASD ${toHex(casdAid)}`, select.sw);
  const r = await exchange(transport, Uint8Array.of(0x80, 0xca, 0x7f, 0x21, 0x00));
  if (r.sw !== 0x9000) throw gpStatusError('GET DATA 7F21 (CASD certificate)', r.sw);
  const d = r.data;
  if (d.length < 4 || d[0] !== 0x7f || d[1] !== 0x21)
    throw new CardAuthorityError(`GET DATA 7F21 answered ${toHex(d.subarray(0, 4))}…, not a 7F21 template`);
  let off = 2;
  let length = d[off++]!;
  if (length & 0x80) {
    const n = length & 0x7f;
    if (n < 1 || n > 3) throw new CardAuthorityError('7F21 with an unsupported BER length');
    length = 0;
    for (let i = 0; i < n; i++) length = (length << 8) | d[off++]!;
  }
  if (off + length !== d.length) throw new CardAuthorityError(`7F21 says ${length} bytes, ${d.length - off} follow`);
  return d.slice(off);
}

function parseCertificate(der: Uint8Array, what: string): X509Certificate {
  try {
    return new X509Certificate(der);
  } catch (e) {
    throw new CardAuthorityError(`${what} is not an X.509 certificate: ${(e as Error).message}`);
  }
}

function attribute(subject: string, name: string): string | undefined {
  for (const line of subject.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0 && line.slice(0, eq) === name) return line.slice(eq + 1);
  }
  return undefined;
}

/**
 * Checks a CASD certificate against a trust anchor: issued (and signed) by the anchor, valid now (or at
 * `at`), not a CA, key usage digitalSignature, an RSA key. Returns the CASD's public key and the card
 * identity its subject names. Any failure is a CardAuthorityError.
 */
export function verifyCardAuthority(certDer: Uint8Array, trustAnchorDer: Uint8Array, at: Date = new Date()): VerifiedCardAuthority {
  const certificate = parseCertificate(certDer, 'the CASD certificate');
  const anchor = parseCertificate(trustAnchorDer, 'the trust anchor');
  if (!certificate.checkIssued(anchor)) throw new CardAuthorityError(`the CASD certificate was not issued by ${anchor.subject.replace(/\n/g, ', ')}`);
  if (!certificate.verify(anchor.publicKey)) throw new CardAuthorityError('the CASD certificate signature does not verify with the trust anchor key');
  const time = at.getTime();
  if (time < Date.parse(certificate.validFrom) || time > Date.parse(certificate.validTo)) {
    throw new CardAuthorityError(`the CASD certificate is not valid at ${at.toISOString()} (${certificate.validFrom} to ${certificate.validTo})`);
  }
  if (certificate.ca) throw new CardAuthorityError('the CASD certificate is a CA certificate');
  if (!digitalSignatureAllowed(certDer)) throw new CardAuthorityError('the CASD certificate does not allow digitalSignature (key usage)');
  const publicKey = certificate.publicKey;
  if (publicKey.asymmetricKeyType !== 'rsa') throw new CardAuthorityError(`the CASD key is ${publicKey.asymmetricKeyType ?? 'unknown'}, not RSA`);
  const commonName = attribute(certificate.subject, 'CN') ?? '';
  const serialNumber = attribute(certificate.subject, 'serialNumber') ?? '';
  const cin = /CASD ([0-9A-Fa-f]+)$/.exec(commonName)?.[1]?.toUpperCase();
  const iin =
    cin !== undefined && serialNumber.toUpperCase().endsWith(cin) && serialNumber.length > cin.length
      ? serialNumber.slice(0, serialNumber.length - cin.length).toUpperCase()
      : undefined;
  return {
    publicKey,
    certificate,
    cardIdentity: { commonName, serialNumber, ...(cin !== undefined ? { cin } : {}), ...(iin !== undefined ? { iin } : {}) },
  };
}

/**
 * Key usage (2.5.29.15) of a DER certificate: true when absent (no restriction) or when the
 * digitalSignature bit is set. Node's X509Certificate does not expose the basic key usage bits.
 */
function digitalSignatureAllowed(der: Uint8Array): boolean {
  const oid = Uint8Array.of(0x06, 0x03, 0x55, 0x1d, 0x0f);
  for (let i = 0; i + oid.length < der.length; i++) {
    if (oid.every((b, k) => der[i + k] === b)) {
      let p = i + oid.length;
      if (der[p] === 0x01) p += 3; // critical BOOLEAN
      // OCTET STRING { BIT STRING { unused, bits… } }
      if (der[p] !== 0x04 || der[p + 2] !== 0x03) return false;
      const bits = der[p + 5] ?? 0;
      return (bits & 0x80) !== 0;
    }
  }
  return true;
}

/**
 * Checks a CASD signature (GP Authority MODE_SIGN on the simulated card): RSASSA-PKCS1-v1_5 with
 * SHA-256 over `4F <len> <callerAid> || data`. `certificate` is the CASD certificate (DER) or the
 * result of verifyCardAuthority (check the certificate first: this checks only the signature).
 */
export function verifyAuthoritySignature(
  certificate: Uint8Array | VerifiedCardAuthority,
  callerAid: Uint8Array,
  data: Uint8Array,
  signature: Uint8Array,
): boolean {
  if (callerAid.length < 5 || callerAid.length > 16) throw new CardAuthorityError(`an AID has 5 to 16 bytes, got ${callerAid.length}`);
  const key = certificate instanceof Uint8Array ? parseCertificate(certificate, 'the CASD certificate').publicKey : certificate.publicKey;
  const message = concatBytes(Uint8Array.of(0x4f, callerAid.length), callerAid, data);
  return verifySignature('sha256', message, key, signature);
}
