import { HarnessError } from '../../errors.js';
/** The applet's information record (GET DATA 80 CA 01 01), decoded. */
export interface AppletInformation {
  readonly lifecycle: 'pre-personalised' | 'personalised' | 'terminated' | `unknown (${string})`;
  readonly pinTriesLeft: number;
  readonly pinPolicy: 'pin-required' | 'pin-less';
  readonly keyPresent: boolean;
  /** SHA-256 of the public key's SubjectPublicKeyInfo, hex. */
  readonly publicKeyFingerprint?: string;
  /** Serial number of the user-authentication certificate, hex. */
  readonly certificateSerial?: string;
  /** notAfter of the certificate as an ISO date (from UTCTime / GeneralizedTime). */
  readonly certificateNotAfter?: string;
  readonly version: string;
  readonly interface: 'contact' | 'contactless';
  readonly contentCounter: number;
  /** Check value of the content keys (8 bytes, hex) when they are set. */
  readonly contentKeyCheckValue?: string;
}

/** The card answered GET DATA with a record the harness cannot read: a card error, exit code 3. */
export class InformationFormatError extends HarnessError {
  readonly exitCode = 3;
}

const LIFECYCLES: Record<number, AppletInformation['lifecycle']> = {
  0x07: 'pre-personalised',
  0x0f: 'personalised',
  0x7f: 'terminated',
};

function asnTime(text: string, generalized: boolean): string {
  const m = generalized ? /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(text) : /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(text);
  if (!m) return text;
  const year = generalized ? m[1]! : (Number(m[1]) >= 50 ? '19' : '20') + m[1]!;
  return `${year}-${m[2]}-${m[3]}T${m[4]}:${m[5]}:${m[6]}Z`;
}

export function parseInformation(data: Uint8Array): AppletInformation {
  if (data.length < 2 || data[0] !== 0xe0 || data[1] !== data.length - 2) {
    throw new InformationFormatError('not an E0 information template');
  }
  const fields = new Map<number, Uint8Array>();
  for (let at = 2; at < data.length;) {
    const tag = data[at]!;
    const length = data[at + 1];
    if (length === undefined || at + 2 + length > data.length) throw new InformationFormatError(`truncated field ${tag.toString(16)}`);
    fields.set(tag, data.subarray(at + 2, at + 2 + length));
    at += 2 + length;
  }
  const byte = (tag: number): number => {
    const v = fields.get(tag);
    if (!v || v.length !== 1) throw new InformationFormatError(`missing field ${tag.toString(16)}`);
    return v[0]!;
  };
  const hex = (tag: number): string | undefined => {
    const v = fields.get(tag);
    return v ? Buffer.from(v).toString('hex').toUpperCase() : undefined;
  };
  const lifecycle = byte(0x80);
  const version = fields.get(0x87);
  const counter = fields.get(0x89);
  const notAfter = fields.get(0x86);
  const fingerprint = hex(0x84);
  const serial = hex(0x85);
  return {
    lifecycle: LIFECYCLES[lifecycle] ?? `unknown (${lifecycle.toString(16)})`,
    pinTriesLeft: byte(0x81),
    pinPolicy: byte(0x82) === 1 ? 'pin-less' : 'pin-required',
    keyPresent: byte(0x83) === 1,
    ...(fingerprint ? { publicKeyFingerprint: fingerprint } : {}),
    ...(serial ? { certificateSerial: serial } : {}),
    ...(notAfter ? { certificateNotAfter: asnTime(Buffer.from(notAfter).toString('latin1'), notAfter.length === 15) } : {}),
    version: version && version.length === 2 ? `${version[0]}.${version[1]}` : 'unknown',
    interface: byte(0x88) === 1 ? 'contactless' : 'contact',
    contentCounter: counter && counter.length === 4 ? Buffer.from(counter).readUInt32BE(0) : 0,
    ...(hex(0x8a) ? { contentKeyCheckValue: hex(0x8a)! } : {}),
  };
}
