import { X509Certificate } from 'node:crypto';
import { apply, authoriseAndWrite, requestPinReset, requestRevocation } from '../../src/services/applicant/apply.js';
import {
  issueApplicantCard,
  runIssuanceStory,
  STORY_CARD_PASSWORD,
  STORY_CONTACT,
  STORY_DOWNLOAD_PASSWORD,
  STORY_PIN,
  storyApplication,
} from '../../src/services/demo/issuance-story.js';
import { JpkiClient } from '../../src/jpki/client/client.js';
import { loadJpkiPki } from '../../src/services/jpki-system/pki.js';
import { authenticateByCardEmulation } from '../../src/services/verifier/card-emulation.js';
import { checkSimCredential } from '../../src/services/verifier/check.js';
import { type RunningIssuanceSystem } from '../../src/services/issuance-system.js';
import { callJson } from '../../src/services/http/client.js';
import { SimTransport } from '../../src/transport/sim.js';
import { announceSkip, simulatorJarBuilt } from '../support.js';
import { startSystemOn, testDatabases } from './databases.js';

if (!simulatorJarBuilt()) announceSkip('issuance flow', 'simulator jar missing (ant simulator)');
const run = simulatorJarBuilt() ? test : test.skip;

describe.each(testDatabases('issuance flow ①–⑱'))('the issuance flow ①–⑱ on $name', (database) => {
  let system: RunningIssuanceSystem;
  let close: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    ({ system, close } = await startSystemOn(database));
  });
  afterAll(async () => {
    await close?.();
  });

  for (const keyGeneration of ['jpki-system', 'on-card'] as const) {
    run(
      `from a signed application to a personalised SIM, key generated ${keyGeneration === 'on-card' ? 'on the SIM' : 'by the JPKI system'}`,
      async () => {
        const myNumberCard = await SimTransport.open({ myNumberCard: true });
        const sim = await SimTransport.open({});
        try {
          const result = await runIssuanceStory({ myNumberCard, sim }, { system, keyGeneration });
          expect(result.steps.map((s) => s.marks).filter(Boolean)).toEqual(['①', '②–⑤', '⑥–⑨', '⑪', '⑫–⑱']);
          const spUrl = system.urls['sp-tsm']!;
          const status = (await callJson('SP-TSM', `${spUrl}/applications/${result.applicationId}`)) as {
            state: string;
            events: { step: string }[];
            keyFingerprint?: string;
          };
          expect(status.state).toBe('personalised');
          const steps = status.events.map((e) => e.step);
          for (const expected of [
            'application received',
            'access code sent',
            'write authorised',
            'SIM identified',
            'installed and handed over',
            'applet key attested by the SIM',
            'domain taken over',
            'personalised',
            'delivered',
          ]) {
            expect(steps).toContain(expected);
          }
          // The certificate on the SIM is the JPKI system's, for the key the SIM holds, and it is on record as delivered to this SIM.
          const certificate = new X509Certificate(result.simCertificate);
          const jpkiUrl = system.urls['jpki-system']!;
          const record = (await callJson('JPKI system', `${jpkiUrl}/certificates/${certificate.serialNumber}`)) as {
            status: string;
            issuanceId?: string;
            linkedSignatureSerial?: string;
          };
          expect(record.status).toBe('good');
          expect(record.linkedSignatureSerial).toMatch(/^[0-9A-F]+$/);
          const issuance = (await callJson('JPKI system', `${jpkiUrl}/issuances/${record.issuanceId}`)) as {
            state: string;
            keyGeneration: string;
            sim?: string;
          };
          expect(issuance).toMatchObject({ state: 'delivered', keyGeneration });
          expect(issuance.sim).toMatch(/^[0-9A-F]{64}$/);
          expect(status.keyFingerprint).toBe(result.keyFingerprint);
          expect(system.mailbox.latestAccessCode(STORY_CONTACT, result.applicationId)).toMatch(/^[A-Z2-9]{4}(-[A-Z2-9]{4}){3}$/);

          // Card emulation accepts the SIM; once its certificate is revoked (a lost phone), the same verifier refuses it.
          const root = (await loadJpkiPki()).root.der;
          expect(await authenticateByCardEmulation(sim, { root, pin: STORY_PIN })).toMatchObject({ accepted: true, ocsp: { status: 'good' } });
          await callJson('JPKI system', `${jpkiUrl}/certificates/${certificate.serialNumber}/revoke`, { body: { reason: 'keyCompromise' } });
          const refused = await authenticateByCardEmulation(sim, { root, pin: STORY_PIN });
          expect(refused).toMatchObject({ accepted: false, ocsp: { status: 'revoked', reason: 'keyCompromise' } });
          expect(refused.reason).toMatch(/revoked/);
          expect(await checkSimCredential(sim, root)).toMatchObject({ valid: false, chain: 'ok', ocsp: { status: 'revoked' } });
        } finally {
          await myNumberCard.close();
          await sim.close();
        }
      },
    );
  }

  run('a second application for a SIM that already holds a credential is refused at the write, and nothing is reported delivered', async () => {
    const myNumberCard = await SimTransport.open({ myNumberCard: true });
    const sim = await SimTransport.open({});
    try {
      const first = await runIssuanceStory({ myNumberCard, sim }, { system });
      const spUrl = system.urls['sp-tsm']!;
      const again = await apply(storyApplication(spUrl, myNumberCard, sim));
      const code = system.mailbox.latestAccessCode(STORY_CONTACT, again.id)!;
      await expect(
        authoriseAndWrite({
          spTsmUrl: spUrl,
          applicationId: again.id,
          accessCode: code,
          downloadPassword: STORY_DOWNLOAD_PASSWORD,
          pin: '4321',
          sim,
        }),
      ).rejects.toThrow(/already holds another JPKI credential/);
      const status = (await callJson('SP-TSM', `${spUrl}/applications/${again.id}`)) as { state: string };
      expect(status.state).toBe('awaiting-write');
      const client = new JpkiClient(sim);
      await client.selectApplication();
      expect(Buffer.from(await client.readFile(0x000a)).equals(Buffer.from(first.simCertificate))).toBe(true);
    } finally {
      await myNumberCard.close();
      await sim.close();
    }
  });

  run(
    "revocation by the applicant: signed with the application's signature certificate; the SIM certificate revoked, card emulation refuses it",
    async () => {
      const myNumberCard = await SimTransport.open({ myNumberCard: true });
      const stranger = await SimTransport.open({ myNumberCard: true });
      const sim = await SimTransport.open({});
      try {
        const story = await runIssuanceStory({ myNumberCard, sim }, { system });
        const spUrl = system.urls['sp-tsm']!;
        const root = (await loadJpkiPki()).root.der;
        // Someone else's My Number card (a valid signature certificate) cannot revoke it.
        await issueApplicantCard(stranger, system.urls['jpki-system']!);
        await expect(
          requestRevocation({
            spTsmUrl: spUrl,
            applicationId: story.applicationId,
            myNumberCard: stranger,
            signaturePassword: STORY_CARD_PASSWORD,
            ground: 'lost',
          }),
        ).rejects.toMatchObject({
          status: 403,
          code: 'not-the-applicant',
        });
        expect(await authenticateByCardEmulation(sim, { root, pin: STORY_PIN })).toMatchObject({ accepted: true });

        const revoked = await requestRevocation({
          spTsmUrl: spUrl,
          applicationId: story.applicationId,
          myNumberCard,
          signaturePassword: STORY_CARD_PASSWORD,
          ground: 'lost',
        });
        expect(revoked.state).toBe('revoked');
        expect(revoked.revokedCertificate).toBe(new X509Certificate(story.simCertificate).serialNumber);
        expect(await authenticateByCardEmulation(sim, { root, pin: STORY_PIN })).toMatchObject({
          accepted: false,
          ocsp: { status: 'revoked', reason: 'keyCompromise' },
        });
        // Asked again: the same answer, nothing more revoked.
        expect(
          await requestRevocation({
            spTsmUrl: spUrl,
            applicationId: story.applicationId,
            myNumberCard,
            signaturePassword: STORY_CARD_PASSWORD,
            ground: 'lost',
          }),
        ).toMatchObject({ state: 'revoked' });
        const status = (await callJson('SP-TSM', `${spUrl}/applications/${story.applicationId}`)) as { state: string; events: { step: string }[] };
        expect(status.state).toBe('revoked');
        expect(status.events.filter((e) => e.step === 'revoked')).toHaveLength(1);
      } finally {
        await Promise.all([myNumberCard.close(), stranger.close(), sim.close()]);
      }
    },
  );

  run('PIN reset after the PIN is blocked: only after re-identification with the My Number card, on the same SIM', async () => {
    const myNumberCard = await SimTransport.open({ myNumberCard: true });
    const stranger = await SimTransport.open({ myNumberCard: true });
    const sim = await SimTransport.open({});
    try {
      const story = await runIssuanceStory({ myNumberCard, sim }, { system });
      const spUrl = system.urls['sp-tsm']!;
      const client = new JpkiClient(sim);
      await client.selectApplication();
      for (let i = 0; i < 3; i++) await expect(client.verifyPin('9999')).rejects.toThrow();
      expect(await client.pinTriesLeft()).toBe(0);
      await issueApplicantCard(stranger, system.urls['jpki-system']!);
      await expect(
        requestPinReset({
          spTsmUrl: spUrl,
          applicationId: story.applicationId,
          myNumberCard: stranger,
          signaturePassword: STORY_CARD_PASSWORD,
          pin: '2580',
          sim,
        }),
      ).rejects.toMatchObject({
        status: 403,
        code: 'not-the-applicant',
      });
      const reset = await requestPinReset({
        spTsmUrl: spUrl,
        applicationId: story.applicationId,
        myNumberCard,
        signaturePassword: STORY_CARD_PASSWORD,
        pin: '2580',
        sim,
      });
      expect(reset.outcome).toBe('pin-reset');
      await client.selectApplication();
      expect(await client.pinTriesLeft()).toBe(3);
      await expect(client.verifyPin(STORY_PIN)).rejects.toThrow();
      await client.verifyPin('2580');
      const root = (await loadJpkiPki()).root.der;
      expect(await authenticateByCardEmulation(sim, { root, pin: '2580' })).toMatchObject({ accepted: true });
    } finally {
      await Promise.all([myNumberCard.close(), stranger.close(), sim.close()]);
    }
  });
});
