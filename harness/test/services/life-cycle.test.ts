import { X509Certificate } from 'node:crypto';
import path from 'node:path';
import { JpkiClient } from '../../src/jpki/client/client.js';
import { apply, applicationStatus, requestPinReset, requestRenewal } from '../../src/services/applicant/apply.js';
import {
  issueApplicantCard,
  runIssuanceStory,
  STORY_CARD_PASSWORD,
  STORY_PIN,
  STORY_CONTACT,
  STORY_DOWNLOAD_PASSWORD,
} from '../../src/services/demo/issuance-story.js';
import { readSignatureCertificate } from '../../src/my-number-card/client.js';
import { LifeCycleStory, openSimOfOperatorB, STORY_NEW_PIN } from '../../src/services/demo/life-cycle-story.js';
import type { Transport } from '../../src/transport/transport.js';
import { callJson } from '../../src/services/http/client.js';
import { authenticateByCardEmulation } from '../../src/services/verifier/card-emulation.js';
import { type RunningIssuanceSystem } from '../../src/services/issuance-system.js';
import { TEST_OPERATOR_B } from '../../src/services/test-configuration.js';
import { SimTransport } from '../../src/transport/sim.js';
import { announceSkip, simulatorJarBuilt } from '../support.js';
import { startSystemOn, testDatabases } from './databases.js';

/**
 * The credential's whole life, phase by phase, on each database: every phase is its own test and checks
 * what it left on the cards and in the services; the refusals around each phase sit beside it.
 */
if (!simulatorJarBuilt()) announceSkip('credential life cycle', 'simulator jar missing (ant simulator)');
const maybe = simulatorJarBuilt() ? describe : describe.skip;

type Certificate = { status: string; reason?: string };

maybe.each(testDatabases('credential life cycle'))('the credential life cycle on $name', (database) => {
  let system: RunningIssuanceSystem;
  let close: (() => Promise<void>) | undefined;
  let story: LifeCycleStory;
  let myNumberCard: SimTransport;
  let stranger: SimTransport;
  let sim: SimTransport;
  let otherSim: Transport;
  let closeOtherSim: () => Promise<void>;
  const certificate = (serial: string): Promise<Certificate> =>
    callJson('JPKI system', `${system.urls['jpki-system']!}/certificates/${serial}`) as Promise<Certificate>;

  beforeAll(async () => {
    // Two resets a day here, so the test reaches the limit without waiting.
    ({ system, close } = await startSystemOn(database, { pinResetsPerDay: 2 }));
    let operatorB: Awaited<ReturnType<typeof openSimOfOperatorB>>;
    [myNumberCard, stranger, sim, operatorB] = await Promise.all([
      SimTransport.open({ myNumberCard: true }),
      SimTransport.open({ myNumberCard: true }),
      SimTransport.open({}),
      openSimOfOperatorB(),
    ]);
    otherSim = operatorB.sim;
    closeOtherSim = () => operatorB.close();
    story = await LifeCycleStory.start({ myNumberCard, sim, otherSim }, { system });
    await issueApplicantCard(stranger, system.urls['jpki-system']!);
  }, 120_000);
  afterAll(async () => {
    await Promise.all([myNumberCard, stranger, sim].map((c) => c?.close()));
    await closeOtherSim?.();
    await close?.();
  });

  test('issuance: the signed application ends in a personalised SIM', async () => {
    await story.issue();
    expect((await applicationStatus(story.spTsmUrl, story.applicationId)).state).toBe('personalised');
    expect(await certificate(story.certificates[0]!)).toMatchObject({ status: 'good' });
  }, 60_000);

  test('card emulation: the SIM signs a fresh challenge; an expired credential is refused', async () => {
    const phase = await story.authenticate();
    expect(phase.lines[0]).toMatch(/^accepted/);
    const later = new Date(Date.now() + 40 * 365 * 86_400_000);
    expect(await story.authenticateSim(sim, later)).toMatchObject({ accepted: false, reason: 'certificate expired' });
  });

  test('UI app: the relying party signs the SIM in over pinned HTTPS; after the transfer the old SIM cannot', async () => {
    const phase = await story.signInThroughUiApp();
    expect(phase.lines[0]).toMatch(/^signed in as /);
  });

  test('PIN lock and reset: three wrong PINs block it; only the applicant resets it, a few times a day', async () => {
    // Someone else's valid My Number card cannot reset the PIN (and so learn the new one).
    await expect(
      requestPinReset({
        spTsmUrl: story.spTsmUrl,
        applicationId: story.applicationId,
        myNumberCard: stranger,
        signaturePassword: STORY_CARD_PASSWORD,
        pin: '9999',
        sim,
      }),
    ).rejects.toMatchObject({ status: 403, code: 'not-the-applicant' });
    await story.lockAndResetPin();
    const client = new JpkiClient(sim);
    await client.selectApplication();
    expect(await client.pinTriesLeft()).toBe(3);
    await client.verifyPin(STORY_NEW_PIN);
    // The second reset of the day is the last: each one gives the PIN its tries back.
    await requestPinReset({
      spTsmUrl: story.spTsmUrl,
      applicationId: story.applicationId,
      myNumberCard,
      signaturePassword: STORY_CARD_PASSWORD,
      pin: STORY_NEW_PIN,
      sim,
    });
    await expect(
      requestPinReset({
        spTsmUrl: story.spTsmUrl,
        applicationId: story.applicationId,
        myNumberCard,
        signaturePassword: STORY_CARD_PASSWORD,
        pin: STORY_NEW_PIN,
        sim,
      }),
    ).rejects.toMatchObject({ status: 429, code: 'too-many-pin-resets' });
  }, 60_000);

  test('renewal: a new key and certificate on the same SIM, the old certificate superseded, the PIN kept', async () => {
    const before = await story.checkSim(sim);
    await story.renew();
    const after = await story.checkSim(sim);
    expect(after.serial).not.toBe(before.serial);
    expect(after.information.publicKeyFingerprint).not.toBe(before.information.publicKeyFingerprint);
    expect(after).toMatchObject({ valid: true, ocsp: { status: 'good' } });
    expect(await certificate(before.serial)).toMatchObject({ status: 'revoked', reason: 'superseded' });
    const status = await applicationStatus(story.spTsmUrl, story.applicationId);
    expect(status.keyFingerprint).toBe(after.information.publicKeyFingerprint);
    expect(status.events.filter((e) => e.step === 'renewed')).toHaveLength(1);
    // The old credential (its certificate) no longer passes a verifier; the PIN set before still unlocks the new key.
    expect((await story.authenticateSim(sim)).accepted).toBe(true);
    // Only the applicant renews.
    await expect(
      requestRenewal({
        spTsmUrl: story.spTsmUrl,
        applicationId: story.applicationId,
        myNumberCard: stranger,
        signaturePassword: STORY_CARD_PASSWORD,
        sim,
      }),
    ).rejects.toMatchObject({ status: 403, code: 'not-the-applicant' });
  }, 60_000);

  test(
    'transfer to a SIM of another operator: the old credential revoked and terminated through the agent, ' +
      "a new one through that operator's MNO-TSM",
    async () => {
      const oldSerial = story.certificates.at(-1)!;
      const old = story.applicationId;
      // Refusals first: to the same SIM, and by someone else.
      const transfer = {
        spTsmUrl: story.spTsmUrl,
        signaturePassword: STORY_CARD_PASSWORD,
        downloadPassword: STORY_DOWNLOAD_PASSWORD,
        contact: STORY_CONTACT,
        replaces: old,
        operator: TEST_OPERATOR_B,
      };
      await expect(apply({ ...transfer, myNumberCard, sim })).rejects.toMatchObject({ status: 409, code: 'same-sim' });
      await expect(apply({ ...transfer, myNumberCard: stranger, sim: otherSim })).rejects.toMatchObject({ status: 403, code: 'not-the-applicant' });
      expect(await certificate(oldSerial)).toMatchObject({ status: 'good' });

      await story.transfer();
      expect(story.applicationId).not.toBe(old);
      const oldStatus = await applicationStatus(story.spTsmUrl, old);
      expect(oldStatus.state).toBe('transferred');
      expect(oldStatus.terminatedAt).toBeDefined();
      const moved = await applicationStatus(story.spTsmUrl, story.applicationId);
      expect(moved.replaces).toBe(old);
      // Operator B's MNO-TSM installed it, and the SP-TSM took its domain over in the SCP that SIM speaks.
      expect(moved.events.find((e) => e.step === 'domain taken over')?.detail).toMatch(/SCP02 i=55/);
      expect(await certificate(oldSerial)).toMatchObject({ status: 'revoked', reason: 'superseded' });
      // The old applet is terminated: the card itself refuses to read or sign, whatever the PIN.
      const client = new JpkiClient(sim);
      await client.selectApplication();
      expect((await client.information()).lifecycle).toBe('terminated');
      await expect(client.readFile(0x000a)).rejects.toMatchObject({ sw: 0x6985 });
      await expect(client.verifyPin(STORY_NEW_PIN)).rejects.toMatchObject({ sw: 0x6985 });
      expect(await story.checkSim(otherSim)).toMatchObject({ valid: true });
      // Both use cases take the new SIM and refuse the old one.
      expect((await story.signInSim(otherSim)).serial).toBe(story.certificates.at(-1));
      await expect(story.signInSim(sim)).rejects.toThrow();

      // Once moved, it cannot move again, and the old application can be neither renewed nor reset.
      await expect(apply({ ...transfer, myNumberCard, sim: otherSim })).rejects.toMatchObject({ status: 409 });
      await expect(
        requestRenewal({ spTsmUrl: story.spTsmUrl, applicationId: old, myNumberCard, signaturePassword: STORY_CARD_PASSWORD, sim }),
      ).rejects.toMatchObject({
        status: 409,
        code: 'not-personalised',
      });
    },
    120_000,
  );

  test('revocation on loss: CRL and OCSP say revoked, the SIM terminates when the agent reaches it, nothing is offered after', async () => {
    const serial = story.certificates.at(-1)!;
    const phase = await story.revoke();
    expect(phase.lines.join('\n')).toMatch(/relying party refused \(certificate-revoked\)/);
    expect(await certificate(serial)).toMatchObject({ status: 'revoked', reason: 'keyCompromise' });
    const status = await applicationStatus(story.spTsmUrl, story.applicationId);
    expect(status.state).toBe('revoked');
    expect(status.terminatedAt).toBeDefined();
    const client = new JpkiClient(otherSim);
    await client.selectApplication();
    expect((await client.information()).lifecycle).toBe('terminated');
    // Asked again, it stays revoked and there is nothing left to terminate.
    const again = (await callJson('SP-TSM', `${story.spTsmUrl}/applications/${story.applicationId}`)) as { state: string };
    expect(again.state).toBe('revoked');
    expect(story.phases.map((p) => p.name)).toEqual([
      'issuance',
      'card-emulation',
      'ui-app',
      'pin-lock-and-reset',
      'renewal',
      'transfer',
      'revocation',
    ]);
  }, 60_000);
  test(
    "the applicant's My Number card renewed: the SIM certificate superseded with it; " +
      'the new card, linked by the JPKI system, renews it; the new card lost: revoked again',
    async () => {
      const oldCard = await SimTransport.open({ myNumberCard: true });
      const renewedCard = await SimTransport.open({ myNumberCard: true });
      const phone = await SimTransport.open({});
      try {
        const story2 = await runIssuanceStory({ myNumberCard: oldCard, sim: phone }, { system });
        const simSerial = new X509Certificate(story2.simCertificate).serialNumber;
        const oldSignature = new X509Certificate(await readSignatureCertificate(oldCard)).serialNumber;
        const jpkiUrl = system.urls['jpki-system']!;
        await issueApplicantCard(renewedCard, jpkiUrl, { supersedes: oldSignature });
        // The card's renewal supersedes its old signature certificate and, linked to it, the SIM's.
        expect(await certificate(oldSignature)).toMatchObject({ status: 'revoked', reason: 'superseded' });
        expect(await certificate(simSerial)).toMatchObject({ status: 'revoked', reason: 'superseded' });
        expect(await authenticateByCardEmulation(phone, { root: story.jpkiRoot, pin: STORY_PIN })).toMatchObject({
          accepted: false,
          ocsp: { status: 'revoked', reason: 'superseded' },
        });
        const renewal = { spTsmUrl: story.spTsmUrl, applicationId: story2.applicationId, signaturePassword: STORY_CARD_PASSWORD, sim: phone };
        // The old card no longer re-identifies anyone; the renewed one does, through the JPKI system's link.
        await expect(requestRenewal({ ...renewal, myNumberCard: oldCard })).rejects.toMatchObject({
          status: 403,
          code: 'signature-certificate-invalid',
        });
        expect((await requestRenewal({ ...renewal, myNumberCard: renewedCard })).outcome).toBe('renewed');
        const renewedSim = await story.checkSim(phone);
        expect(renewedSim).toMatchObject({ valid: true });
        const status = await applicationStatus(story.spTsmUrl, story2.applicationId);
        expect(status.events.map((e) => e.step)).toContain("the applicant's My Number card renewed");
        // The renewed card is lost: revoking its signature certificate ends the SIM credential with it.
        const newSignature = new X509Certificate(await readSignatureCertificate(renewedCard)).serialNumber;
        await callJson('JPKI system', `${jpkiUrl}/certificates/${newSignature}/revoke`, { body: { reason: 'keyCompromise' } });
        expect(await certificate(renewedSim.serial)).toMatchObject({ status: 'revoked', reason: 'cessationOfOperation' });
        expect(await authenticateByCardEmulation(phone, { root: story.jpkiRoot, pin: STORY_PIN })).toMatchObject({
          accepted: false,
          ocsp: { status: 'revoked', reason: 'cessationOfOperation' },
        });
      } finally {
        await Promise.all([oldCard.close(), renewedCard.close(), phone.close()]);
      }
    },
    120_000,
  );
});

/** The README's main job, as a user runs it: one process, the whole story, every phase in order. */
describe('jpki-harness demo', () => {
  const run = simulatorJarBuilt() ? test : test.skip;
  run(
    'runs the whole story on the simulator and prints every phase with its time',
    async () => {
      const { execFile } = await import('node:child_process');
      const { promisify } = await import('node:util');
      const main = path.join(process.cwd(), 'dist', 'harness', 'src', 'cli', 'main.js');
      const { stdout } = await promisify(execFile)(process.execPath, [main, 'demo', '--json'], { timeout: 170_000, maxBuffer: 4 << 20 });
      const phases = JSON.parse(stdout) as { name: string; milliseconds: number; lines: string[] }[];
      expect(phases.map((p) => p.name)).toEqual(['issuance', 'card-emulation', 'ui-app', 'pin-lock-and-reset', 'renewal', 'transfer', 'revocation']);
      for (const p of phases) expect(p.milliseconds).toBeGreaterThan(0);
      expect(phases.find((p) => p.name === 'revocation')!.lines.join('\n')).toMatch(/OCSP revoked/);
    },
    180_000,
  );
});
