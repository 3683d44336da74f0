import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { JpkiClient } from '../../src/jpki/client/client.js';
import { apply, applicationStatus, requestRevocation, terminateOnSim } from '../../src/services/applicant/apply.js';
import { runRemoteSession } from '../../src/services/device-agent/agent.js';
import {
  issueApplicantCard,
  runIssuanceStory,
  STORY_CARD_PASSWORD,
  STORY_CONTACT,
  STORY_DOWNLOAD_PASSWORD,
  STORY_PIN,
  storyApplication,
} from '../../src/services/demo/issuance-story.js';
import { callJson } from '../../src/services/http/client.js';
import { startIssuanceSystem, type RunningIssuanceSystem } from '../../src/services/issuance-system.js';
import { ResponseApdu } from '../../src/apdu/response.js';
import { CardStatusError } from '../../src/errors.js';
import type { TransmitOptions, Transport } from '../../src/transport/transport.js';
import { SimTransport } from '../../src/transport/sim.js';
import { announceSkip, simulatorJarBuilt } from '../support.js';
import { GpSession } from '../../src/gp/session.js';
import { DIVERSIFICATIONS, makeKeySet, SIMULATOR_TEST_MASTER_KEY } from '../../src/gp/keys.js';
import { openSimOfOperatorB } from '../../src/services/demo/life-cycle-story.js';
import { TEST_OPERATOR_B, TEST_SP_DOMAIN_AID } from '../../src/services/test-configuration.js';
import { startSystemOn, testDatabases } from './databases.js';

/**
 * The life cycle's adversaries: someone holding a recorded write (every APDU the agent relayed) replays it
 * into a new SIM or into the terminated one; someone replays a finished session's token; someone with the
 * phone but without the My Number card guesses PINs. Each must come away with nothing.
 */
if (!simulatorJarBuilt()) announceSkip('life-cycle adversaries', 'simulator jar missing (ant simulator)');
const maybe = simulatorJarBuilt() ? describe : describe.skip;

/** Keeps every command the card was sent, as a device-side eavesdropper (or a malicious agent) would. */
class RecordingTransport implements Transport {
  readonly commands: Uint8Array[] = [];
  constructor(private readonly inner: Transport) {}
  get description(): string {
    return this.inner.description;
  }
  get atr(): Uint8Array {
    return this.inner.atr;
  }
  transmit(command: Uint8Array, options?: TransmitOptions): Promise<Uint8Array> {
    this.commands.push(Uint8Array.from(command));
    return this.inner.transmit(command, options);
  }
  reset(options?: { cold?: boolean }): Promise<Uint8Array> {
    return this.inner.reset(options);
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

/** Sends every recorded command to `card` in order; answers the status words. */
async function replay(card: Transport, commands: readonly Uint8Array[]): Promise<number[]> {
  const words: number[] = [];
  for (const command of commands) words.push(new ResponseApdu(await card.transmit(command)).sw);
  return words;
}

/** What the JPKI applet on `card` shows a reader: absent, or its life cycle and whether a certificate reads. */
async function appletState(card: Transport): Promise<{ present: boolean; lifecycle?: string; certificateReadable?: boolean }> {
  const client = new JpkiClient(card);
  try {
    await client.selectApplication();
  } catch {
    return { present: false };
  }
  const { lifecycle } = await client.information();
  const certificateReadable = await client.readFile(0x000a).then(
    (c) => c.length > 0,
    () => false,
  );
  return { present: true, lifecycle, certificateReadable };
}

maybe.each(testDatabases('life-cycle adversaries'))('life-cycle adversaries on $name', (database) => {
  let system: RunningIssuanceSystem;
  let close: (() => Promise<void>) | undefined;
  beforeAll(async () => {
    ({ system, close } = await startSystemOn(database));
  });
  afterAll(async () => {
    await close?.();
  });

  test('a recorded write replayed into a new SIM, and into the terminated old one, personalises nothing', async () => {
    const myNumberCard = await SimTransport.open({ myNumberCard: true });
    const simA = await SimTransport.open({});
    const simB = await SimTransport.open({});
    const fresh = await SimTransport.open({});
    try {
      const recorder = new RecordingTransport(simA);
      const story = await runIssuanceStory({ myNumberCard, sim: recorder }, { system });
      const transcript = recorder.commands.slice();
      expect(transcript.length).toBeGreaterThan(50);

      // Into a new SIM: the MNO's and the SP's channels were bound to SIM A's keys and challenges, the
      // content keys were sent to SIM A's applet key.
      await replay(fresh, transcript);
      const onFresh = await appletState(fresh);
      expect(onFresh.lifecycle === 'personalised' || onFresh.certificateReadable === true).toBe(false);

      // The credential moves to SIM B; SIM A is terminated through the agent.
      const moved = await apply({
        ...storyApplication(system.urls['sp-tsm']!, myNumberCard, simB),
        replaces: story.applicationId,
      });
      await terminateOnSim(moved.termination!, simA);
      expect(await appletState(simA)).toMatchObject({ present: true, lifecycle: 'terminated', certificateReadable: false });

      // Into the terminated SIM A itself: termination is final, whatever arrives after.
      await replay(simA, transcript);
      const afterReplay = await appletState(simA);
      expect(afterReplay.lifecycle === 'personalised' || afterReplay.certificateReadable === true).toBe(false);
      const client = new JpkiClient(simA);
      await client.selectApplication();
      await expect(client.verifyPin(STORY_PIN)).rejects.toMatchObject({ sw: 0x6985 });
    } finally {
      await Promise.all([myNumberCard.close(), simA.close(), simB.close(), fresh.close()]);
    }
  }, 120_000);

  test(
    'a finished termination session sent again reaches no card, its token opens no other session, ' +
      'and revoking again offers no second termination',
    async () => {
      const myNumberCard = await SimTransport.open({ myNumberCard: true });
      const sim = await SimTransport.open({});
      try {
        const story = await runIssuanceStory({ myNumberCard, sim }, { system });
        const spUrl = system.urls['sp-tsm']!;
        const revoke = (): ReturnType<typeof requestRevocation> =>
          requestRevocation({
            spTsmUrl: spUrl,
            applicationId: story.applicationId,
            myNumberCard,
            signaturePassword: STORY_CARD_PASSWORD,
            ground: 'stolen',
          });
        const first = await revoke();
        expect(first.termination).toBeDefined();
        expect((await terminateOnSim(first.termination!, sim)).outcome).toBe('terminated');
        // Sent again, the finished session only repeats its last answer: not one command reaches the card.
        const replayed = await runRemoteSession(first.termination!.remoteUrl, first.termination!.token, sim, { retryWindowMs: 0 });
        expect(replayed.commands).toBe(0);
        // The token opens no other session.
        const other = first.termination!.remoteUrl.replace(/[^/]+$/, '00000000-0000-4000-8000-000000000000');
        await expect(runRemoteSession(other, first.termination!.token, sim, { retryWindowMs: 0 })).rejects.toMatchObject({ status: 404 });
        const again = await revoke();
        expect(again.state).toBe('revoked');
        expect(again.termination).toBeUndefined();
        expect((await applicationStatus(spUrl, story.applicationId)).events.filter((e) => e.step === 'terminated on the SIM')).toHaveLength(1);
      } finally {
        await Promise.all([myNumberCard.close(), sim.close()]);
      }
    },
    60_000,
  );

  /**
   * A new SP domain comes with the card maker's test key sets (one per protocol the card speaks); the MNO
   * hands one over and knows them all. After the takeover, no key set of the domain may open with a key
   * anyone but the SP-TSM knows: not the handed-over one, not the others.
   */
  for (const operator of ['first', 'second'] as const) {
    test(
      `after the takeover on the ${operator} operator's SIM, ` + "no key set of the SP domain opens with the card maker's or the MNO's keys",
      async () => {
        const myNumberCard = await SimTransport.open({ myNumberCard: true });
        const phone =
          operator === 'first' ? await SimTransport.open({}).then((sim) => ({ sim, close: () => sim.close() })) : await openSimOfOperatorB();
        try {
          await runIssuanceStory({ myNumberCard, sim: phone.sim }, { system, ...(operator === 'second' ? { operator: TEST_OPERATOR_B } : {}) });
          const opened: string[] = [];
          for (const version of [0x20, 0x30, 0x01, 0xff]) {
            for (const [scp, i] of [
              [3, 0x70],
              [2, 0x55],
              [2, 0x15],
            ] as const) {
              for (const diversification of DIVERSIFICATIONS) {
                try {
                  const session = await GpSession.open(phone.sim, {
                    keys: makeKeySet(version, SIMULATOR_TEST_MASTER_KEY),
                    diversification,
                    scp,
                    i,
                    sdAid: TEST_SP_DOMAIN_AID,
                  });
                  opened.push(`version ${version.toString(16)} SCP0${scp} ${diversification}`);
                  await session.end();
                } catch {
                  // refused, as it must be
                }
              }
            }
          }
          expect(opened).toEqual([]);
        } finally {
          await myNumberCard.close();
          await phone.close();
        }
      },
      120_000,
    );
  }

  test(
    'a write whose last answer was lost when the SP-TSM went down: ' + 'asked again after the restart, the same outcome, no command to the card',
    async () => {
      const created = await database.create();
      const dataDirectory = mkdtempSync(path.join(tmpdir(), 'jpki-life-restart-'));
      let first: RunningIssuanceSystem | undefined = await startIssuanceSystem({ database: created.url, dataDirectory });
      const myNumberCard = await SimTransport.open({ myNumberCard: true });
      const sim = await SimTransport.open({});
      let second: RunningIssuanceSystem | undefined;
      try {
        await issueApplicantCard(myNumberCard, first.urls['jpki-system']!);
        const spUrl = first.urls['sp-tsm']!;
        const applied = await apply(storyApplication(spUrl, myNumberCard, sim));
        const accessCode = first.mailbox.latestAccessCode(STORY_CONTACT, applied.id)!;
        const session = (await callJson('SP-TSM', `${spUrl}/applications/${applied.id}/write-sessions`, {
          body: { accessCode, password: STORY_DOWNLOAD_PASSWORD, pin: STORY_PIN },
        })) as { sessionId: string; token: string; remoteUrl: string };
        const written = await runRemoteSession(session.remoteUrl, session.token, sim);
        expect(written.outcome).toBe('personalised');
        // The services go down and come back on the same database: the finished session is only in the database now.
        await first.close();
        first = undefined;
        second = await startIssuanceSystem({ database: created.url, dataDirectory });
        const again = await runRemoteSession(`${second.urls['sp-tsm']!}/remote/${session.sessionId}`, session.token, sim, { retryWindowMs: 0 });
        expect(again).toMatchObject({ outcome: 'personalised', commands: 0, detail: { keyFingerprint: written.detail.keyFingerprint } });
        // Another token for the same session still opens nothing.
        await expect(
          runRemoteSession(`${second.urls['sp-tsm']!}/remote/${session.sessionId}`, 'A'.repeat(43), sim, { retryWindowMs: 0 }),
        ).rejects.toMatchObject({ status: 401 });
      } finally {
        await Promise.all([myNumberCard.close(), sim.close()]);
        await first?.close();
        await second?.close();
        await created.dispose();
      }
    },
    120_000,
  );

  test('with the phone but not the My Number card: three PIN guesses, then even the right PIN is refused', async () => {
    const myNumberCard = await SimTransport.open({ myNumberCard: true });
    const sim = await SimTransport.open({});
    try {
      await runIssuanceStory({ myNumberCard, sim }, { system });
      const client = new JpkiClient(sim);
      await client.selectApplication();
      for (const guess of ['0000', '9999', '4321']) await expect(client.verifyPin(guess)).rejects.toBeInstanceOf(CardStatusError);
      expect(await client.pinTriesLeft()).toBe(0);
      await expect(client.verifyPin(STORY_PIN)).rejects.toBeInstanceOf(CardStatusError);
      // A power cycle does not give the tries back.
      await sim.reset({ cold: true });
      await client.selectApplication();
      expect(await client.pinTriesLeft()).toBe(0);
      await expect(client.sign('sha256', Buffer.from('challenge'))).rejects.toMatchObject({ sw: 0x6982 });
    } finally {
      await Promise.all([myNumberCard.close(), sim.close()]);
    }
  }, 60_000);
});
