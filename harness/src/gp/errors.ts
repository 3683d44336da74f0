/** Typed errors of the GlobalPlatform host side. */
import { CardStatusError, HarnessError } from '../errors.js';

/** Something in the GlobalPlatform exchange with the card went wrong (card or reader side): exit code 3. */
export class GpError extends HarnessError {
  readonly exitCode: number = 3;
}

/** Bad input to a cryptographic primitive (key or block length, padding): a programming or input error. */
export class GpCryptoError extends HarnessError {
  readonly exitCode = 2;
}

/** A key set, profile value or option the caller gave is invalid: exit code 2. */
export class GpConfigError extends HarnessError {
  readonly exitCode = 2;
}

/** A CAP file that cannot be read or is malformed: exit code 2. */
export class CapFormatError extends HarnessError {
  readonly exitCode = 2;
}

/** The card's cryptogram in the INITIALIZE UPDATE response does not match: wrong keys or a wrong card. */
export class CardCryptogramError extends GpError {
  constructor(
    readonly keyVersion: number,
    readonly scp: number,
  ) {
    super(
      `card cryptogram does not verify (key version ${keyVersion.toString(16).padStart(2, '0').toUpperCase()}, SCP0${scp}): ` +
        'wrong keys, wrong diversification or a card impersonating another; no host cryptogram was sent',
    );
  }
}

/** The INITIALIZE UPDATE response is malformed, or announces a protocol the session was not asked for. */
export class SecureChannelProtocolError extends GpError {}

/** A response MAC (R-MAC) did not verify, or an encrypted response could not be decrypted. */
export class ResponseIntegrityError extends GpError {}

/** The secure channel is closed (never opened, or closed after an error), and a wrapped command was asked for. */
export class SecureChannelClosedError extends GpError {}

/** Meanings of GlobalPlatform status words (Card Specification 2.3, section 11, and Amendment D). */
const GP_SW_MEANINGS: ReadonlyMap<number, string> = new Map([
  [0x6283, 'card life cycle state is CARD_LOCKED / selected application locked'],
  [0x6310, 'more data available (GET STATUS)'],
  [0x6400, 'no specific diagnosis'],
  [0x6581, 'memory failure'],
  [0x6700, 'wrong length'],
  [0x6881, 'logical channel not supported or not active'],
  [0x6882, 'secure messaging not supported'],
  [0x6982, 'security status not satisfied (no or wrong secure channel)'],
  [0x6985, 'conditions of use not satisfied'],
  [0x6988, 'incorrect secure messaging data objects (bad MAC)'],
  [0x6999, 'applet selection failed'],
  [0x6a80, 'incorrect values in command data'],
  [0x6a81, 'function not supported (e.g. card life cycle state is CARD_LOCKED)'],
  [0x6a82, 'application or file not found'],
  [0x6a84, 'not enough memory space'],
  [0x6a86, 'incorrect P1 P2'],
  [0x6a88, 'referenced data not found (key, or object of DELETE)'],
  [0x6d00, 'instruction not supported or invalid'],
  [0x6e00, 'class not supported'],
  [0x6f00, 'no precise diagnosis'],
  [0x9484, 'algorithm not supported'],
  [0x9485, 'invalid key check value'],
  [0x6300, 'authentication of host cryptogram failed'],
]);

/** What a GlobalPlatform status word means, for messages; `unknown status` when the table has no entry. */
export function gpStatusMeaning(sw: number): string {
  const exact = GP_SW_MEANINGS.get(sw);
  if (exact !== undefined) return exact;
  if (sw >> 8 === 0x61) return `${sw & 0xff} more bytes available`;
  if (sw >> 8 === 0x6c) return `wrong Le, ${sw & 0xff} expected`;
  return 'unknown status';
}

/** The card refused a GlobalPlatform command: a CardStatusError that names the GP meaning of its status word. */
export function gpStatusError(command: string, sw: number): CardStatusError {
  return new CardStatusError(command, sw, gpStatusMeaning(sw));
}

/** EXTERNAL AUTHENTICATE was refused: the card did not accept the host cryptogram or the security level. */
export class HostAuthenticationError extends CardStatusError {
  constructor(command: string, sw: number) {
    super(command, sw, gpStatusMeaning(sw));
  }
}
