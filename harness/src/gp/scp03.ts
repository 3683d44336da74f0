/**
 * SCP03 (GlobalPlatform Card Specification Amendment D): AES session keys from the NIST SP 800-108
 * counter-mode KDF with AES-CMAC, CMAC cryptograms, C-MAC with a 16-byte chaining value, C-DECRYPTION
 * and R-ENCRYPTION with the encryption counter, R-MAC, S8 and S16 modes, pseudo-random card challenges.
 */
import type { CommandApdu } from '../apdu/command.js';
import { concatBytes } from '../apdu/hex.js';
import { aesCbcDecrypt, aesCbcEncrypt, aesCmac, aesEcbEncrypt, bytesEqual, pad80, unpad80 } from './crypto.js';
import { checkSecurityLevel, macLengthField, type SecureChannelWrapper } from './channel.js';
import { CardCryptogramError, GpConfigError, ResponseIntegrityError, SecureChannelProtocolError } from './errors.js';
import type { StaticKeys } from './keys.js';

/** The i-parameter bits of SCP03 (Amendment D, 5.1). */
export const Scp03Options = {
  S16: 0x01,
  PSEUDO_RANDOM_CHALLENGE: 0x10,
  RMAC_SUPPORTED: 0x20,
  RENC_SUPPORTED: 0x40,
} as const;

/** Derivation constants (Amendment D, Table 4-1). */
export const Scp03Constants = {
  CARD_CRYPTOGRAM: 0x00,
  HOST_CRYPTOGRAM: 0x01,
  CARD_CHALLENGE: 0x02,
  S_ENC: 0x04,
  S_MAC: 0x06,
  S_RMAC: 0x07,
} as const;

/**
 * The SCP03 KDF: AES-CMAC PRF in counter mode, derivation data
 * label (11 × 00 || constant) || 00 || L (2 bytes, bits) || i (1 byte) || context.
 */
export function scp03Kdf(key: Uint8Array, constant: number, context: Uint8Array, bits: number): Uint8Array {
  if (bits % 8 !== 0 || bits <= 0 || bits > 0xffff) throw new GpConfigError(`KDF output length ${bits} bits is not valid`);
  const label = new Uint8Array(12);
  label[11] = constant;
  const blocks: Uint8Array[] = [];
  for (let i = 1; blocks.length * 128 < bits; i++) {
    if (i > 0xff) throw new GpConfigError('KDF counter overflow');
    blocks.push(aesCmac(key, concatBytes(label, Uint8Array.of(0x00, bits >> 8, bits & 0xff, i), context)));
  }
  return concatBytes(...blocks).subarray(0, bits / 8);
}

export interface Scp03SessionKeys {
  readonly enc: Uint8Array;
  readonly mac: Uint8Array;
  readonly rmac: Uint8Array;
}

/** S-ENC, S-MAC and S-RMAC from the static keys and the context host challenge || card challenge. */
export function scp03SessionKeys(keys: StaticKeys, hostChallenge: Uint8Array, cardChallenge: Uint8Array): Scp03SessionKeys {
  const context = concatBytes(hostChallenge, cardChallenge);
  const bits = (k: Uint8Array): number => k.length * 8;
  return {
    enc: scp03Kdf(keys.enc, Scp03Constants.S_ENC, context, bits(keys.enc)),
    mac: scp03Kdf(keys.mac, Scp03Constants.S_MAC, context, bits(keys.mac)),
    rmac: scp03Kdf(keys.mac, Scp03Constants.S_RMAC, context, bits(keys.mac)),
  };
}

export function scp03CardCryptogram(sMac: Uint8Array, hostChallenge: Uint8Array, cardChallenge: Uint8Array, length: 8 | 16): Uint8Array {
  return scp03Kdf(sMac, Scp03Constants.CARD_CRYPTOGRAM, concatBytes(hostChallenge, cardChallenge), length * 8);
}

export function scp03HostCryptogram(sMac: Uint8Array, hostChallenge: Uint8Array, cardChallenge: Uint8Array, length: 8 | 16): Uint8Array {
  return scp03Kdf(sMac, Scp03Constants.HOST_CRYPTOGRAM, concatBytes(hostChallenge, cardChallenge), length * 8);
}

/** A pseudo-random card challenge: KDF of the static ENC key over sequence counter || AID of the security domain. */
export function scp03PseudoRandomChallenge(staticEnc: Uint8Array, sequenceCounter: Uint8Array, sdAid: Uint8Array, length: 8 | 16): Uint8Array {
  return scp03Kdf(staticEnc, Scp03Constants.CARD_CHALLENGE, concatBytes(sequenceCounter, sdAid), length * 8);
}

export interface Scp03InitializeUpdateResponse {
  readonly keyDiversificationData: Uint8Array;
  readonly keyVersion: number;
  readonly scp: 3;
  readonly i: number;
  readonly cardChallenge: Uint8Array;
  readonly cardCryptogram: Uint8Array;
  /** Present when the card uses pseudo-random challenges (i bit 10). */
  readonly sequenceCounter?: Uint8Array;
}

export function parseScp03InitializeUpdate(data: Uint8Array): Scp03InitializeUpdateResponse {
  if (data.length < 13) throw new SecureChannelProtocolError(`SCP03 INITIALIZE UPDATE response too short: ${data.length} bytes`);
  if (data[11] !== 0x03) throw new SecureChannelProtocolError(`card answered for SCP0${data[11]}, not SCP03`);
  const i = data[12]!;
  const s = i & Scp03Options.S16 ? 16 : 8;
  const withCounter = (i & Scp03Options.PSEUDO_RANDOM_CHALLENGE) !== 0;
  const expected = 13 + 2 * s + (withCounter ? 3 : 0);
  if (data.length !== expected) {
    throw new SecureChannelProtocolError(
      `SCP03 INITIALIZE UPDATE response for i=${i.toString(16).padStart(2, '0')} must be ${expected} bytes, got ${data.length}`,
    );
  }
  return {
    keyDiversificationData: data.slice(0, 10),
    keyVersion: data[10]!,
    scp: 3,
    i,
    cardChallenge: data.slice(13, 13 + s),
    cardCryptogram: data.slice(13 + s, 13 + 2 * s),
    ...(withCounter ? { sequenceCounter: data.slice(13 + 2 * s) } : {}),
  };
}

export interface Scp03Options {
  /** AID of the security domain, needed to verify a pseudo-random card challenge. */
  readonly sdAid?: Uint8Array;
  /** Refuse cards whose i-parameter differs (undefined: accept what the card announces). */
  readonly expectedI?: number;
}

/** The host side of one SCP03 session. */
export class Scp03Channel implements SecureChannelWrapper {
  readonly scp = 3 as const;
  private level = 0;
  private chaining: Uint8Array = new Uint8Array(16);
  private counter = 0;
  private authenticated = false;
  private lastCounter = 0;

  private constructor(
    private readonly keys: Scp03SessionKeys,
    readonly hostCryptogram: Uint8Array,
    readonly response: Scp03InitializeUpdateResponse,
    readonly s: 8 | 16,
  ) {}

  static fromInitializeUpdate(keys: StaticKeys, hostChallenge: Uint8Array, responseData: Uint8Array, options: Scp03Options = {}): Scp03Channel {
    const r = parseScp03InitializeUpdate(responseData);
    const s: 8 | 16 = r.i & Scp03Options.S16 ? 16 : 8;
    if (hostChallenge.length !== s) throw new GpConfigError(`the SCP03 host challenge must be ${s} bytes in S${s} mode`);
    if (options.expectedI !== undefined && options.expectedI !== r.i) {
      throw new SecureChannelProtocolError(
        `card announces SCP03 i=${r.i.toString(16).padStart(2, '0')}, the profile expects ${options.expectedI.toString(16).padStart(2, '0')}`,
      );
    }
    const session = scp03SessionKeys(keys, hostChallenge, r.cardChallenge);
    const expected = scp03CardCryptogram(session.mac, hostChallenge, r.cardChallenge, s);
    if (!bytesEqual(expected, r.cardCryptogram)) throw new CardCryptogramError(r.keyVersion, 3);
    if (r.sequenceCounter !== undefined && options.sdAid !== undefined) {
      const challenge = scp03PseudoRandomChallenge(keys.enc, r.sequenceCounter, options.sdAid, s);
      if (!bytesEqual(challenge, r.cardChallenge)) {
        throw new SecureChannelProtocolError('pseudo-random card challenge does not match the sequence counter and security domain AID');
      }
    }
    return new Scp03Channel(session, scp03HostCryptogram(session.mac, hostChallenge, r.cardChallenge, s), r, s);
  }

  get securityLevel(): number {
    return this.level;
  }

  /** EXTERNAL AUTHENTICATE: the host cryptogram with a C-MAC from the zero chaining value, never encrypted. */
  externalAuthenticate(securityLevel: number): CommandApdu {
    checkSecurityLevel(securityLevel, 3);
    if (securityLevel & 0x10 && !(this.response.i & Scp03Options.RMAC_SUPPORTED)) {
      throw new GpConfigError(`card i=${this.response.i.toString(16).padStart(2, '0')} does not support R-MAC`);
    }
    if (securityLevel & 0x20 && !(this.response.i & Scp03Options.RENC_SUPPORTED)) {
      throw new GpConfigError(`card i=${this.response.i.toString(16).padStart(2, '0')} does not support R-ENCRYPTION`);
    }
    this.level = 0x01;
    this.authenticated = true;
    const wrapped = this.macCommand({ cla: 0x80, ins: 0x82, p1: securityLevel, p2: 0x00, data: this.hostCryptogram });
    this.level = securityLevel;
    return wrapped;
  }

  private macCommand(command: CommandApdu): CommandApdu {
    const cla = ((command.cla & 0xf0) | 0x04) & 0xff;
    const data = command.data ?? new Uint8Array(0);
    const extended = data.length + this.s > 255 || (command.ne ?? 0) > 256;
    const input = concatBytes(
      this.chaining,
      Uint8Array.of(cla, command.ins, command.p1, command.p2),
      macLengthField(data.length + this.s, extended),
      data,
    );
    this.chaining = aesCmac(this.keys.mac, input);
    return {
      cla: cla | (command.cla & 0x03),
      ins: command.ins,
      p1: command.p1,
      p2: command.p2,
      data: concatBytes(data, this.chaining.subarray(0, this.s)),
      ...(command.ne !== undefined ? { ne: command.ne } : {}),
    };
  }

  private counterBlock(response: boolean, value: number): Uint8Array {
    const block = new Uint8Array(16);
    let v = value;
    for (let i = 15; i >= 0 && v > 0; i--) {
      block[i] = v & 0xff;
      v = Math.floor(v / 256);
    }
    if (response) block[0] = 0x80;
    return aesEcbEncrypt(this.keys.enc, block);
  }

  wrap(command: CommandApdu): CommandApdu {
    if (!this.authenticated) throw new SecureChannelProtocolError('SCP03: EXTERNAL AUTHENTICATE first');
    let data = command.data ?? new Uint8Array(0);
    if (this.level & 0x02) {
      // incremented for every command of the session, also when there is no data to encrypt
      this.counter++;
      if (data.length > 0) data = aesCbcEncrypt(this.keys.enc, pad80(data, 16), this.counterBlock(false, this.counter));
    }
    this.lastCounter = this.counter;
    if (!(this.level & 0x01)) return command;
    return this.macCommand({ ...command, data });
  }

  unwrap(response: Uint8Array): Uint8Array {
    if (!(this.level & 0x10)) return response;
    if (response.length < 2) throw new ResponseIntegrityError('response without status word');
    const sw = response.subarray(response.length - 2);
    const body = response.subarray(0, response.length - 2);
    const success = sw[0] === 0x90 && sw[1] === 0x00 ? true : sw[0] === 0x62 || sw[0] === 0x63;
    if (!success) {
      // no R-MAC on error status words
      if (body.length > 0) throw new ResponseIntegrityError('error status word with a response body in an R-MAC session');
      return response;
    }
    if (body.length < this.s) throw new ResponseIntegrityError('R-MAC missing from the response');
    let data = body.subarray(0, body.length - this.s);
    const rmac = body.subarray(body.length - this.s);
    const expected = aesCmac(this.keys.rmac, concatBytes(this.chaining, data, sw)).subarray(0, this.s);
    if (!bytesEqual(expected, rmac)) throw new ResponseIntegrityError('SCP03 R-MAC does not verify');
    if (this.level & 0x20 && data.length > 0) {
      if (data.length % 16 !== 0) throw new ResponseIntegrityError(`encrypted response length ${data.length} is not a multiple of 16`);
      try {
        data = unpad80(aesCbcDecrypt(this.keys.enc, data, this.counterBlock(true, this.lastCounter)));
      } catch {
        throw new ResponseIntegrityError('encrypted response has bad padding');
      }
    }
    return concatBytes(data, sw);
  }
}
