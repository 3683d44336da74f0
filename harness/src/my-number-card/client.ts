import { JPKI_AID } from '../jpki/client/client.js';
import { digestInfo, hashMessage, type HashName } from '../apdu/digest-info.js';
import { readBinaryCommand, selectAidCommand, selectEfCommand, signCommand, verifyPinCommand } from '../apdu/jpki-commands.js';
import { ResponseApdu } from '../apdu/response.js';
import { CardStatusError, UsageError } from '../errors.js';
import type { Transport } from '../transport/transport.js';

/**
 * What a JPKI client does with the JPKI application of a My Number card: read the certificates,
 * verify the signature password or the user-authentication PIN, sign. Plain APDUs as OpenSC's JPKI
 * driver sends them; the TEST card of the simulator (`--my-number-card`) answers them like a real card.
 */

/** The JPKI application (AP) of the card: the same AID the SIM applet answers to. */
export const MY_NUMBER_CARD_JPKI_AID = JPKI_AID;

/** File identifiers of the JPKI application, both halves. */
export const MyNumberCardFile = {
  SignatureCertificate: 0x0001,
  SignatureCaCertificate: 0x0002,
  TokenInfo: 0x0006,
  AuthenticationCertificate: 0x000a,
  AuthenticationCaCertificate: 0x000b,
  AuthenticationKey: 0x0017,
  AuthenticationPin: 0x0018,
  SignatureKey: 0x001a,
  SignaturePassword: 0x001b,
} as const;

/** The signature password: 6 to 16 characters, upper-case letters A-Z and digits 0-9. */
export const SIGNATURE_PASSWORD_PATTERN = /^[A-Z0-9]{6,16}$/;
/** The user-authentication PIN: 4 digits. */
export const AUTHENTICATION_PIN_PATTERN = /^[0-9]{4}$/;

/**
 * The card refused a password or PIN (63Cx): how many tries are left; 0 means blocked, after which the
 * right value is refused too.
 */
export class WrongPasswordError extends CardStatusError {
  readonly triesLeft: number;
  constructor(command: string, sw: number) {
    const triesLeft = sw & 0x0f;
    super(command, sw, triesLeft === 0 ? 'blocked' : `wrong, ${triesLeft} ${triesLeft === 1 ? 'try' : 'tries'} left`);
    this.triesLeft = triesLeft;
  }
}

/** What to sign: a ready DigestInfo, or data with the hash to apply (SHA-256 unless given). */
export type SignatureInput = Uint8Array | { readonly data: Uint8Array; readonly hash?: HashName };

/** Sends one command; anything but an accepted status word becomes a CardStatusError (63Cx: WrongPasswordError). */
export async function sendCommand(
  transport: Transport,
  name: string,
  apdu: Uint8Array,
  accept: (sw: number) => boolean = (sw) => sw === 0x9000,
  secret = false,
): Promise<ResponseApdu> {
  const response = new ResponseApdu(await transport.transmit(apdu, secret ? { secret: true } : undefined));
  if (accept(response.sw)) return response;
  if ((response.sw & 0xfff0) === 0x63c0) throw new WrongPasswordError(name, response.sw);
  throw new CardStatusError(name, response.sw, meaning(response.sw));
}

function meaning(sw: number): string | undefined {
  switch (sw) {
    case 0x6982:
      return 'password or PIN not verified';
    case 0x6985:
      return 'conditions of use not satisfied';
    case 0x6a82:
      return 'application or file not found';
    case 0x6a80:
      return 'wrong data';
    default:
      return undefined;
  }
}

/** SELECT the JPKI application by DF name. */
export async function selectJpkiApplication(transport: Transport): Promise<void> {
  await sendCommand(transport, 'SELECT JPKI', selectAidCommand(MY_NUMBER_CARD_JPKI_AID));
}

/** SELECT an elementary file of the selected application. */
export async function selectFile(transport: Transport, fid: number): Promise<void> {
  await sendCommand(transport, `SELECT EF ${fid.toString(16).padStart(4, '0')}`, selectEfCommand(Uint8Array.of(fid >> 8, fid & 0xff)));
}

/**
 * Reads a whole transparent file of the selected application: 256-byte READ BINARY until the
 * card answers 6282 (end of file) or 6B00 (offset past the end).
 */
export async function readBinaryFile(transport: Transport, fid: number): Promise<Uint8Array> {
  await selectFile(transport, fid);
  const parts: Uint8Array[] = [];
  for (let offset = 0; offset < 0x8000; offset += 256) {
    const r = await sendCommand(transport, 'READ BINARY', readBinaryCommand(offset), (sw) => [0x9000, 0x6282, 0x6b00].includes(sw));
    if (r.sw === 0x6b00) break;
    parts.push(r.data);
    if (r.sw !== 0x9000 || r.data.length < 256) break;
  }
  return new Uint8Array(Buffer.concat(parts));
}

async function readFromApplication(transport: Transport, fid: number): Promise<Uint8Array> {
  await selectJpkiApplication(transport);
  return readBinaryFile(transport, fid);
}

/** The signature certificate (EF 0001, DER). */
export function readSignatureCertificate(transport: Transport): Promise<Uint8Array> {
  return readFromApplication(transport, MyNumberCardFile.SignatureCertificate);
}

/** The certificate of the CA that issued the signature certificate (EF 0002, DER). */
export function readSignatureCaCertificate(transport: Transport): Promise<Uint8Array> {
  return readFromApplication(transport, MyNumberCardFile.SignatureCaCertificate);
}

/** The user-authentication certificate (EF 000A, DER). */
export function readAuthenticationCertificate(transport: Transport): Promise<Uint8Array> {
  return readFromApplication(transport, MyNumberCardFile.AuthenticationCertificate);
}

/** The certificate of the CA that issued the user-authentication certificate (EF 000B, DER). */
export function readAuthenticationCaCertificate(transport: Transport): Promise<Uint8Array> {
  return readFromApplication(transport, MyNumberCardFile.AuthenticationCaCertificate);
}

async function triesLeft(transport: Transport, fid: number): Promise<number> {
  await selectJpkiApplication(transport);
  await selectFile(transport, fid);
  const r = await sendCommand(transport, 'VERIFY (tries left)', verifyPinCommand(''), (sw) => (sw & 0xfff0) === 0x63c0);
  return r.sw & 0x0f;
}

/** Tries left on the signature password (an empty VERIFY answers 63Cx); 0 when blocked. */
export function signaturePasswordTriesLeft(transport: Transport): Promise<number> {
  return triesLeft(transport, MyNumberCardFile.SignaturePassword);
}

/** Tries left on the user-authentication PIN; 0 when blocked. */
export function authenticationPinTriesLeft(transport: Transport): Promise<number> {
  return triesLeft(transport, MyNumberCardFile.AuthenticationPin);
}

/** Throws a UsageError unless `password` follows JPKI's rule for the signature password. */
export function checkSignaturePassword(password: string): void {
  if (!SIGNATURE_PASSWORD_PATTERN.test(password)) {
    throw new UsageError('the signature password is 6 to 16 characters: upper-case letters A-Z and digits 0-9');
  }
}

/** Throws a UsageError unless `pin` is four digits. */
export function checkAuthenticationPin(pin: string): void {
  if (!AUTHENTICATION_PIN_PATTERN.test(pin)) throw new UsageError('the user-authentication PIN is 4 digits');
}

/** The DigestInfo to sign for an input. */
export function toDigestInfo(input: SignatureInput): Uint8Array {
  if (input instanceof Uint8Array) return input;
  const hash = input.hash ?? 'sha256';
  return digestInfo(hash, hashMessage(hash, input.data));
}

async function signWith(transport: Transport, secretFid: number, secret: string, keyFid: number, input: SignatureInput): Promise<Uint8Array> {
  const info = toDigestInfo(input);
  await selectJpkiApplication(transport);
  await selectFile(transport, secretFid);
  await sendCommand(transport, 'VERIFY', verifyPinCommand(secret), undefined, true);
  await selectFile(transport, keyFid);
  const r = await sendCommand(transport, 'COMPUTE DIGITAL SIGNATURE', signCommand(info));
  return r.data;
}

/**
 * Signs with the signature key (RSA-2048, PKCS#1 v1.5 on the card): SELECT the application, SELECT
 * 001B, VERIFY the password, SELECT 001A, COMPUTE DIGITAL SIGNATURE. A wrong password throws
 * WrongPasswordError with the tries left; other refusals CardStatusError.
 */
export async function signWithSignatureKey(transport: Transport, password: string, input: SignatureInput): Promise<Uint8Array> {
  checkSignaturePassword(password);
  return signWith(transport, MyNumberCardFile.SignaturePassword, password, MyNumberCardFile.SignatureKey, input);
}

/** Signs with the user-authentication key after verifying the PIN (0018, then 0017), as signWithSignatureKey. */
export async function signWithAuthenticationKey(transport: Transport, pin: string, input: SignatureInput): Promise<Uint8Array> {
  checkAuthenticationPin(pin);
  return signWith(transport, MyNumberCardFile.AuthenticationPin, pin, MyNumberCardFile.AuthenticationKey, input);
}
