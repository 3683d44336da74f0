import { digestInfo, hashMessage, type HashName } from '../../apdu/digest-info.js';
import {
  getInformationCommand,
  readBinaryCommand,
  readPublicKeyCommand,
  selectAidCommand,
  selectEfCommand,
  signCommand,
  verifyPinCommand,
} from '../../apdu/jpki-commands.js';
import { ResponseApdu } from '../../apdu/response.js';

import { CardStatusError } from '../../errors.js';
import type { Transport } from '../../transport/transport.js';
import { parseInformation, type AppletInformation } from './info.js';

export const JPKI_AID = Uint8Array.from([0xd3, 0x92, 0xf0, 0x00, 0x26, 0x01, 0x00, 0x00, 0x00, 0x01]);

/** File identifiers of the user-authentication half of the JPKI application. */
export const JpkiFile = {
  TokenInfo: 0x0006,
  AuthCertificate: 0x000a,
  AuthCaCertificate: 0x000b,
  AuthKey: 0x0017,
  AuthPin: 0x0018,
} as const;

export type DigestAlgorithm = HashName;

/**
 * What a JPKI client does with the user-authentication application: select, read the
 * certificates, verify the PIN, sign. Every method sends plain APDUs over `transport`.
 */
export class JpkiClient {
  constructor(private readonly transport: Transport) {}

  private async send(name: string, apdu: Uint8Array, accept: (sw: number) => boolean = (sw) => sw === 0x9000): Promise<ResponseApdu> {
    const response = new ResponseApdu(await this.transport.transmit(apdu));
    if (!accept(response.sw)) throw new CardStatusError(name, response.sw);
    return response;
  }

  async selectApplication(): Promise<void> {
    await this.send('SELECT JPKI', selectAidCommand(JPKI_AID));
  }

  async selectFile(fid: number): Promise<void> {
    await this.send(`SELECT EF ${fid.toString(16).padStart(4, '0')}`, selectEfCommand(Uint8Array.of(fid >> 8, fid & 0xff)));
  }

  /** Reads a whole transparent EF: 256-byte chunks until 6282 or 6B00. */
  async readFile(fid: number): Promise<Uint8Array> {
    await this.selectFile(fid);
    const parts: Uint8Array[] = [];
    for (let offset = 0; offset < 0x8000; offset += 256) {
      const r = await this.send('READ BINARY', readBinaryCommand(offset), (sw) => [0x9000, 0x6282, 0x6b00].includes(sw));
      if (r.sw === 0x6b00) break;
      parts.push(r.data);
      if (r.sw !== 0x9000 || r.data.length < 256) break;
    }
    return new Uint8Array(Buffer.concat(parts));
  }

  /** Tries left on the user-authentication PIN (empty VERIFY → 63Cx). */
  async pinTriesLeft(): Promise<number> {
    await this.selectFile(JpkiFile.AuthPin);
    const r = await this.send('VERIFY (status)', verifyPinCommand(''), (sw) => (sw & 0xfff0) === 0x63c0);
    return r.sw & 0x0f;
  }

  /** Verifies the PIN; throws CardStatusError with 63Cx when wrong. */
  async verifyPin(pin: string): Promise<void> {
    if (!/^\d{4}$/.test(pin)) throw new RangeError('the PIN is 4 digits');
    await this.selectFile(JpkiFile.AuthPin);
    await this.send('VERIFY', verifyPinCommand(pin));
  }

  /** Signs a DigestInfo with the user-authentication key (PIN verified first unless PIN-less). */
  async signDigestInfo(info: Uint8Array): Promise<Uint8Array> {
    await this.selectFile(JpkiFile.AuthKey);
    const r = await this.send('COMPUTE DIGITAL SIGNATURE', signCommand(info));
    return r.data;
  }

  async sign(algorithm: DigestAlgorithm, message: Uint8Array): Promise<Uint8Array> {
    return this.signDigestInfo(digestInfo(algorithm, hashMessage(algorithm, message)));
  }

  async information(): Promise<AppletInformation> {
    const r = await this.send('GET DATA (information)', getInformationCommand());
    return parseInformation(r.data);
  }

  /** The DER SubjectPublicKeyInfo of the key on the card (READ PUBLIC KEY 80 B4). */
  async readPublicKey(): Promise<Uint8Array> {
    const first = await this.send('READ PUBLIC KEY', readPublicKeyCommand(0));
    const rest = await this.send('READ PUBLIC KEY', readPublicKeyCommand(0x100), (sw) => sw === 0x9000 || sw === 0x6282);
    return new Uint8Array(Buffer.concat([first.data, rest.data]));
  }
}
