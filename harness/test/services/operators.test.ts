import { apply, authoriseAndWrite, requestPinReset } from '../../src/services/applicant/apply.js';
import {
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
import { type RunningIssuanceSystem } from '../../src/services/issuance-system.js';
import { callJson } from '../../src/services/http/client.js';
import { deleteAid, listRegistry } from '../../src/gp/manager.js';
import { openOperatorIsd } from '../../src/services/mno-tsm/operator-card.js';
import { TEST_OPERATOR_A, TEST_OPERATOR_B, TEST_OPERATOR_B_IIN, testOperatorBPersona, testOperators } from '../../src/services/test-configuration.js';
import { SimTransport } from '../../src/transport/sim.js';
import type { Transport } from '../../src/transport/transport.js';
import { standardStack } from '../../src/transport/wrappers.js';
import { parseHex } from '../../src/apdu/hex.js';
import { announceSkip, simulatorJarBuilt } from '../support.js';
import { startSystemOn, testDatabases } from './databases.js';

if (!simulatorJarBuilt()) announceSkip('operators', 'simulator jar missing (ant simulator)');
const run = simulatorJarBuilt() ? test : test.skip;

const [profileA, profileB] = testOperators().map((o) => o.profile);

/** A SIM as the phone reaches it: the modem completes T=0 answers and never sends extended lengths. */
interface PhoneSim {
  readonly raw: SimTransport;
  readonly sim: Transport;
}

async function simOfOperatorA(): Promise<PhoneSim> {
  const raw = await SimTransport.open({});
  return { raw, sim: standardStack(raw, { extendedLength: false }) };
}

async function simOfOperatorB(): Promise<PhoneSim> {
  const raw = await SimTransport.open({ persona: testOperatorBPersona(), iin: TEST_OPERATOR_B_IIN, latencyScale: 0 });
  return { raw, sim: standardStack(raw, { extendedLength: false }) };
}

/** The card's registry as its own operator's ISD lists it: what an installation would change. */
async function registry(sim: Transport, profile = profileA!): Promise<string> {
  const isd = await openOperatorIsd(sim, profile);
  try {
    return JSON.stringify(await listRegistry(isd));
  } finally {
    await isd.end();
  }
}

describe.each(testDatabases('operators'))('two operators on $name', (database) => {
  let system: RunningIssuanceSystem;
  let close: (() => Promise<void>) | undefined;
  let myNumberCard: SimTransport;
  beforeAll(async () => {
    ({ system, close } = await startSystemOn(database));
    myNumberCard = await SimTransport.open({ myNumberCard: true });
  });
  afterAll(async () => {
    await myNumberCard?.close();
    await close?.();
  });

  const spUrl = (): string => system.urls['sp-tsm']!;
  const applyFor = (sim: Transport, operator?: string): ReturnType<typeof apply> =>
    apply({
      ...storyApplication(spUrl(), myNumberCard, sim),
      ...(operator !== undefined ? { operator } : {}),
    });
  const writeTo = (sim: Transport, id: string): ReturnType<typeof authoriseAndWrite> =>
    authoriseAndWrite({
      spTsmUrl: spUrl(),
      applicationId: id,
      accessCode: system.mailbox.latestAccessCode(STORY_CONTACT, id)!,
      downloadPassword: STORY_DOWNLOAD_PASSWORD,
      pin: STORY_PIN,
      sim,
    });
  const status = async (id: string): Promise<{ state: string; events: { step: string; detail: string }[] }> =>
    (await callJson('SP-TSM', `${spUrl()}/applications/${id}`)) as { state: string; events: { step: string; detail: string }[] };
  const installationOf = async (id: string): Promise<string> => (await status(id)).events.find((e) => e.step === 'installation requested')!.detail;
  const installationRow = (id: string): Promise<{ operator: string | null; state: string }> =>
    system.database.db.selectFrom('mno_installations').select(['operator', 'state']).where('id', '=', id).executeTakeFirstOrThrow();
  const mnoEvents = async (installation: string): Promise<{ step: string; detail: string }[]> =>
    system.database.db.selectFrom('mno_events').select(['step', 'detail']).where('installation_id', '=', installation).orderBy('id').execute();

  test('every operator runs its own MNO-TSM; operator A keeps the MNO-TSM URL', () => {
    expect(Object.keys(system.operators)).toEqual([TEST_OPERATOR_A, TEST_OPERATOR_B]);
    expect(system.operators[TEST_OPERATOR_A]).toBe(system.urls['mno-tsm']);
    expect(system.operators[TEST_OPERATOR_B]).not.toBe(system.urls['mno-tsm']);
  });

  run("operator B's SIM (T=0, SCP02 i=55, EMV, C9 and EF/C7/C8) is personalised through its MNO-TSM, signs, takes a PIN reset", async () => {
    const { raw, sim } = await simOfOperatorB();
    try {
      // A SIM whose maker did not load the JPKI package, so the installation loads it with the profile's block size.
      const isd = await openOperatorIsd(sim, profileB!);
      await deleteAid(isd, parseHex('D392F0002601000000'), true);
      await isd.end();

      const story = await runIssuanceStory({ myNumberCard, sim }, { system, operator: TEST_OPERATOR_B });
      const application = await status(story.applicationId);
      expect(application.state).toBe('personalised');
      expect(application.events.find((e) => e.step === 'domain taken over')?.detail).toMatch(/SCP02 i=55/);
      const installation = await installationOf(story.applicationId);
      const row = await installationRow(installation);
      expect(row).toEqual({ operator: TEST_OPERATOR_B, state: 'handed-over' });
      const events = await mnoEvents(installation);
      const detail = (step: string): string | undefined => events.find((e) => e.step === step)?.detail;
      expect(detail('isd-opened')).toBe('SCP02 i=55 key version 20');
      expect(detail('ssd-created')).toBeDefined();
      expect(detail('loaded')).toMatch(/ blocks of 200$/);
      expect(events.map((e) => e.step)).toEqual(expect.arrayContaining(['identified', 'installed', 'extradited', 'handed-over']));
      const recorded = await system.database.db
        .selectFrom('sp_applications')
        .select(['operator', 'domain_scp', 'domain_i', 'domain_key_version'])
        .where('id', '=', story.applicationId)
        .executeTakeFirstOrThrow();
      expect(recorded).toEqual({ operator: TEST_OPERATOR_B, domain_scp: 2, domain_i: 0x55, domain_key_version: 0x20 });

      // The applet is in the SP's domain, which the operator's ISD keys no longer open.
      const listed = JSON.parse(await registry(sim, profileB)) as { applications: { aid: string; associatedSecurityDomain?: string }[] };
      expect(listed.applications.find((a) => a.aid === 'D392F000260100000001')?.associatedSecurityDomain).toBe('A00000015153504153500001');

      // A blocked PIN reset by the SP-TSM, over SCP02 with its own keys.
      const client = new JpkiClient(sim);
      await client.selectApplication();
      for (let k = 0; k < 3; k++) await expect(client.verifyPin('9999')).rejects.toThrow();
      const reset = await requestPinReset({
        spTsmUrl: spUrl(),
        applicationId: story.applicationId,
        myNumberCard,
        signaturePassword: STORY_CARD_PASSWORD,
        pin: '2580',
        sim,
      });
      expect(reset.outcome).toBe('pin-reset');
      const root = (await loadJpkiPki()).root.der;
      expect(await authenticateByCardEmulation(sim, { root, pin: '2580' })).toMatchObject({ accepted: true, ocsp: { status: 'good' } });
    } finally {
      await raw.close();
    }
  });

  run("operator A's SIM named with operator B: refused by B's MNO-TSM before anything changes; personalised with the right operator", async () => {
    const { raw, sim } = await simOfOperatorA();
    try {
      const before = await registry(sim);
      const wrong = await applyFor(sim, TEST_OPERATOR_B);
      await expect(writeTo(sim, wrong.id)).rejects.toThrow(/not issued by this operator/);
      expect(await registry(sim)).toBe(before);
      const installation = await installationOf(wrong.id);
      const row = await installationRow(installation);
      expect(row.operator).toBe(TEST_OPERATOR_B);
      expect(row.state).not.toBe('failed');
      expect((await mnoEvents(installation)).map((e) => e.step)).not.toContain('isd-opened');

      const right = await applyFor(sim);
      expect((await writeTo(sim, right.id)).outcome).toBe('personalised');
      expect((await status(right.id)).events.find((e) => e.step === 'domain taken over')?.detail).toMatch(/SCP03 i=70/);
    } finally {
      await raw.close();
    }
  });

  run("operator B's SIM named with operator A: its ISD does not answer to operator A's keys, and nothing changes", async () => {
    const { raw, sim } = await simOfOperatorB();
    try {
      const before = await registry(sim, profileB);
      const wrong = await applyFor(sim, TEST_OPERATOR_A);
      await expect(writeTo(sim, wrong.id)).rejects.toThrow(/does not answer to this operator's keys/);
      expect(await registry(sim, profileB)).toBe(before);
    } finally {
      await raw.close();
    }
  });

  run('an application naming an operator the SP-TSM does not work with is refused (422 unknown-operator)', async () => {
    const { raw, sim } = await simOfOperatorA();
    try {
      await expect(applyFor(sim, 'no-such-mno')).rejects.toMatchObject({ status: 422, code: 'unknown-operator' });
    } finally {
      await raw.close();
    }
  });
});
