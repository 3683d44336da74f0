/**
 * What the MNO-TSM does on the SIM for an SP: check it is the SIM asked for and one of this operator's, create
 * the SP's supplementary security domain, load the JPKI package, install the applet, move it under the SP's
 * domain, and stop there: the SP-TSM takes the domain over by replacing its keys. Every step looks at
 * the card first, so running the flow again after an interruption finishes the job instead of
 * repeating it. The operator's card profile says how its SIMs are spoken to: ISD AID, secure channel and
 * keys, LOAD block size, the install parameters the card insists on.
 */
import { toHex } from '../../apdu/hex.js';
import type { CapFile } from '../../gp/cap/cap.js';
import { createSecurityDomain, deleteAid, extradite, installApplet, listRegistry, loadCap } from '../../gp/manager.js';
import { encodePrivileges } from '../../gp/commands.js';
import { profileInstallParameters, type CardProfile } from '../../gp/card-profile.js';
import { identifyCard } from '../card-identity.js';
import type { RemoteCard } from '../remote-apdu/remote-card.js';
import { openOperatorIsd } from './operator-card.js';
import { InstallationRefused, OtherOperatorRefused, OtherSimRefused } from './refusals.js';

export { InstallationRefused, OtherOperatorRefused, OtherSimRefused } from './refusals.js';

export interface InstallationPlan {
  /** The SIM the SP-TSM named (its card name); any other SIM is refused before anything is changed. */
  readonly card: string;
  readonly cardAuthorityRoot: Uint8Array;
  /** How this operator's SIMs are spoken to: ISD, secure channel, keys and their diversification, LOAD and INSTALL rules. */
  readonly profile: CardProfile;
  /**
   * The issuer identification numbers (hex) of this operator's SIMs, as their CASD certificates certify them;
   * absent: any (an operator whose SIMs carry no IIN of their own, as the standard simulated SIMs).
   */
  readonly issuerIdentificationNumbers?: readonly string[];
  readonly ssdAid: Uint8Array;
  readonly cap: CapFile;
  readonly instanceAid: Uint8Array;
}

export type InstallationStep = 'identified' | 'isd-opened' | 'ssd-created' | 'deleted' | 'loaded' | 'installed' | 'extradited' | 'already-installed';

export async function runInstallation(
  card: RemoteCard,
  plan: InstallationPlan,
  record: (step: InstallationStep, detail: string) => Promise<void>,
  learntKdd: (kdd: Uint8Array) => void,
): Promise<void> {
  card.step('checking the SIM');
  const identity = await identifyCard(card, plan.cardAuthorityRoot);
  if (identity.name !== plan.card) {
    throw new OtherSimRefused(`this is not the SIM the SP-TSM named (card ${identity.name.slice(0, 16)}…, expected ${plan.card.slice(0, 16)}…)`);
  }
  const iin = identity.authority.cardIdentity.iin;
  const ours = plan.issuerIdentificationNumbers;
  if (ours !== undefined && (iin === undefined || !ours.some((n) => n.toUpperCase() === iin))) {
    throw new OtherOperatorRefused(`this SIM was not issued by this operator (IIN ${iin ?? 'not certified'}): nothing was changed on it`);
  }
  await record('identified', identity.authority.cardIdentity.serialNumber);
  card.step('installing the JPKI applet');
  const { profile } = plan;
  const session = await openOperatorIsd(card, profile);
  await record('isd-opened', `SCP0${session.scp} i=${toHex(Uint8Array.of(profile.i))} key version ${toHex(Uint8Array.of(session.keyVersion))}`);
  learntKdd(session.keyDiversificationData);
  try {
    const registry = await listRegistry(session);
    const ssd = toHex(plan.ssdAid);
    const instance = toHex(plan.instanceAid);
    const packageAid = toHex(plan.cap.packageAid);
    if (!registry.applications.some((d) => d.kind === 'security-domain' && d.aid === ssd)) {
      await createSecurityDomain(session, plan.ssdAid, {
        privilegeEncoding: profile.install.privilegeEncoding,
        installParameters: profileInstallParameters(profile),
      });
      await record('ssd-created', ssd);
    }
    const installed = registry.applications.find((a) => a.aid === instance);
    if (installed?.associatedSecurityDomain === ssd) {
      await record('already-installed', instance);
      return;
    }
    // An instance elsewhere (as the SIM came from its maker, or left by an earlier SP) goes; the SP gets
    // a fresh instance in its own domain. The package stays when the card already has it (a SIM whose
    // maker loaded it); otherwise it is loaded now.
    if (installed) {
      await deleteAid(session, plan.instanceAid);
      await record('deleted', `${instance} as found on the card`);
    }
    if (!registry.loadFiles.some((f) => f.aid === packageAid)) {
      const loaded = await loadCap(session, plan.cap, {
        cardPackages: registry.loadFiles.map((f) => Uint8Array.from(Buffer.from(f.aid, 'hex'))),
        hash: profile.load.hash,
        includeDescriptor: profile.load.includeDescriptor,
        includeDebug: profile.load.includeDebug,
        ...(profile.load.blockSize !== undefined ? { blockSize: profile.load.blockSize } : {}),
      });
      await record('loaded', `${loaded.bytes} bytes in ${loaded.blocks} blocks of ${loaded.blockSize}`);
    }
    const moduleAid = plan.cap.applets[0]?.aid;
    if (!moduleAid) throw new InstallationRefused('the CAP file has no applet');
    await installApplet(session, {
      loadFileAid: plan.cap.packageAid,
      moduleAid,
      applicationAid: plan.instanceAid,
      privileges: encodePrivileges([...profile.applet.privileges], profile.install.privilegeEncoding),
      parameters: profileInstallParameters(profile, profile.applet.parameters),
    });
    await record('installed', instance);
    await extradite(session, plan.ssdAid, plan.instanceAid);
    await record('extradited', `${instance} to ${ssd}`);
  } finally {
    await session.end();
  }
}
