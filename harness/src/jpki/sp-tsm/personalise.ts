import { createHash, timingSafeEqual, type KeyObject } from 'node:crypto';
import {
  AuthorisedCommand,
  authorisedCommand,
  getInformationCommand,
  putContentCommands,
  readPublicKeyCommand,
  setContentKeysCommands,
  type AdminHeader,
} from '../../apdu/jpki-commands.js';
import { ResponseApdu } from '../../apdu/response.js';
import { HarnessError } from '../../errors.js';
import type { Transport } from '../../transport/transport.js';
import type { VerifiedAttestation } from './attestation.js';
import { CardStatusError } from '../../errors.js';
import { parseInformation, type AppletInformation } from '../client/info.js';
import { keyImportLayout } from './key-import.js';
import {
  answerTagMatches,
  authoriseCommand,
  contentKeyCheckValue,
  ContentTarget,
  keyTransportPayload,
  sealContent,
  type ContentKeys,
} from './sealer.js';

/** What the SP-TSM puts on the applet (docs/personalisation.md). */
export interface PersonalisationPlan {
  readonly contentKeys: ContentKeys;
  /**
   * The applet's verified key-transport key, to establish the content keys when the card has
   * none yet. Cards that already hold these content keys (checked by their check value) need none.
   */
  readonly attestation?: VerifiedAttestation;
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
}

export interface PersonalisationOptions {
  /** Issues the certificate for a public key generated on the card (DER SubjectPublicKeyInfo in, DER certificate out). */
  readonly certify?: (subjectPublicKeyInfo: Uint8Array) => Promise<Uint8Array>;
  /**
   * Plain path to the same card, for reading the public key outside the session (its
   * integrity is checked against the fingerprint received with the SP-TSM's tag).
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

export class PersonalisationError extends HarnessError {
  readonly exitCode = 3;
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
  for (let offset = 0; offset < 1024;) {
    const r = new ResponseApdu(await transport.transmit(readPublicKeyCommand(offset, 0xe0)));
    if (r.sw === 0x6b00) break;
    if (r.sw !== 0x9000 && r.sw !== 0x6282) throw new CardStatusError('READ PUBLIC KEY', r.sw);
    parts.push(r.data);
    offset += r.data.length;
    if (r.sw === 0x6282 || r.data.length < 0xe0) break;
  }
  return new Uint8Array(Buffer.concat(parts));
}

/** The information record, read through `transport` (inside a session it comes back wrapped). */
export async function readInformation(transport: Transport): Promise<AppletInformation> {
  return parseInformation(await admin(transport, 'GET DATA (information)', getInformationCommand()));
}

/**
 * The SP-TSM's end-to-end administration of one applet, inside a GlobalPlatform session:
 * every command is authorised under the content keys with the next counter value.
 */
export class AppletAdministration {
  private constructor(
    private readonly session: Transport,
    private readonly keys: ContentKeys,
    private lastCounter: number,
  ) {}

  /**
   * Checks that the applet holds `keys` (establishing them by key transport to the attested
   * key when it holds none), and learns the counter to continue from.
   */
  static async open(
    session: Transport,
    keys: ContentKeys,
    attestation?: VerifiedAttestation,
    onStep?: (step: string) => void,
  ): Promise<AppletAdministration> {
    let info = await readInformation(session);
    if (info.lifecycle === 'terminated') throw new PersonalisationError('the applet is terminated: install a new instance');
    const expected = contentKeyCheckValue(keys);
    if (info.contentKeyCheckValue === undefined) {
      if (!attestation) throw new PersonalisationError('the applet has no content keys yet and no verified attestation was given to send them to');
      onStep?.('content keys (key transport to the attested applet key)');
      for (const command of setContentKeysCommands(keyTransportPayload(keys, attestation.transportKey))) {
        await admin(session, 'SET CONTENT KEYS', command);
      }
      info = await readInformation(session);
    }
    const actual = Buffer.from(info.contentKeyCheckValue ?? '', 'hex');
    if (actual.length !== expected.length || !timingSafeEqual(actual, expected)) {
      // Someone else established keys first (or this SP-TSM's keys differ): send nothing.
      throw new PersonalisationError("the applet's content keys are not this SP-TSM's: someone else established them");
    }
    return new AppletAdministration(session, keys, info.contentCounter);
  }

  /** The last counter value used. */
  get counter(): number {
    return this.lastCounter;
  }

  private next(): number {
    this.lastCounter += 1;
    return this.lastCounter;
  }

  private async authorised(name: string, header: AdminHeader, payload: Uint8Array = new Uint8Array(0)): Promise<Uint8Array> {
    const counter = this.next();
    const data = authoriseCommand(this.keys, header, payload, counter);
    return admin(this.session, name, authorisedCommand(header, data));
  }

  /** PUT CONTENT of one sealed envelope. */
  async put(target: ContentTarget, content: Uint8Array, what: string): Promise<void> {
    for (const command of putContentCommands(target, sealContent(this.keys, target, content, this.next()))) {
      await admin(this.session, `PUT CONTENT (${what})`, command);
    }
  }

  /** GENERATE KEY PAIR; the fingerprint comes back with the applet's tag, checked here. */
  async generateKeyPair(): Promise<string> {
    const command = AuthorisedCommand.generateKeyPair;
    const answer = await this.authorised('GENERATE KEY PAIR', command);
    const fingerprint = answer.subarray(0, 32);
    if (answer.length !== 48 || !answerTagMatches(this.keys, command.ins, this.lastCounter, fingerprint, answer.subarray(32))) {
      throw new PersonalisationError('the key fingerprint did not come back with the applet tag: someone on the path changed it');
    }
    return hex(fingerprint);
  }

  async setPinPolicy(policy: 'pin-required' | 'pin-less'): Promise<void> {
    await this.authorised('SET PIN POLICY', AuthorisedCommand.setPinPolicy, Uint8Array.of(policy === 'pin-less' ? 1 : 0));
  }

  async setPersonalised(): Promise<void> {
    await this.authorised('SET LIFE CYCLE', AuthorisedCommand.setPersonalised);
  }

  /** Terminates the applet: key, certificates, PIN and content keys are erased; final. */
  async terminate(): Promise<void> {
    await this.authorised('SET LIFE CYCLE (terminated)', AuthorisedCommand.terminate);
  }

  /** Resets a forgotten or blocked PIN with a new one (after the user has been re-identified). */
  async resetPin(newPin: string): Promise<void> {
    if (!/^\d{4}$/.test(newPin)) throw new PersonalisationError('the PIN must be 4 digits');
    await this.put(ContentTarget.Pin, Buffer.from(newPin, 'ascii'), 'PIN reset');
  }
}

/**
 * Runs the personalisation over an open administration session to the applet (a
 * GlobalPlatform secure channel at C-MAC + C-DECRYPTION, opened through the applet's AID).
 * Commands are given with CLA 84; the session protects them, the content keys authorise them.
 */
export async function personalise(
  session: Transport,
  plan: PersonalisationPlan,
  options: PersonalisationOptions = {},
): Promise<PersonalisationResult> {
  if (!/^\d{4}$/.test(plan.pin)) throw new PersonalisationError('the PIN must be 4 digits');
  const step = options.onStep ?? (() => undefined);
  step('applet state');
  const applet = await AppletAdministration.open(session, plan.contentKeys, plan.attestation, step);

  const credential = await writeCredential(applet, session, plan, options);
  step('PIN');
  await applet.put(ContentTarget.Pin, Buffer.from(plan.pin, 'ascii'), 'PIN');
  if (plan.pinPolicy === 'pin-less') {
    step('PIN policy');
    await applet.setPinPolicy('pin-less');
  }
  if (plan.finish !== false) {
    step('life cycle: personalised');
    await applet.setPersonalised();
  }
  return { ...credential, counter: applet.counter };
}

/** The key and its certificates, as personalisation and renewal write them. */
export type CredentialPlan = Pick<PersonalisationPlan, 'key' | 'certificate' | 'caCertificate'>;

/**
 * Writes the key (imported, or generated on the card and certified through `certify`), its certificate and
 * the CA certificate. At personalisation the PIN follows; at renewal this is all, and the PIN stays.
 */
export async function writeCredential(
  applet: AppletAdministration,
  session: Transport,
  plan: CredentialPlan,
  options: PersonalisationOptions = {},
): Promise<Omit<PersonalisationResult, 'counter'>> {
  const step = options.onStep ?? (() => undefined);
  let fingerprint: string;
  let spki: Uint8Array;
  if ('generate' in plan.key) {
    step('key generation');
    fingerprint = await applet.generateKeyPair();
    spki = await readPublicKey(options.plain ?? session);
    const computed = hex(createHash('sha256').update(spki).digest());
    if (computed !== fingerprint) {
      throw new PersonalisationError(`the public key read (${computed}) is not the one the card generated (${fingerprint})`);
    }
  } else {
    step('private key');
    await applet.put(ContentTarget.PrivateKey, keyImportLayout(plan.key.import), 'private key');
    spki = await readPublicKey(options.plain ?? session);
    fingerprint = hex(createHash('sha256').update(spki).digest());
  }
  let certificate = plan.certificate;
  if (!certificate) {
    if (!options.certify) throw new PersonalisationError('no certificate given and no way to issue one (certify)');
    step('certification');
    certificate = await options.certify(spki);
  }
  step('certificate');
  await applet.put(ContentTarget.Certificate, certificate, 'certificate');
  step('CA certificate');
  await applet.put(ContentTarget.CaCertificate, plan.caCertificate, 'CA certificate');
  return { publicKeyFingerprint: fingerprint, subjectPublicKeyInfo: spki, certificate };
}

/** Resets a forgotten or blocked PIN with a new one (after the user has been re-identified). */
export async function resetPin(session: Transport, keys: ContentKeys, newPin: string): Promise<void> {
  await (await AppletAdministration.open(session, keys)).resetPin(newPin);
}

/** Terminates the applet: key, certificates and PIN are zeroised. */
export async function terminate(session: Transport, keys: ContentKeys): Promise<void> {
  await (await AppletAdministration.open(session, keys)).terminate();
}
