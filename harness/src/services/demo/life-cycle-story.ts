/**
 * The SIM credential's whole life on the simulator, phase by phase: issuance (①–⑱), authentication in
 * the source document's use cases, a blocked PIN and its reset, renewal, transfer to a SIM of another
 * operator, and revocation on loss. `jpki-harness demo` prints each phase with its time; the tests call
 * the same phases one by one and check what each left behind (cards, services, database).
 */
import { performance } from 'node:perf_hooks';
import { X509Certificate } from 'node:crypto';
import { JpkiClient } from '../../jpki/client/client.js';
import { CardStatusError } from '../../errors.js';
import { SimTransport } from '../../transport/sim.js';
import type { Transport } from '../../transport/transport.js';
import { standardStack } from '../../transport/wrappers.js';
import {
  apply,
  applicationStatus,
  authoriseAndWrite,
  requestPinReset,
  requestRenewal,
  requestRevocation,
  terminateOnSim,
} from '../applicant/apply.js';
import type { AgentResult } from '../device-agent/agent.js';
import { signIn, type SignInResult } from '../device-agent/sign-in.js';
import { loadJpkiPki } from '../jpki-system/pki.js';
import type { IssuanceSystemOptions, RunningIssuanceSystem } from '../issuance-system.js';
import { TEST_OPERATOR_B, TEST_OPERATOR_B_IIN, testOperatorBPersona } from '../test-configuration.js';
import { authenticateByCardEmulation, type Authentication } from '../verifier/card-emulation.js';
import { checkSimCredential, type CredentialCheck } from '../verifier/check.js';
import {
  runIssuanceStory,
  startStorySystem,
  STORY_CARD_PASSWORD,
  STORY_CONTACT,
  STORY_DOWNLOAD_PASSWORD,
  STORY_PIN,
  storyApplication,
  type StoryStep,
} from './issuance-story.js';

export type PhaseName = 'issuance' | 'card-emulation' | 'ui-app' | 'pin-lock-and-reset' | 'renewal' | 'transfer' | 'revocation';

export interface Phase {
  readonly name: PhaseName;
  readonly title: string;
  readonly milliseconds: number;
  /** What the phase showed, one line each. */
  readonly lines: readonly string[];
}

export interface LifeCycleCards {
  /** The applicant's My Number card. */
  readonly myNumberCard: Transport;
  /** The first SIM (operator A). */
  readonly sim: Transport;
  /** The SIM the credential moves to: another operator's (`openSimOfOperatorB`). */
  readonly otherSim: Transport;
}

/**
 * A simulated SIM of the second TEST operator: its card profile differs from the first's at applet download
 * (T=0 only, no extended length, SCP02 i=55 with EMV key diversification, C9 and the UICC system parameters
 * required at INSTALL). The phone's stack fetches 61xx answers and re-sends on 6Cxx, as a handset does.
 */
export async function openSimOfOperatorB(): Promise<{ readonly sim: Transport; close(): Promise<void> }> {
  const raw = await SimTransport.open({ persona: testOperatorBPersona(), iin: TEST_OPERATOR_B_IIN, latencyScale: 0 });
  return { sim: standardStack(raw, { extendedLength: false }), close: () => raw.close() };
}

export interface LifeCycleOptions {
  readonly database?: string;
  readonly dataDirectory?: string;
  readonly keyGeneration?: 'jpki-system' | 'on-card';
  /** An issuance system already running (the tests start one per database). */
  readonly system?: RunningIssuanceSystem;
  readonly systemOptions?: Partial<IssuanceSystemOptions>;
  /** A phase begins (its title), and ends (with its time and what it showed). */
  readonly onPhaseStart?: (name: PhaseName, title: string) => void;
  readonly onPhase?: (phase: Phase) => void;
  /** The issuance's own steps ①–⑱, as they happen. */
  readonly onStep?: (step: StoryStep) => void;
  readonly onProgress?: (label: string) => void;
  /** The operator of `otherSim` (default: the second TEST operator). */
  readonly otherOperator?: string;
}

/** The PIN the applicant sets at the reset (the first one was forgotten). */
export const STORY_NEW_PIN = '2580';

const serialOf = (der: Uint8Array): string => new X509Certificate(der).serialNumber;

/** One phase: its work, timed, recorded and reported. */
type PhaseWork = () => Promise<readonly string[]>;

export class LifeCycleStory {
  readonly phases: Phase[] = [];
  /** The application whose credential is on `sim`, then (after the transfer) the one on `otherSim`. */
  applicationId = '';
  firstApplicationId = '';
  /** Serials of the SIM certificates in the order they were issued. */
  readonly certificates: string[] = [];
  pin = STORY_PIN;
  private root: Uint8Array = new Uint8Array(0);

  private constructor(
    readonly cards: LifeCycleCards,
    readonly system: RunningIssuanceSystem,
    private readonly ownsSystem: boolean,
    private readonly options: LifeCycleOptions,
  ) {}

  static async start(cards: LifeCycleCards, options: LifeCycleOptions = {}): Promise<LifeCycleStory> {
    const system = options.system ?? (await startStorySystem(options, 'jpki-life-cycle-'));
    const story = new LifeCycleStory(cards, system, !options.system, options);
    story.root = (await loadJpkiPki()).root.der;
    return story;
  }

  get spTsmUrl(): string {
    return this.system.urls['sp-tsm']!;
  }

  get jpkiRoot(): Uint8Array {
    return this.root;
  }

  async close(): Promise<void> {
    if (this.ownsSystem) await this.system.close();
  }

  /** Every phase in order. */
  async run(): Promise<readonly Phase[]> {
    await this.issue();
    await this.authenticate();
    await this.signInThroughUiApp();
    await this.lockAndResetPin();
    await this.renew();
    await this.transfer();
    await this.revoke();
    return this.phases;
  }

  private async phase(name: PhaseName, title: string, work: PhaseWork): Promise<Phase> {
    this.options.onPhaseStart?.(name, title);
    const started = performance.now();
    const lines = await work();
    const phase = { name, title, milliseconds: performance.now() - started, lines };
    this.phases.push(phase);
    this.options.onPhase?.(phase);
    return phase;
  }

  private agentOptions(): { onStep?: (s: string) => void } {
    const progress = this.options.onProgress;
    return progress ? { onStep: progress } : {};
  }

  /** A card-emulation authentication of `sim` with the current PIN. */
  authenticateSim(sim: Transport, now?: Date): Promise<Authentication> {
    return authenticateByCardEmulation(sim, { root: this.root, pin: this.pin, ...(now ? { now } : {}) });
  }

  /** A UI-app sign-in of `sim` at the relying party, with the current PIN. */
  signInSim(sim: Transport): Promise<SignInResult> {
    const url = this.system.urls['relying-party'];
    const ca = this.system.relyingPartyCertificate;
    if (!url || !ca) throw new Error('the relying party is not running in this issuance system');
    return signIn({ url, ca, sim, pin: this.pin });
  }

  checkSim(sim: Transport): Promise<CredentialCheck> {
    return checkSimCredential(sim, this.root);
  }

  // ---- the phases --------------------------------------------------------------------------------

  /** ①–⑱: the application signed by the My Number card → the personalised SIM. */
  issue(): Promise<Phase> {
    return this.phase('issuance', 'application → personalised SIM (①–⑱)', async () => {
      const result = await runIssuanceStory(
        { myNumberCard: this.cards.myNumberCard, sim: this.cards.sim },
        {
          system: this.system,
          ...(this.options.keyGeneration ? { keyGeneration: this.options.keyGeneration } : {}),
          ...(this.options.onStep ? { onStep: this.options.onStep } : {}),
          ...(this.options.onProgress ? { onProgress: this.options.onProgress } : {}),
        },
      );
      this.applicationId = result.applicationId;
      this.firstApplicationId = result.applicationId;
      this.certificates.push(serialOf(result.simCertificate));
      return [
        `application ${result.applicationId} personalised in ${(result.applicationToPersonalisedMs / 1000).toFixed(2)} s; ` +
          `certificate ${this.certificates[0]}`,
      ];
    });
  }

  /** The card-emulation use case: a reader-side verifier has the SIM sign a fresh challenge. */
  authenticate(): Promise<Phase> {
    return this.phase('card-emulation', 'authentication by card emulation (reader-side verifier)', async () => {
      const a = await this.authenticateSim(this.cards.sim);
      if (!a.accepted) throw new Error(`card emulation refused the SIM: ${a.reason ?? ''}`);
      return [
        `accepted: signature, chain and OCSP ${a.ocsp?.status ?? '?'}; ` +
          `SIM signing ${a.signMs.toFixed(0)} ms, challenge to verdict ${a.totalMs.toFixed(0)} ms`,
      ];
    });
  }

  /** The UI-app use case: an SP's HTTPS service issues a challenge, the device agent has the SIM sign it, the service opens a session. */
  signInThroughUiApp(): Promise<Phase> {
    return this.phase('ui-app', 'authentication through the UI app (HTTPS relying party)', async () => {
      const r = await this.signInSim(this.cards.sim);
      return [
        `signed in as ${r.subject} (certificate ${r.serial}); session until ${r.expiresAt}`,
        `SIM signing ${r.signMs.toFixed(0)} ms, challenge to session ${r.totalMs.toFixed(0)} ms (TLS pinned to the service's certificate)`,
      ];
    });
  }

  /** Three wrong PINs block the credential; the applicant re-identifies with the My Number card and sets a new PIN. */
  lockAndResetPin(): Promise<Phase> {
    return this.phase('pin-lock-and-reset', 'PIN blocked after three wrong tries, reset after re-identification', async () => {
      const client = new JpkiClient(this.cards.sim);
      await client.selectApplication();
      let blockedWith = 0;
      for (const guess of ['0000', '1111', '2222']) {
        try {
          await client.verifyPin(guess);
          throw new Error(`the wrong PIN ${guess} was accepted`);
        } catch (error) {
          if (!(error instanceof CardStatusError)) throw error;
          blockedWith = error.sw;
        }
      }
      const left = await client.pinTriesLeft();
      if (left !== 0) throw new Error(`the PIN has ${left} tries left after three wrong ones`);
      const refused = await this.authenticateSim(this.cards.sim).then(
        (a) => (a.accepted ? 'accepted' : 'refused'),
        (e: unknown) => (e instanceof CardStatusError ? `refused (SW ${e.sw.toString(16).toUpperCase()})` : 'refused'),
      );
      if (refused === 'accepted') throw new Error('a blocked PIN still authenticated');
      const reset = await requestPinReset({
        spTsmUrl: this.spTsmUrl,
        applicationId: this.applicationId,
        myNumberCard: this.cards.myNumberCard,
        signaturePassword: STORY_CARD_PASSWORD,
        pin: STORY_NEW_PIN,
        sim: this.cards.sim,
        ...this.agentOptions(),
      });
      this.pin = STORY_NEW_PIN;
      await client.selectApplication();
      const tries = await client.pinTriesLeft();
      const a = await this.authenticateSim(this.cards.sim);
      if (!a.accepted) throw new Error(`the SIM was not accepted after the PIN reset: ${a.reason ?? ''}`);
      return [
        `three wrong PINs: blocked (last SW ${blockedWith.toString(16).toUpperCase()}); the verifier ${refused}`,
        `reset signed with the My Number card, new PIN written sealed through the agent (${reset.commands} APDUs); ` +
          `tries left ${tries}; accepted again`,
      ];
    });
  }

  /** A new key and certificate on the same SIM; the old certificate is superseded, the PIN stays. */
  renew(): Promise<Phase> {
    return this.phase('renewal', 'renewal: new key and certificate on the same SIM', async () => {
      const result: AgentResult = await requestRenewal({
        spTsmUrl: this.spTsmUrl,
        applicationId: this.applicationId,
        myNumberCard: this.cards.myNumberCard,
        signaturePassword: STORY_CARD_PASSWORD,
        sim: this.cards.sim,
        ...this.agentOptions(),
      });
      const check = await this.checkSim(this.cards.sim);
      const previous = this.certificates.at(-1)!;
      if (check.serial === previous) throw new Error('the SIM still holds the old certificate after the renewal');
      this.certificates.push(check.serial);
      const a = await this.authenticateSim(this.cards.sim);
      if (!a.accepted) throw new Error(`the renewed credential was refused: ${a.reason ?? ''}`);
      return [
        `${result.outcome}: certificate ${check.serial} valid until ${check.notAfter.toISOString().slice(0, 10)} ` +
          `(${result.commands} APDUs); PIN kept`,
        `certificate ${previous} revoked (superseded); the renewed credential authenticates`,
      ];
    });
  }

  /**
   * The credential moves to another SIM: a new application signed by the same My Number card names the
   * one it replaces; the old certificate is revoked at once and the old applet terminated through the
   * agent; the new SIM gets its credential with a new access code and password.
   */
  transfer(): Promise<Phase> {
    const operator = this.options.otherOperator ?? TEST_OPERATOR_B;
    return this.phase('transfer', `transfer to a SIM of another operator (${operator})`, async () => {
      const old = this.applicationId;
      const applied = await apply({
        ...storyApplication(this.spTsmUrl, this.cards.myNumberCard, this.cards.otherSim),
        ...(this.options.keyGeneration ? { keyGeneration: this.options.keyGeneration } : {}),
        replaces: old,
        operator,
      });
      if (!applied.termination) throw new Error('the transfer offered no termination of the old credential');
      const terminated = await terminateOnSim(applied.termination, this.cards.sim, this.agentOptions());
      const oldAttempt = await this.authenticateSim(this.cards.sim).then(
        (a) => (a.accepted ? 'accepted' : `refused (${a.reason ?? ''})`),
        (e: unknown) => `refused (${e instanceof Error ? e.message : 'error'})`,
      );
      if (oldAttempt === 'accepted') throw new Error('the old SIM still authenticates after the transfer');
      const accessCode = this.system.mailbox.latestAccessCode(STORY_CONTACT, applied.id);
      if (!accessCode) throw new Error('no access code for the transfer in the mailbox');
      const write = await authoriseAndWrite({
        spTsmUrl: this.spTsmUrl,
        applicationId: applied.id,
        accessCode,
        downloadPassword: STORY_DOWNLOAD_PASSWORD,
        pin: this.pin,
        sim: this.cards.otherSim,
        ...this.agentOptions(),
      });
      this.applicationId = applied.id;
      const check = await this.checkSim(this.cards.otherSim);
      this.certificates.push(check.serial);
      const a = await this.authenticateSim(this.cards.otherSim);
      if (!a.accepted) throw new Error(`the new SIM was refused: ${a.reason ?? ''}`);
      const oldStatus = await applicationStatus(this.spTsmUrl, old);
      return [
        `application ${applied.id} replaces ${old} (now ${oldStatus.state}); certificate ${this.certificates.at(-2)} revoked (superseded)`,
        `old SIM: applet ${terminated.outcome} through the agent; its use is ${oldAttempt}`,
        `new SIM of ${operator} (${this.cards.otherSim.description}): ` +
          `installed by its MNO-TSM, ${write.outcome}, certificate ${check.serial}; accepted`,
      ];
    });
  }

  /** The phone is lost: the applicant revokes; CRL and OCSP say so; the SIM, when the agent reaches it, terminates the applet. */
  revoke(): Promise<Phase> {
    return this.phase('revocation', 'revocation on loss', async () => {
      const revoked = await requestRevocation({
        spTsmUrl: this.spTsmUrl,
        applicationId: this.applicationId,
        myNumberCard: this.cards.myNumberCard,
        signaturePassword: STORY_CARD_PASSWORD,
        ground: 'lost',
      });
      const check = await this.checkSim(this.cards.otherSim);
      if (check.valid || check.ocsp?.status !== 'revoked')
        throw new Error(`the revoked credential still checks as ${check.ocsp?.status ?? 'unknown'}`);
      const lines = [
        `application ${revoked.id}: ${revoked.state}; ` +
          `certificate ${revoked.revokedCertificate ?? '?'} revoked, OCSP ${check.ocsp.status} (${check.ocsp.reason ?? ''})`,
      ];
      // Whoever holds the phone now is turned away by both verifiers, even with the PIN.
      const emulation = await this.authenticateSim(this.cards.otherSim);
      if (emulation.accepted) throw new Error('card emulation accepted a revoked credential');
      const uiApp = await this.signInSim(this.cards.otherSim).then(
        () => 'accepted',
        (e: unknown) => `refused (${(e as { code?: string }).code ?? (e instanceof Error ? e.message : 'error')})`,
      );
      if (uiApp === 'accepted') throw new Error('the relying party accepted a revoked credential');
      lines.push(`card emulation refused (${emulation.reason ?? ''}); the UI app's relying party ${uiApp}`);
      if (revoked.termination) {
        const terminated = await terminateOnSim(revoked.termination, this.cards.otherSim, this.agentOptions());
        const client = new JpkiClient(this.cards.otherSim);
        await client.selectApplication();
        const info = await client.information();
        lines.push(`the SIM was still reachable: applet ${terminated.outcome} (life cycle ${info.lifecycle})`);
      }
      return lines;
    });
  }
}
