/**
 * SCP02 (GlobalPlatform Card Specification 2.2/2.3, Appendix E): 3DES session keys derived from the
 * sequence counter, full 3DES MAC cryptograms, retail-MAC C-MAC with MAC chaining (the ICV optionally
 * encrypted with the first half of S-MAC), C-DECRYPTION with 3DES-CBC, R-MAC.
 */
import type { CommandApdu } from '../apdu/command.js';
import { concatBytes } from '../apdu/hex.js';
import { bytesEqual, desEcbEncrypt, pad80, retailMac, tdesCbcEncrypt, tdesCbcMac, ZERO_IV_8 } from './crypto.js';
import { checkSecurityLevel, macLengthField, type SecureChannelWrapper } from './channel.js';
import { CardCryptogramError, GpConfigError, ResponseIntegrityError, SecureChannelProtocolError } from './errors.js';
import type { StaticKeys } from './keys.js';

/** The i-parameter bits of SCP02 (Card Specification Table E-1). */
export const Scp02Options = {
  THREE_KEYS: 0x01,
  CMAC_ON_MODIFIED_APDU: 0x02,
  EXPLICIT_INITIATION: 0x04,
  ICV_MAC_OVER_AID: 0x08,
  ICV_ENCRYPTION: 0x10,
  RMAC_SUPPORTED: 0x20,
  PSEUDO_RANDOM_CHALLENGE: 0x40,
} as const;

/** Derivation constants for the SCP02 session keys. */
const CONSTANTS = { cmac: 0x0101, rmac: 0x0102, dek: 0x0181, enc: 0x0182 } as const;

export interface Scp02SessionKeys {
  readonly enc: Uint8Array;
  readonly mac: Uint8Array;
  readonly rmac: Uint8Array;
  readonly dek: Uint8Array;
}

function checkDesKey(name: string, key: Uint8Array): void {
  if (key.length !== 16) throw new GpConfigError(`SCP02 needs 16-byte 3DES keys, the ${name} key has ${key.length} bytes`);
}

/** S-ENC, S-MAC, S-RMAC and S-DEK: 3DES-CBC (zero IV) of constant || sequence counter || 00…00. */
export function scp02SessionKeys(keys: StaticKeys, sequenceCounter: Uint8Array): Scp02SessionKeys {
  checkDesKey('ENC', keys.enc);
  checkDesKey('MAC', keys.mac);
  checkDesKey('DEK', keys.dek);
  if (sequenceCounter.length !== 2) throw new GpConfigError('the SCP02 sequence counter is 2 bytes');
  const derive = (key: Uint8Array, constant: number): Uint8Array => {
    const data = new Uint8Array(16);
    data[0] = constant >> 8;
    data[1] = constant & 0xff;
    data.set(sequenceCounter, 2);
    return tdesCbcEncrypt(key, data);
  };
  return {
    enc: derive(keys.enc, CONSTANTS.enc),
    mac: derive(keys.mac, CONSTANTS.cmac),
    rmac: derive(keys.mac, CONSTANTS.rmac),
    dek: derive(keys.dek, CONSTANTS.dek),
  };
}

/** Card cryptogram: full 3DES MAC with S-ENC over host challenge || sequence counter || card challenge. */
export function scp02CardCryptogram(sEnc: Uint8Array, hostChallenge: Uint8Array, sequenceCounter: Uint8Array, cardChallenge: Uint8Array): Uint8Array {
  return tdesCbcMac(sEnc, pad80(concatBytes(hostChallenge, sequenceCounter, cardChallenge), 8));
}

/** Host cryptogram: full 3DES MAC with S-ENC over sequence counter || card challenge || host challenge. */
export function scp02HostCryptogram(sEnc: Uint8Array, hostChallenge: Uint8Array, sequenceCounter: Uint8Array, cardChallenge: Uint8Array): Uint8Array {
  return tdesCbcMac(sEnc, pad80(concatBytes(sequenceCounter, cardChallenge, hostChallenge), 8));
}

/** The fields of an SCP02 INITIALIZE UPDATE response. */
export interface Scp02InitializeUpdateResponse {
  readonly keyDiversificationData: Uint8Array;
  readonly keyVersion: number;
  readonly scp: 2;
  readonly sequenceCounter: Uint8Array;
  readonly cardChallenge: Uint8Array;
  readonly cardCryptogram: Uint8Array;
}

export function parseScp02InitializeUpdate(data: Uint8Array): Scp02InitializeUpdateResponse {
  if (data.length !== 28) throw new SecureChannelProtocolError(`SCP02 INITIALIZE UPDATE response must be 28 bytes, got ${data.length}`);
  if (data[11] !== 0x02) throw new SecureChannelProtocolError(`card answered for SCP0${data[11]}, not SCP02`);
  return {
    keyDiversificationData: data.slice(0, 10),
    keyVersion: data[10]!,
    scp: 2,
    sequenceCounter: data.slice(12, 14),
    cardChallenge: data.slice(14, 20),
    cardCryptogram: data.slice(20, 28),
  };
}

export interface Scp02Parameters {
  /** The i-parameter: 15 and 55 are the usual ones (55 = 15 with a pseudo-random card challenge). */
  readonly i: number;
}

/**
 * The host side of one SCP02 session. Create it with `fromInitializeUpdate` (which verifies the card
 * cryptogram), send `externalAuthenticate()`, then `wrap` / `unwrap` every command.
 */
export class Scp02Channel implements SecureChannelWrapper {
  readonly scp = 2 as const;
  private level = 0;
  private icv: Uint8Array = ZERO_IV_8;
  private ricv: Uint8Array = ZERO_IV_8;
  private authenticated = false;
  private rmacInput: Uint8Array | undefined;

  private constructor(
    private readonly keys: Scp02SessionKeys,
    readonly i: number,
    readonly hostCryptogram: Uint8Array,
    readonly response: Scp02InitializeUpdateResponse,
  ) {}

  /** Derives the session keys and verifies the card cryptogram before anything is sent back. */
  static fromInitializeUpdate(keys: StaticKeys, hostChallenge: Uint8Array, responseData: Uint8Array, parameters: Scp02Parameters): Scp02Channel {
    if (hostChallenge.length !== 8) throw new GpConfigError('the SCP02 host challenge is 8 bytes');
    const r = parseScp02InitializeUpdate(responseData);
    const session = scp02SessionKeys(keys, r.sequenceCounter);
    const expected = scp02CardCryptogram(session.enc, hostChallenge, r.sequenceCounter, r.cardChallenge);
    if (!bytesEqual(expected, r.cardCryptogram)) throw new CardCryptogramError(r.keyVersion, 2);
    const host = scp02HostCryptogram(session.enc, hostChallenge, r.sequenceCounter, r.cardChallenge);
    return new Scp02Channel(session, parameters.i, host, r);
  }

  get securityLevel(): number {
    return this.level;
  }

  /** Session DEK, for PUT KEY (SCP02 encrypts key components with the session DEK). */
  get sessionDek(): Uint8Array {
    return this.keys.dek;
  }

  /** EXTERNAL AUTHENTICATE with the host cryptogram, C-MAC over it with a zero ICV. */
  externalAuthenticate(securityLevel: number): CommandApdu {
    checkSecurityLevel(securityLevel, 2);
    const header = Uint8Array.of(0x84, 0x82, securityLevel, 0x00, 0x10);
    const mac = retailMac(this.keys.mac, pad80(concatBytes(header, this.hostCryptogram), 8), ZERO_IV_8);
    this.icv = mac;
    this.level = securityLevel;
    this.authenticated = true;
    return { cla: 0x84, ins: 0x82, p1: securityLevel, p2: 0x00, data: concatBytes(this.hostCryptogram, mac) };
  }

  private nextIcv(): Uint8Array {
    if (this.i & Scp02Options.ICV_ENCRYPTION) return desEcbEncrypt(this.keys.mac.subarray(0, 8), this.icv);
    return this.icv;
  }

  wrap(command: CommandApdu): CommandApdu {
    if (!this.authenticated) throw new SecureChannelProtocolError('SCP02: EXTERNAL AUTHENTICATE first');
    const plain = command.data ?? new Uint8Array(0);
    if (this.level & 0x10) {
      // the command as the R-MAC covers it (E.4.5): CLA without SM and channel bits, Lc of the plaintext (00 without data)
      this.rmacInput = concatBytes(Uint8Array.of(command.cla & ~0x07 & 0xff, command.ins, command.p1, command.p2, plain.length & 0xff), plain);
    }
    if (!(this.level & 0x01)) return command;
    const cla = (command.cla & 0xff) | 0x04;
    let data = plain;
    if (this.level & 0x02 && plain.length > 0) data = tdesCbcEncrypt(this.keys.enc, pad80(plain, 8));
    const wireLength = data.length + 8;
    const extended = wireLength > 255 || (command.ne ?? 0) > 256;
    const macInput = concatBytes(Uint8Array.of(cla, command.ins, command.p1, command.p2), macLengthField(plain.length + 8, extended), plain);
    const mac = retailMac(this.keys.mac, pad80(macInput, 8), this.nextIcv());
    this.icv = mac;
    return {
      cla,
      ins: command.ins,
      p1: command.p1,
      p2: command.p2,
      data: concatBytes(data, mac),
      ...(command.ne !== undefined ? { ne: command.ne } : {}),
    };
  }

  unwrap(response: Uint8Array): Uint8Array {
    if (!(this.level & 0x10)) return response;
    if (response.length < 2) throw new ResponseIntegrityError('response without status word');
    const sw = response.subarray(response.length - 2);
    const body = response.subarray(0, response.length - 2);
    if (body.length < 8) {
      // error status words come without R-MAC
      if (sw[0] === 0x90 || sw[0] === 0x62 || sw[0] === 0x63) throw new ResponseIntegrityError('R-MAC missing from the response');
      return response;
    }
    const data = body.subarray(0, body.length - 8);
    const rmac = body.subarray(body.length - 8);
    const input = concatBytes(this.rmacInput ?? new Uint8Array(0), Uint8Array.of(data.length), data, sw);
    const expected = retailMac(this.keys.rmac, pad80(input, 8), this.ricv);
    if (!bytesEqual(expected, rmac)) throw new ResponseIntegrityError('SCP02 R-MAC does not verify');
    this.ricv = expected;
    return concatBytes(data, sw);
  }
}
