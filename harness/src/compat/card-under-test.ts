/**
 * One card during a compatibility run: its link (a simulated persona on the direct link, or a PC/SC
 * reader), the transport stack its profile asks for, and the applet state the cases start from. The state
 * is re-established through the card's own management interfaces, as on a real card: a blank applet is a
 * fresh instance (GlobalPlatform DELETE + INSTALL through the ISD with the profile's keys), a personalised
 * one is that instance personalised by the SP-TSM with the TEST credential.
 */
import { readFileSync } from 'node:fs';
import { JPKI_AID } from '../jpki/client/client.js';
import { CardStatusError } from '../errors.js';
import { AppletAdministration, type PersonalisationResult } from '../jpki/sp-tsm/personalise.js';
import { attestCard, personaliseWithTestCredential, testContentKeysFor } from '../jpki/test-ca/test-material.js';
import type { GpSession } from '../gp/session.js';
import { buildInstallParameters, deleteObject, encodePrivileges, installForInstall } from '../gp/commands.js';
import { gpStatusError } from '../gp/errors.js';
import { TEST_CARD_AUTHORITY_ROOT } from '../gp/card-authority.js';
import { parseReaderSelector } from '../transport/open.js';
import { PcscTransport } from '../transport/pcsc.js';
import { SimTransport } from '../transport/sim.js';
import type { Transport } from '../transport/transport.js';
import { standardStack } from '../transport/wrappers.js';
import { encodeCommand } from '../apdu/command.js';
import { selectAidCommand } from '../apdu/jpki-commands.js';
import { ResponseApdu } from '../apdu/response.js';
import { toHex } from '../apdu/hex.js';
import { openAdminSession, openIsdSession } from './profile-sessions.js';
import { TimedTransport } from './timed-transport.js';
import type { CompatTarget } from './target.js';

export type AppletState = 'blank' | 'personalised' | 'unknown';

export interface OpenTargetOptions {
  /** Factor for the personas' operation times (1 = the published figures; 0 = none). */
  readonly latencyScale?: number;
  readonly simulatorJar?: string;
  /** Card authority root to trust (DER); default the simulator's TEST root. */
  readonly cardAuthorityRoot?: Uint8Array;
}

const JPKI_PACKAGE = Uint8Array.from(Buffer.from('D392F0002601000000', 'hex'));

export class CardUnderTest {
  /** What the applet holds now, as far as the suite knows. */
  state: AppletState;
  private constructor(
    readonly target: CompatTarget,
    private readonly base: Transport,
    readonly transport: TimedTransport,
    private readonly root: Uint8Array,
  ) {
    // A simulated persona starts as delivered: the applet installed, not personalised. A real card: unknown.
    this.state = target.persona !== undefined ? 'blank' : 'unknown';
  }

  static async open(target: CompatTarget, options: OpenTargetOptions = {}): Promise<CardUnderTest> {
    const profile = target.profile;
    const base: Transport =
      target.persona !== undefined
        ? await SimTransport.open({
            persona: target.persona,
            latencyScale: options.latencyScale ?? 1,
            ...(options.simulatorJar !== undefined ? { jar: options.simulatorJar } : {}),
          })
        : await PcscTransport.open({ ...(target.reader !== undefined ? { reader: parseReaderSelector(target.reader)! } : {}) });
    const transport = standardStack(base, { getResponse: profile.transport.getResponse, extendedLength: profile.transport.extendedLength });
    const root = options.cardAuthorityRoot ?? readFileSync(TEST_CARD_AUTHORITY_ROOT);
    return new CardUnderTest(target, base, new TimedTransport(transport), root);
  }

  get atr(): string {
    return toHex(this.base.atr);
  }

  async close(): Promise<void> {
    await this.transport.close();
  }

  /** A GlobalPlatform session with the card's ISD (or another security domain), with the profile's keys. */
  isdSession(sdAid: Uint8Array = this.target.profile.isdAid): Promise<GpSession> {
    return openIsdSession(this.transport, this.target.profile, sdAid);
  }

  /** The SP-TSM's administration session through the applet: C-MAC + C-DECRYPTION at least. */
  adminSession(): Promise<GpSession> {
    return openAdminSession(this.transport, this.target.profile);
  }

  /** INSTALL [for install and make selectable] of the JPKI instance, with the profile's install parameters. */
  installCommand(): Uint8Array {
    const p = this.target.profile;
    const command = installForInstall({
      loadFileAid: p.applet.packageAid ?? JPKI_PACKAGE,
      moduleAid: p.applet.moduleAid ?? JPKI_AID,
      applicationAid: p.applet.instanceAid ?? JPKI_AID,
      privileges: encodePrivileges([...p.applet.privileges], p.install.privilegeEncoding),
      installParameters: buildInstallParameters({
        ...(p.applet.parameters !== undefined ? { applicationParameters: p.applet.parameters } : {}),
        emptyC9: p.install.emptyC9,
        uicc: {
          ...(p.install.volatileMemoryQuota !== undefined ? { volatileMemoryQuota: p.install.volatileMemoryQuota } : {}),
          ...(p.install.nonVolatileMemoryQuota !== undefined ? { nonVolatileMemoryQuota: p.install.nonVolatileMemoryQuota } : {}),
        },
      }),
      makeSelectable: true,
    });
    return encodeCommand(command);
  }

  /** A fresh applet instance: DELETE (when present) and INSTALL through the ISD. */
  async reinstall(): Promise<void> {
    const session = await this.isdSession();
    try {
      const instance = this.target.profile.applet.instanceAid ?? JPKI_AID;
      const deleted = new ResponseApdu(await session.transmit(encodeCommand(deleteObject(instance, false))));
      if (deleted.sw !== 0x9000 && deleted.sw !== 0x6a88) throw gpStatusError(`DELETE ${toHex(instance)}`, deleted.sw);
      const installed = new ResponseApdu(await session.transmit(this.installCommand()));
      if (installed.sw !== 0x9000) throw gpStatusError(`INSTALL [for install and make selectable] ${toHex(instance)}`, installed.sw);
    } finally {
      await session.end();
    }
    this.state = 'blank';
  }

  /**
   * Personalises the applet as the SP-TSM does with the TEST credential: attestation checked, content
   * keys by key transport, then key (imported, or generated on the card), certificates and PIN.
   */
  async personalise(options: { generate?: boolean; certificate?: Uint8Array } = {}): Promise<PersonalisationResult> {
    return personaliseWithTestCredential(this.transport, {
      ...options,
      cardAuthorityRoot: this.root,
      openSession: () => this.adminSession(),
    });
  }

  /** The SP-TSM's administration of the personalised applet (PIN reset, termination). */
  async administer<T>(work: (admin: AppletAdministration) => Promise<T>): Promise<T> {
    const { attestation } = await attestCard(this.transport, this.root);
    const session = await this.adminSession();
    try {
      return await work(await AppletAdministration.open(session, testContentKeysFor(attestation)));
    } finally {
      await session.end();
    }
  }

  /** Brings the applet to the state a case starts from. */
  async ensure(state: 'blank' | 'personalised' | 'any'): Promise<void> {
    if (state === 'any' || state === this.state) return;
    if (this.state !== 'blank') await this.reinstall();
    if (state === 'personalised') {
      await this.personalise();
      this.state = 'personalised';
    }
  }

  /** Selects the JPKI application; a card that refuses is reported with its status word. */
  async selectApplet(): Promise<void> {
    const r = new ResponseApdu(await this.transport.transmit(selectAidCommand(JPKI_AID)));
    if (r.sw !== 0x9000) throw new CardStatusError('SELECT JPKI', r.sw);
  }
}
