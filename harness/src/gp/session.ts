/**
 * A GlobalPlatform secure channel session over any Transport. The session is itself a Transport:
 * every command sent through it is wrapped (C-MAC, C-DECRYPTION) and every response unwrapped and
 * checked (R-MAC, R-ENCRYPTION), so scenario steps and the card-management functions use it unchanged.
 */
import { decodeCommand, encodeCommand, type CommandApdu } from '../apdu/command.js';
import { concatBytes, toHex } from '../apdu/hex.js';
import { ResponseApdu } from '../apdu/response.js';
import type { Transport } from '../transport/transport.js';
import type { SecureChannelWrapper } from './channel.js';
import { initializeUpdate, ISD_AID_DEFAULT, maxCommandDataFromFci, selectByAid } from './commands.js';
import { randomBytesArray } from './crypto.js';
import { GpConfigError, gpStatusError, HostAuthenticationError, SecureChannelClosedError, SecureChannelProtocolError } from './errors.js';
import { diversifyKeySet, type Diversification, type KeySet } from './keys.js';
import { Scp02Channel } from './scp02.js';
import { Scp03Channel } from './scp03.js';

/** A transport that can hold the card exclusively (a PC/SC transaction or an exclusive connection). */
export interface ExclusiveAccess {
  beginExclusive(): Promise<void>;
  endExclusive(): Promise<void>;
}

function hasExclusiveAccess(t: Transport): t is Transport & ExclusiveAccess {
  const candidate = t as Partial<ExclusiveAccess>;
  return typeof candidate.beginExclusive === 'function' && typeof candidate.endExclusive === 'function';
}

export interface GpSessionOptions {
  /** Key set (static keys, or master keys when `diversification` is set). */
  readonly keys: KeySet;
  readonly diversification?: Diversification;
  /** SCP02 or SCP03; undefined accepts what the card answers. */
  readonly scp?: 2 | 3;
  /** The i-parameter: SCP02 needs it (the card does not say it), SCP03 checks it when given. */
  readonly i?: number;
  /** Security level for EXTERNAL AUTHENTICATE; default C-MAC (01). */
  readonly securityLevel?: number;
  /** AID of the security domain to select and authenticate to; default the GP ISD A000000151000000. */
  readonly sdAid?: Uint8Array;
  /** Skip the SELECT (the security domain is already selected, e.g. the default-selected ISD). */
  readonly select?: boolean;
  /** SCP03 S16 mode: 16-byte host challenge. */
  readonly s16?: boolean;
  /** Fixed host challenge (tests); random otherwise. */
  readonly hostChallenge?: Uint8Array;
}

/** Status words after which a GP card closes the secure channel session. */
const SESSION_ENDING_SW = new Set([0x6982, 0x6988]);

export class GpSession implements Transport {
  private open = true;
  private released = false;
  private constructor(
    readonly transport: Transport,
    private readonly channel: SecureChannelWrapper,
    readonly sdAid: Uint8Array,
    /** The FCI the security domain returned on SELECT (empty when not selected). */
    readonly fci: Uint8Array,
    /** Key diversification data from INITIALIZE UPDATE. */
    readonly keyDiversificationData: Uint8Array,
    readonly keyVersion: number,
    private readonly exclusive: boolean,
    /** The keys actually used (after diversification); for PUT KEY under SCP03. */
    private readonly staticKeys: KeySet,
    private readonly scp02Dek: Uint8Array | undefined,
    /** 8 or 16: the MAC length of the session. */
    readonly macLength: 8 | 16,
  ) {}

  /** SELECT (optional), INITIALIZE UPDATE, card cryptogram check, EXTERNAL AUTHENTICATE. */
  static async open(transport: Transport, options: GpSessionOptions): Promise<GpSession> {
    const sdAid = options.sdAid ?? ISD_AID_DEFAULT;
    const level = options.securityLevel ?? 0x01;
    const exclusive = hasExclusiveAccess(transport);
    if (exclusive) await transport.beginExclusive();
    try {
      // GET RESPONSE (61xx) and 6Cxx are the transport stack's (IsoTransport, below every session that
      // openCard opens): the session sees whole responses, so the handshake and every wrapped command
      // are one exchange each here.
      const plain = async (command: CommandApdu): Promise<ResponseApdu> => new ResponseApdu(await transport.transmit(encodeCommand(command)));
      let fci: Uint8Array = new Uint8Array(0);
      if (options.select !== false) {
        const r = await plain(selectByAid(sdAid));
        if (r.sw !== 0x9000) throw gpStatusError(`SELECT security domain ${toHex(sdAid)}`, r.sw);
        fci = r.data;
      }
      const hostChallenge = options.hostChallenge ?? randomBytesArray(options.s16 ? 16 : 8);
      const iu = await plain(initializeUpdate(options.keys.version, hostChallenge));
      if (iu.sw !== 0x9000)
        throw gpStatusError(`INITIALIZE UPDATE (key version ${options.keys.version.toString(16).padStart(2, '0').toUpperCase()})`, iu.sw);
      if (iu.data.length < 12) throw new SecureChannelProtocolError(`INITIALIZE UPDATE response too short: ${iu.data.length} bytes`);
      const scp = iu.data[11];
      if (scp !== 0x02 && scp !== 0x03)
        throw new SecureChannelProtocolError(`card offers SCP${toHex(Uint8Array.of(scp ?? 0))}, this host speaks SCP02 and SCP03`);
      if (options.scp !== undefined && options.scp !== scp)
        throw new SecureChannelProtocolError(`card answered with SCP0${scp}, the session was asked for SCP0${options.scp}`);
      const kdd = iu.data.slice(0, 10);
      const keys = diversifyKeySet(options.keys, kdd, options.diversification ?? 'none');
      let channel: SecureChannelWrapper;
      let authenticate: CommandApdu;
      let scp02Dek: Uint8Array | undefined;
      let macLength: 8 | 16 = 8;
      if (scp === 0x02) {
        const i = options.i ?? 0x15;
        const c = Scp02Channel.fromInitializeUpdate(keys, hostChallenge, iu.data, { i });
        authenticate = c.externalAuthenticate(level);
        scp02Dek = c.sessionDek;
        channel = c;
      } else {
        const c = Scp03Channel.fromInitializeUpdate(keys, hostChallenge, iu.data, {
          sdAid,
          ...(options.i !== undefined ? { expectedI: options.i } : {}),
        });
        authenticate = c.externalAuthenticate(level);
        macLength = c.s;
        channel = c;
      }
      const ea = new ResponseApdu(await transport.transmit(encodeCommand(authenticate)));
      if (ea.sw !== 0x9000) throw new HostAuthenticationError('EXTERNAL AUTHENTICATE', ea.sw);
      return new GpSession(transport, channel, sdAid, fci, kdd, iu.data[10]!, exclusive, keys, scp02Dek, macLength);
    } catch (e) {
      if (exclusive) await transport.endExclusive().catch(() => undefined);
      throw e;
    }
  }

  get description(): string {
    return `${this.transport.description} [SCP0${this.channel.scp} level ${toHex(Uint8Array.of(this.channel.securityLevel))}]`;
  }

  get atr(): Uint8Array {
    return this.transport.atr;
  }

  get scp(): 2 | 3 {
    return this.channel.scp;
  }

  get securityLevel(): number {
    return this.channel.securityLevel;
  }

  get isOpen(): boolean {
    return this.open;
  }

  /** The maximum command data length from the security domain's FCI (9F65), when it gave one. */
  get maxCommandData(): number | undefined {
    return maxCommandDataFromFci(this.fci);
  }

  /** The key that encrypts key components in PUT KEY: the session DEK (SCP02) or the static DEK (SCP03). */
  get keyEncryptionKey(): Uint8Array {
    return this.scp02Dek ?? this.staticKeys.dek;
  }

  /** Sends one command through the secure channel and returns the unwrapped response. */
  async send(command: CommandApdu): Promise<ResponseApdu> {
    if (!this.open) throw new SecureChannelClosedError('the secure channel session is closed');
    const wrapped = this.channel.wrap(command);
    const raw = await this.transport.transmit(encodeCommand(wrapped));
    let response: ResponseApdu;
    try {
      response = new ResponseApdu(this.channel.unwrap(raw));
    } catch (e) {
      this.open = false;
      throw e;
    }
    if (SESSION_ENDING_SW.has(response.sw)) this.open = false;
    return response;
  }

  /** Sends a command and returns its data; any status but 9000 is a CardStatusError naming the command. */
  async sendOk(name: string, command: CommandApdu): Promise<Uint8Array> {
    const r = await this.send(command);
    if (r.sw !== 0x9000) throw gpStatusError(name, r.sw);
    return r.data;
  }

  /** Transport interface: raw command bytes in, unwrapped response bytes out. */
  async transmit(command: Uint8Array): Promise<Uint8Array> {
    let parsed: CommandApdu;
    try {
      parsed = decodeCommand(command);
    } catch (e) {
      throw new GpConfigError(`not a command APDU: ${(e as Error).message}`);
    }
    const r = await this.send(parsed);
    return concatBytes(r.data, Uint8Array.of(r.sw1, r.sw2));
  }

  /** A reset ends the session (the card forgets it); the card is reset through the underlying transport. */
  async reset(options: { cold?: boolean } = {}): Promise<Uint8Array> {
    await this.end({ onCard: false });
    return this.transport.reset(options);
  }

  /**
   * Ends the session and releases exclusive access; the underlying transport stays open. The
   * session also ends on the card: the security domain (or the application it was opened
   * through) is selected again, which ends a secure channel session (GP Card Specification
   * 10.2.3), so nothing sent afterwards on the same link runs with the session's rights.
   */
  async end(options: { onCard?: boolean } = {}): Promise<void> {
    if (this.open && options.onCard !== false) {
      this.open = false;
      try {
        await this.transport.transmit(encodeCommand(selectByAid(this.sdAid)));
      } catch {
        // The card or reader is gone: the session ended with it.
      }
    }
    this.open = false;
    if (this.exclusive && !this.released && hasExclusiveAccess(this.transport)) {
      this.released = true;
      await this.transport.endExclusive();
    }
  }

  /** Ends the session and closes the underlying transport. */
  async close(): Promise<void> {
    await this.end();
    await this.transport.close();
  }
}
