/**
 * What the MNO-TSM does on the SIM for an SP: check it is the SIM asked for, create the SP's
 * supplementary security domain, load the JPKI package, install the applet, move it under the SP's
 * domain, and stop there: the SP-TSM takes the domain over by replacing its keys. Every step looks at
 * the card first, so running the flow again after an interruption finishes the job instead of
 * repeating it.
 */
import { toHex } from '../../apdu/hex.js';
import type { CapFile } from '../../gp/cap/cap.js';
import { createSecurityDomain, deleteAid, extradite, installApplet, listRegistry, loadCap } from '../../gp/manager.js';
import { GpSession } from '../../gp/session.js';
import type { KeySet } from '../../gp/keys.js';
import { HarnessError } from '../../errors.js';
import { identifyCard } from '../card-identity.js';
import type { RemoteCard } from '../remote-apdu/remote-card.js';

export class InstallationRefused extends HarnessError {
  readonly exitCode = 4;
}

/** Another SIM than the one named: refused before anything on it changed, so the installation still waits for the right one. */
export class OtherSimRefused extends InstallationRefused {}

export interface InstallationPlan {
  /** The SIM the SP-TSM named (its card name); any other SIM is refused before anything is changed. */
  readonly card: string;
  readonly cardAuthorityRoot: Uint8Array;
  /** The ISD's master keys (diversified per card with KDF3), key version as on the card. */
  readonly isdKeys: KeySet;
  readonly ssdAid: Uint8Array;
  readonly cap: CapFile;
  readonly instanceAid: Uint8Array;
}

export type InstallationStep = 'identified' | 'ssd-created' | 'deleted' | 'loaded' | 'installed' | 'extradited' | 'already-installed';

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
  await record('identified', identity.authority.cardIdentity.serialNumber);
  card.step('installing the JPKI applet');
  const session = await GpSession.open(card, { keys: plan.isdKeys, securityLevel: 0x03, diversification: 'kdf3' });
  learntKdd(session.keyDiversificationData);
  try {
    const registry = await listRegistry(session);
    const ssd = toHex(plan.ssdAid);
    const instance = toHex(plan.instanceAid);
    const packageAid = toHex(plan.cap.packageAid);
    if (!registry.applications.some((d) => d.kind === 'security-domain' && d.aid === ssd)) {
      await createSecurityDomain(session, plan.ssdAid);
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
      const loaded = await loadCap(session, plan.cap, { cardPackages: registry.loadFiles.map((f) => Uint8Array.from(Buffer.from(f.aid, 'hex'))) });
      await record('loaded', `${loaded.bytes} bytes in ${loaded.blocks} blocks`);
    }
    const moduleAid = plan.cap.applets[0]?.aid;
    if (!moduleAid) throw new InstallationRefused('the CAP file has no applet');
    await installApplet(session, { loadFileAid: plan.cap.packageAid, moduleAid, applicationAid: plan.instanceAid });
    await record('installed', instance);
    await extradite(session, plan.ssdAid, plan.instanceAid);
    await record('extradited', `${instance} to ${ssd}`);
  } finally {
    await session.end();
  }
}
