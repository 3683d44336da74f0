/**
 * The write (the source document's steps ⑭–⑱), run on the SIM through the device agent. It checks the
 * SIM is the one the applicant designated (its CASD certificate, then the applet key the CASD attests),
 * has the MNO-TSM install the applet, takes the SP's domain over, and personalises the applet with
 * content sealed to keys only this applet can learn. Each stage looks at the card first, so after any
 * interruption — a dropped agent, a killed SP-TSM — running it again finishes the job.
 */
import { GpSession } from '../../gp/session.js';
import { diversifyKeySet, makeKeySet, type KeySet } from '../../gp/keys.js';
import { parseHex } from '../../apdu/hex.js';
import { keySetVersions, putKeys } from '../../gp/manager.js';
import { HarnessError } from '../../errors.js';
import { JPKI_AID } from '../../jpki/client/client.js';
import { readAttestation, verifyAttestation } from '../../jpki/sp-tsm/attestation.js';
import { AppletAdministration, personalise, readInformation, writeCredential } from '../../jpki/sp-tsm/personalise.js';
import { diversifyContentKeys, type ContentKeys } from '../../jpki/sp-tsm/sealer.js';
import { selectAidCommand } from '../../apdu/jpki-commands.js';
import { ResponseApdu } from '../../apdu/response.js';
import { CardStatusError } from '../../errors.js';
import { identifyCard } from '../card-identity.js';
import type { RemoteCard } from '../remote-apdu/remote-card.js';
import type { Transport } from '../../transport/transport.js';
import type { JpkiSystemPort } from './jpki-port.js';
import type { Handover } from '../mno-tsm/service.js';

/** Final refusals: the write stops and nothing on the SIM was changed by this SP-TSM. */
export class WriteRefused extends HarnessError {
  readonly exitCode = 4;
}

export interface SpKeys {
  /** Master of the keys the SP's domain gets at handover (diversified per card with KDF3). */
  readonly domainMaster: KeySet;
  /** Master of the content keys (diversified per applet instance with its attested key). */
  readonly contentMaster: ContentKeys;
}

/**
 * How the SP's domain on a SIM is opened: the secure channel the card's domain speaks (from the handover:
 * SCP02 or SCP03, and its i-parameter) and the version of the SP's key set there. The keys themselves are
 * always the SP's own, KDF3-diversified from its master with the card's KDD; only the channel follows the card.
 */
export interface DomainProtocol {
  readonly scp: 2 | 3;
  readonly i: number;
  readonly keyVersion: number;
}

/** The domain as the SIMs of the first operator spoke it (SCP03 i=70): applications recorded before operators. */
export function defaultDomain(keys: SpKeys): DomainProtocol {
  return { scp: 3, i: 0x70, keyVersion: keys.domainMaster.version };
}

export function handedOverDomain(handover: Handover): DomainProtocol {
  return { scp: handover.scp, i: handover.i, keyVersion: handover.keyVersion };
}

/**
 * The SP's session through the applet: C-MAC and C-DECRYPTION, with R-MAC where the protocol has it on the
 * simulated cards (SCP03; SCP02's R-MAC needs a session of its own that these cards do not run).
 */
export function openSpSession(card: Transport, keys: SpKeys, domain: DomainProtocol): Promise<GpSession> {
  return GpSession.open(card, {
    keys: { ...keys.domainMaster, version: domain.keyVersion },
    diversification: 'kdf3',
    scp: domain.scp,
    i: domain.i,
    securityLevel: domain.scp === 3 ? 0x13 : 0x03,
    sdAid: JPKI_AID,
  });
}

export interface WriteJob {
  readonly applicationId: string;
  readonly designatedCard: string;
  readonly keyGeneration: 'jpki-system' | 'on-card';
  readonly pinPolicy: 'pin-required' | 'pin-less';
  readonly issuanceId: string;
  readonly pin: string;
  /** How the SP's domain on this SIM opens, when a takeover recorded it. */
  readonly domain?: DomainProtocol;
}

export interface WriteContext {
  readonly keys: SpKeys;
  readonly cardAuthorityRoot: Uint8Array;
  readonly jpki: JpkiSystemPort;
  /** Asks the MNO-TSM for the installation: its remote session, and later the handover. */
  readonly mno: {
    request(requestRef: string, card: string): Promise<{ id: string; remote: { url: string; token: string } }>;
    handover(id: string): Promise<Handover | undefined>;
  };
  readonly record: (step: string, detail?: string) => Promise<void>;
  /** Keeps how the domain opens, before its keys are replaced: a write resumed after the PUT KEY finds it. */
  readonly rememberDomain: (domain: DomainProtocol) => Promise<void>;
}

export interface WriteResult {
  readonly keyFingerprint: string;
  readonly alreadyPersonalised: boolean;
}

const serialDigits = (hex: string): string => hex.toUpperCase().replace(/^(00)+(?=..)/, '');
const sameSerial = (a: string, b: string): boolean => serialDigits(a) === serialDigits(b);

async function selectApplet(card: RemoteCard): Promise<boolean> {
  const r = new ResponseApdu(await card.transmit(selectAidCommand(JPKI_AID)));
  if (r.sw === 0x6a82) return false;
  if (r.sw !== 0x9000) throw new CardStatusError('SELECT JPKI', r.sw);
  return true;
}

/** The SP's own domain keys for this card. */
function domainKeys(master: KeySet, kdd: Uint8Array): KeySet {
  return diversifyKeySet(master, kdd, 'kdf3');
}

/** Opens the SP's session through the applet; takes the domain over first if it still has the MNO's keys. */
async function openAdministration(
  card: RemoteCard,
  context: WriteContext,
  handover: Handover | undefined,
  recorded: DomainProtocol | undefined,
): Promise<GpSession> {
  const domain = handover ? handedOverDomain(handover) : (recorded ?? defaultDomain(context.keys));
  // Learn the card's KDD from an INITIALIZE UPDATE with the SP's master (diversified on the fly).
  try {
    return await openSpSession(card, context.keys, domain);
  } catch (error) {
    if (!handover) throw error;
  }
  card.step('taking the SP domain over');
  const mnoKeys = makeKeySet(handover.keyVersion, parseHex(handover.keys.enc), parseHex(handover.keys.mac), parseHex(handover.keys.dek));
  const ssd = await GpSession.open(card, {
    keys: mnoKeys,
    securityLevel: 0x03,
    sdAid: parseHex(handover.ssdAid),
    diversification: 'none',
    scp: handover.scp,
    i: handover.i,
  });
  try {
    await context.rememberDomain(domain);
    const own = domainKeys(context.keys.domainMaster, ssd.keyDiversificationData);
    // Every key set goes, not only the one handed over: a new domain comes with the card maker's test key
    // sets (one per protocol the card speaks), which the MNO — and anyone who knows the maker's test keys —
    // could open the domain with. The others get the SP's keys too, typed for this session's protocol.
    // The handed-over set goes last: a write cut short between two PUT KEYs still opens with the MNO's keys
    // on its next run, so the takeover runs again and no set is left behind.
    const others = (await keySetVersions(ssd)).filter((v) => v !== handover.keyVersion);
    for (const version of others) await putKeys(ssd, { ...own, version }, version);
    await putKeys(ssd, { ...own, version: handover.keyVersion }, handover.keyVersion);
  } finally {
    await ssd.end();
  }
  await context.record('domain taken over', `${handover.ssdAid} (SCP0${handover.scp} i=${handover.i.toString(16).padStart(2, '0').toUpperCase()})`);
  return openSpSession(card, context.keys, domain);
}

export async function runWrite(card: RemoteCard, job: WriteJob, context: WriteContext): Promise<WriteResult> {
  card.step('checking the SIM');
  const identity = await identifyCard(card, context.cardAuthorityRoot);
  if (identity.name !== job.designatedCard) {
    throw new WriteRefused('this is not the SIM the applicant designated: nothing was written');
  }
  await context.record('SIM identified', identity.authority.cardIdentity.serialNumber);

  // Installation by the MNO-TSM unless the applet is already in the SP's hands (a resumed write).
  let handover: Handover | undefined;
  const present = await selectApplet(card);
  let ours = false;
  if (present) {
    let info: Awaited<ReturnType<typeof readInformation>> | undefined;
    try {
      const probe = await openSpSession(card, context.keys, job.domain ?? defaultDomain(context.keys));
      info = await readInformation(probe);
      await probe.end();
      ours = true;
    } catch {
      ours = false;
    }
    if (info?.lifecycle === 'personalised' && info.publicKeyFingerprint) {
      // Finished before (a write resumed after the SP-TSM went down): only if it is this application's
      // credential. Another one on the SIM is not overwritten here: it has to be ended first (transfer).
      const issued = await context.jpki.issuedCertificateSerial(job.issuanceId);
      if (issued === undefined || !sameSerial(issued, info.certificateSerial ?? '')) {
        throw new WriteRefused('the SIM already holds another JPKI credential: it has to be terminated before a new one is written');
      }
      await context.record('already personalised', info.publicKeyFingerprint);
      return { keyFingerprint: info.publicKeyFingerprint, alreadyPersonalised: true };
    }
  }
  if (!ours) {
    card.step('installation by the MNO-TSM');
    const installation = await context.mno.request(job.applicationId, job.designatedCard);
    await context.record('installation requested', installation.id);
    const outcome = await card.visit(installation.remote.url, installation.remote.token);
    handover = await context.mno.handover(installation.id);
    if (!handover) throw new WriteRefused(`the MNO-TSM did not hand the domain over (${outcome})`);
    await context.record('installed and handed over', handover.ssdAid);
  }

  card.step('attestation');
  if (!(await selectApplet(card))) throw new WriteRefused('the JPKI applet is not on the SIM after installation');
  const attestation = verifyAttestation(await readAttestation(card), identity.authority.publicKey);
  await context.record('applet key attested by the SIM', attestation.keyFingerprint);
  const contentKeys = diversifyContentKeys(context.keys.contentMaster, Buffer.from(attestation.keyFingerprint, 'hex'));

  const session = await openAdministration(card, context, handover, job.domain);
  try {
    card.step('personalisation');
    const credential = job.keyGeneration === 'jpki-system' ? await context.jpki.collectIssued(job.issuanceId) : undefined;
    const caCertificate = credential?.caCertificate ?? (await context.jpki.userAuthenticationCaCertificate());
    const result = await personalise(
      session,
      {
        contentKeys,
        attestation,
        key: credential?.privateKey ? { import: credential.privateKey } : { generate: true },
        ...(credential ? { certificate: credential.certificate } : {}),
        caCertificate,
        pin: job.pin,
        pinPolicy: job.pinPolicy,
        finish: true,
      },
      {
        certify: async (spki) => {
          const issued = await context.jpki.certify(job.issuanceId, spki);
          return issued.certificate;
        },
        onStep: (s) => card.step(`personalisation: ${s}`),
      },
    );
    await context.record('personalised', result.publicKeyFingerprint);
    return { keyFingerprint: result.publicKeyFingerprint, alreadyPersonalised: false };
  } finally {
    await session.end();
  }
}

/** The applet on the SIM that holds the credential, reached as the SP-TSM: identified, attested, inside the SP's channel. */
interface ReachedApplet {
  readonly session: GpSession;
  readonly contentKeys: ContentKeys;
}

/**
 * Checks the SIM is the one that holds the credential (its CASD certificate), that the applet key is the
 * one the CASD attests, and opens the SP's administration session through the applet. Undefined when the
 * applet is no longer on the SIM or is terminated (its information record says so without a session).
 */
async function reachApplet(
  card: RemoteCard,
  job: { readonly designatedCard: string; readonly domain?: DomainProtocol },
  context: Pick<WriteContext, 'keys' | 'cardAuthorityRoot'>,
): Promise<ReachedApplet | undefined> {
  const designatedCard = job.designatedCard;
  card.step('checking the SIM');
  const identity = await identifyCard(card, context.cardAuthorityRoot);
  if (identity.name !== designatedCard) throw new WriteRefused('this is not the SIM that holds the credential: nothing was changed');
  card.step('attestation');
  if (!(await selectApplet(card))) return undefined;
  if ((await readInformation(card)).lifecycle === 'terminated') return undefined;
  const attestation = verifyAttestation(await readAttestation(card), identity.authority.publicKey);
  const contentKeys = diversifyContentKeys(context.keys.contentMaster, Buffer.from(attestation.keyFingerprint, 'hex'));
  const session = await openSpSession(card, context.keys, job.domain ?? defaultDomain(context.keys));
  return { session, contentKeys };
}

/**
 * A PIN reset on the applicant's SIM: the designated SIM (its CASD), the applet's attested key, then the
 * new PIN sealed under the applet's content keys inside the SP's secure channel. The PIN's try counter is
 * restored with it; nothing else changes.
 */
export async function runPinReset(
  card: RemoteCard,
  job: { readonly designatedCard: string; readonly pin: string; readonly domain?: DomainProtocol },
  context: Pick<WriteContext, 'keys' | 'cardAuthorityRoot'>,
): Promise<void> {
  const applet = await reachApplet(card, job, context);
  if (!applet) throw new WriteRefused('the JPKI applet is not on the SIM, or is terminated');
  card.step('PIN reset');
  try {
    await (await AppletAdministration.open(applet.session, applet.contentKeys)).resetPin(job.pin);
  } finally {
    await applet.session.end();
  }
}

export interface RenewalJob {
  readonly designatedCard: string;
  /** How the SP's domain on this SIM opens (recorded at the takeover). */
  readonly domain?: DomainProtocol;
  readonly keyGeneration: 'jpki-system' | 'on-card';
  /** The JPKI system's issuance of the new certificate. */
  readonly issuanceId: string;
}

/**
 * A renewal on the SIM that holds the credential: a new key (imported from the JPKI system, or generated
 * on the SIM and certified) and its certificate replace the old ones; the PIN and its try counter stay.
 * When the SIM already holds the new certificate (a renewal resumed after an interruption) nothing is
 * written again.
 */
export async function runRenewal(
  card: RemoteCard,
  job: RenewalJob,
  context: Pick<WriteContext, 'keys' | 'cardAuthorityRoot' | 'jpki' | 'record'>,
): Promise<WriteResult> {
  const applet = await reachApplet(card, job, context);
  if (!applet) throw new WriteRefused('the JPKI applet is not on the SIM, or is terminated');
  try {
    const info = await readInformation(applet.session);
    if (info.lifecycle !== 'personalised') throw new WriteRefused(`the applet is ${info.lifecycle}: only a personalised credential is renewed`);
    const issued = await context.jpki.issuedCertificateSerial(job.issuanceId);
    if (issued !== undefined && info.publicKeyFingerprint && sameSerial(issued, info.certificateSerial ?? '')) {
      await context.record('already renewed', info.publicKeyFingerprint);
      return { keyFingerprint: info.publicKeyFingerprint, alreadyPersonalised: true };
    }
    card.step('renewal');
    const admin = await AppletAdministration.open(applet.session, applet.contentKeys);
    const credential = job.keyGeneration === 'jpki-system' ? await context.jpki.collectIssued(job.issuanceId) : undefined;
    const result = await writeCredential(
      admin,
      applet.session,
      {
        key: credential?.privateKey ? { import: credential.privateKey } : { generate: true },
        ...(credential ? { certificate: credential.certificate } : {}),
        caCertificate: credential?.caCertificate ?? (await context.jpki.userAuthenticationCaCertificate()),
      },
      {
        certify: async (spki) => (await context.jpki.certify(job.issuanceId, spki)).certificate,
        onStep: (s) => card.step(`renewal: ${s}`),
      },
    );
    await context.record('new key and certificate written', result.publicKeyFingerprint);
    return { keyFingerprint: result.publicKeyFingerprint, alreadyPersonalised: false };
  } finally {
    await applet.session.end();
  }
}

/**
 * Ends the credential on the SIM for good (after a revocation, or when it moved to another SIM): the
 * applet erases its key, certificates, PIN and content keys and refuses everything after. Answers
 * whether the applet was terminated now (false when it was already, or is gone).
 */
export async function runTermination(
  card: RemoteCard,
  job: { readonly designatedCard: string; readonly domain?: DomainProtocol },
  context: Pick<WriteContext, 'keys' | 'cardAuthorityRoot'>,
): Promise<boolean> {
  const applet = await reachApplet(card, job, context);
  if (!applet) return false;
  try {
    card.step('termination');
    await (await AppletAdministration.open(applet.session, applet.contentKeys)).terminate();
    return true;
  } finally {
    await applet.session.end();
  }
}
