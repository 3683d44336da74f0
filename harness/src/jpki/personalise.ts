import { createHash, type KeyObject } from 'node:crypto';
import { ResponseApdu } from '../apdu/response.js';
import type { Transport } from '../transport/transport.js';
import { CardStatusError } from './client.js';
import { keyImportLayout } from './key-import.js';
import { ContentTarget, putContentCommands, sealContent, type ContentKeys } from './sealer.js';

/** What the SP-TSM puts on the applet (docs/personalisation.md). */
export interface PersonalisationPlan {
  readonly contentKeys: ContentKeys;
  /** Import this RSA-2048 private key, or have the card generate one (`certify` then issues the certificate). */
  readonly key: { readonly import: KeyObject | string | Buffer } | { readonly generate: true };
  /** The user-authentication certificate (DER); for a generated key, `certify` supplies it. */
  readonly certificate?: Uint8Array;
  readonly caCertificate: Uint8Array;
  /** Four digits. */
  readonly pin: string;
  readonly pinPolicy?: 'pin-required' | 'pin-less';
  /** Move the applet to "personalised" at the end (default true). */
  readonly finish?: boolean;
  /** Counter of the first envelope; must exceed the card's last accepted one (default 1 after SET CONTENT KEYS). */
  readonly firstCounter?: number;
}

export interface PersonalisationOptions {
  /** Issues the certificate for a public key generated on the card (DER SubjectPublicKeyInfo in, DER certificate out). */
  readonly certify?: (subjectPublicKeyInfo: Uint8Array) => Promise<Uint8Array>;
  /**
   * Plain path to the same card, for reading the public key outside the session (its
   * integrity is checked against the fingerprint received inside the session).
   */
  readonly plain?: Transport;
  /** Called before each step, for progress output. */
  readonly onStep?: (step: string) => void;
}

export interface PersonalisationResult {
  /** SHA-256 of the key's SubjectPublicKeyInfo, upper-case hex (as the card reports it). */
  readonly publicKeyFingerprint: string;
  readonly subjectPublicKeyInfo: Uint8Array;
  readonly certificate: Uint8Array;
  /** The last content counter used. */
  readonly counter: number;
}

export class PersonalisationError extends Error {
  override readonly name = 'PersonalisationError';
}

async function admin(session: Transport, name: string, apdu: Uint8Array): Promise<Uint8Array> {
  const r = new ResponseApdu(await session.transmit(apdu));
  if (r.sw !== 0x9000) throw new CardStatusError(name, r.sw);
  return r.data;
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex').toUpperCase();

/** Reads the DER SubjectPublicKeyInfo with READ PUBLIC KEY, in chunks that fit a wrapped answer. */
async function readPublicKey(transport: Transport): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for (let offset = 0; offset < 1024; ) {
    const r = new ResponseApdu(await transport.transmit(Uint8Array.of(0x80, 0xb4, offset >> 8, offset & 0xff, 0xe0)));
    if (r.sw === 0x6b00) break;
    if (r.sw !== 0x9000 && r.sw !== 0x6282) throw new CardStatusError('READ PUBLIC KEY', r.sw);
    parts.push(r.data);
    offset += r.data.length;
    if (r.sw === 0x6282 || r.data.length < 0xe0) break;
  }
  return new Uint8Array(Buffer.concat(parts));
}

/**
 * Runs the personalisation over an open administration session to the applet (a
 * GlobalPlatform secure channel at C-MAC + C-DECRYPTION, opened through the applet's AID).
 * Commands are given with CLA 84; the session protects them.
 */
export async function personalise(
  session: Transport,
  plan: PersonalisationPlan,
  options: PersonalisationOptions = {},
): Promise<PersonalisationResult> {
  if (!/^\d{4}$/.test(plan.pin)) throw new PersonalisationError('the PIN must be 4 digits');
  const step = options.onStep ?? (() => undefined);
  let counter = (plan.firstCounter ?? 1) - 1;
  const put = async (target: ContentTarget, content: Uint8Array, what: string): Promise<void> => {
    step(what);
    counter += 1;
    for (const command of putContentCommands(target, sealContent(plan.contentKeys, target, content, counter))) {
      await admin(session, `PUT CONTENT (${what})`, command);
    }
  };

  step('content keys');
  await admin(session, 'SET CONTENT KEYS', Uint8Array.from([0x84, 0xd4, 0x00, 0x00, 0x20, ...plan.contentKeys.encryption, ...plan.contentKeys.mac]));

  let fingerprint: string;
  let spki: Uint8Array;
  if ('generate' in plan.key) {
    step('key generation');
    fingerprint = hex(await admin(session, 'GENERATE KEY PAIR', Uint8Array.of(0x84, 0x46, 0x00, 0x00)));
    spki = await readPublicKey(options.plain ?? session);
    const computed = hex(createHash('sha256').update(spki).digest());
    if (computed !== fingerprint) {
      throw new PersonalisationError(`the public key read (${computed}) is not the one the card generated (${fingerprint})`);
    }
  } else {
    const layout = keyImportLayout(plan.key.import);
    await put(ContentTarget.PrivateKey, layout, 'private key');
    spki = await readPublicKey(options.plain ?? session);
    fingerprint = hex(createHash('sha256').update(spki).digest());
  }

  let certificate = plan.certificate;
  if (!certificate) {
    if (!options.certify) throw new PersonalisationError('no certificate given and no way to issue one (certify)');
    step('certification');
    certificate = await options.certify(spki);
  }
  await put(ContentTarget.Certificate, certificate, 'certificate');
  await put(ContentTarget.CaCertificate, plan.caCertificate, 'CA certificate');
  await put(ContentTarget.Pin, Buffer.from(plan.pin, 'ascii'), 'PIN');
  if (plan.pinPolicy === 'pin-less') {
    step('PIN policy');
    await admin(session, 'SET PIN POLICY', Uint8Array.of(0x84, 0xda, 0x00, 0x00, 0x01, 0x01));
  }
  if (plan.finish !== false) {
    step('life cycle: personalised');
    await admin(session, 'SET LIFE CYCLE', Uint8Array.of(0x84, 0xf0, 0x0f, 0x00));
  }
  return { publicKeyFingerprint: fingerprint, subjectPublicKeyInfo: spki, certificate, counter };
}

/** Resets a forgotten or blocked PIN with a new one (after the user has been re-identified). */
export async function resetPin(session: Transport, keys: ContentKeys, newPin: string, counter: number): Promise<void> {
  if (!/^\d{4}$/.test(newPin)) throw new PersonalisationError('the PIN must be 4 digits');
  for (const command of putContentCommands(ContentTarget.Pin, sealContent(keys, ContentTarget.Pin, Buffer.from(newPin, 'ascii'), counter))) {
    await admin(session, 'PUT CONTENT (PIN reset)', command);
  }
}

/** Terminates the applet: key, certificates and PIN are zeroised. */
export async function terminate(session: Transport): Promise<void> {
  await admin(session, 'SET LIFE CYCLE (terminated)', Uint8Array.of(0x84, 0xf0, 0x7f, 0x00));
}
