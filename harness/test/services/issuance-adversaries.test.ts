import { createPrivateKey, createPublicKey, generateKeyPairSync, sign as signData, X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { AsnConvert } from '@peculiar/asn1-schema';
import * as asn1X509 from '@peculiar/asn1-x509';
import { parseHex, toHex } from '../../src/apdu/hex.js';
import { readCardAuthorityCertificate } from '../../src/gp/card-authority.js';
import { makeKeySet } from '../../src/gp/keys.js';
import { listRegistry } from '../../src/gp/manager.js';
import { GpSession } from '../../src/gp/session.js';
import { JPKI_AID, JpkiClient } from '../../src/jpki/client/client.js';
import { readSignatureCertificate, signWithSignatureKey } from '../../src/my-number-card/client.js';
import { applicationStatus, authoriseAndWrite } from '../../src/services/applicant/apply.js';
import { runRemoteSession } from '../../src/services/device-agent/agent.js';
import {
  issueApplicantCard,
  STORY_CARD_PASSWORD,
  STORY_CONTACT,
  STORY_DOWNLOAD_PASSWORD,
  STORY_PIN,
} from '../../src/services/demo/issuance-story.js';
import { callJson } from '../../src/services/http/client.js';
import { startIssuanceSystem, type RunningIssuanceSystem } from '../../src/services/issuance-system.js';
import { parseWrappedKey, unwrapPrivateKey } from '../../src/services/jpki-system/key-transport.js';
import { loadTestSpTsmKeyTransport } from '../../src/services/jpki-system/pki.js';
import type { Handover } from '../../src/services/mno-tsm/service.js';
import { parseAgentReport, parseInstruction, type AgentReport, type TsmInstruction } from '../../src/services/remote-apdu/protocol.js';
import { signApplication, type ApplicationDocument, type SignedApplication } from '../../src/services/sp-tsm/application.js';
import type { WriteAuthorisation } from '../../src/services/sp-tsm/service.js';
import { TEST_MNO_ISD_KEYS, TEST_SP_API_KEY, TEST_SP_DOMAIN_AID } from '../../src/services/test-configuration.js';
import { SimTransport } from '../../src/transport/sim.js';
import type { Transport, TransmitOptions } from '../../src/transport/transport.js';
import { announceSkip, PassThroughTransport, simulatorJarBuilt, vector } from '../support.js';
import { testDatabases } from './databases.js';

/**
 * The issuance system's adversaries (docs/threat-model.md, "The issuance system"), each played through
 * the real path: the applicant's simulated My Number card signs, the device agent relays to simulated
 * SIMs, the three services run on loopback. One system per database, shared by the tests in order.
 */
if (!simulatorJarBuilt()) announceSkip('issuance adversaries', 'simulator jar missing (ant simulator)');
const run = simulatorJarBuilt() ? test : test.skip;

/** Every command and answer that crossed to one SIM. */
class Wire extends PassThroughTransport {
  readonly exchanges: { command: Buffer; response: Buffer }[] = [];
  override async transmit(command: Uint8Array, options?: TransmitOptions): Promise<Uint8Array> {
    const response = await this.inner.transmit(command, options);
    this.exchanges.push({ command: Buffer.from(command), response: Buffer.from(response) });
    return response;
  }
}

/** A phone that relays to one SIM, then to another from a given step on. */
class SwappingPhone implements Transport {
  constructor(public target: Transport) {}
  get description(): string {
    return this.target.description;
  }
  get atr(): Uint8Array {
    return this.target.atr;
  }
  transmit(command: Uint8Array, options?: TransmitOptions): Promise<Uint8Array> {
    return this.target.transmit(command, options);
  }
  reset(options?: { cold?: boolean }): Promise<Uint8Array> {
    return this.target.reset(options);
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

interface Answer {
  readonly status: number;
  readonly body: Record<string, unknown> & { error?: { code: string; message: string } };
}

async function post(url: string, body: unknown, token?: string): Promise<Answer> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text === '' ? {} : (JSON.parse(text) as Answer['body']) };
}

/** What a path attacker between the device agent and the SP-TSM saw of one exchange. */
interface Exchange {
  readonly url: string;
  readonly token: string;
  readonly report: AgentReport;
  readonly status: number;
  readonly instruction?: TsmInstruction;
}

interface Tampering {
  /** Alters a report on its way to the SP-TSM; `answering` is the instruction it answers. */
  report?(report: AgentReport, answering: TsmInstruction | undefined): AgentReport;
  /** Alters an instruction on its way to the agent. */
  instruction?(instruction: TsmInstruction): TsmInstruction;
  /** The attacker's own requests, made before the agent's report goes on. */
  before?(report: AgentReport, session: { url: string; token: string }, seen: readonly Exchange[]): Promise<void>;
}

/** A man in the middle on the agent's connection to the SP-TSM (the MNO-TSM's traffic passes untouched). */
function pathAttacker(spUrl: string, tampering: Tampering = {}): { fetchImpl: typeof fetch; seen: Exchange[] } {
  const seen: Exchange[] = [];
  let last: TsmInstruction | undefined;
  const fetchImpl: typeof fetch = async (input, init) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    if (!url.startsWith(`${spUrl}/remote/`) || typeof init?.body !== 'string') return fetch(input, init);
    const token = (new Headers(init.headers).get('authorization') ?? '').replace(/^Bearer /, '');
    let report = parseAgentReport(JSON.parse(init.body) as unknown);
    await tampering.before?.(report, { url, token }, seen);
    report = tampering.report?.(report, last) ?? report;
    const response = await fetch(url, { ...init, body: JSON.stringify(report) });
    const text = await response.text();
    if (!response.ok) {
      seen.push({ url, token, report, status: response.status });
      return new Response(text, { status: response.status, headers: response.headers });
    }
    let instruction = parseInstruction(JSON.parse(text) as unknown);
    seen.push({ url, token, report, status: response.status, instruction });
    instruction = tampering.instruction?.(instruction) ?? instruction;
    last = instruction;
    return new Response(JSON.stringify(instruction), { status: response.status, headers: { 'content-type': 'application/json' } });
  };
  return { fetchImpl, seen };
}

/** The bytes with one bit of byte `index` flipped (hex in, hex out). */
function flipped(hex: string, index: number): string {
  const bytes = Buffer.from(hex, 'hex');
  bytes[index] = bytes[index]! ^ 0x01;
  return toHex(bytes);
}

/** The SIM's CASD certificate, re-issued by another CA (same subject and key, another issuer and signature). */
function fromAnotherAuthority(casdCertificate: Uint8Array): Uint8Array {
  const certificate = AsnConvert.parse(casdCertificate, asn1X509.Certificate);
  const other = AsnConvert.parse(readFileSync(vector('certs', 'test-ca.der')), asn1X509.Certificate);
  certificate.tbsCertificate.issuer = other.tbsCertificate.subject;
  const tbs = Buffer.from(AsnConvert.serialize(certificate.tbsCertificate));
  const signature = signData('sha256', tbs, createPrivateKey(readFileSync(vector('certs', 'test-ca.key.pem'))));
  certificate.signatureValue = new Uint8Array(signature).buffer;
  return new Uint8Array(AsnConvert.serialize(certificate));
}

/** What the applet says of itself to anyone (no secure channel). */
async function appletState(sim: Transport): Promise<string> {
  const client = new JpkiClient(sim);
  await client.selectApplication();
  return (await client.information()).lifecycle;
}

/** The SIM's registry as the MNO sees it through its ISD. */
async function registry(sim: Transport): Promise<string> {
  const isd = await GpSession.open(sim, { keys: TEST_MNO_ISD_KEYS, securityLevel: 0x01, diversification: 'kdf3' });
  try {
    return JSON.stringify(await listRegistry(isd));
  } finally {
    await isd.end();
  }
}

describe.each(testDatabases('issuance adversaries'))('the issuance system against its adversaries on $name', (database) => {
  let system: RunningIssuanceSystem;
  let dispose: () => Promise<void>;
  let databaseUrl: string;
  let spUrl: string;
  let jpkiUrl: string;
  let myNumberCard: SimTransport;
  let signatureCertificate: Uint8Array;
  /** sims[0]: the man-in-the-middle tests; sims[1] and sims[2]: the swapped SIMs, then sims[2] for the MNO. */
  const sims: SimTransport[] = [];
  const simCertificates: Uint8Array[] = [];
  const others: RunningIssuanceSystem[] = [];

  beforeAll(async () => {
    const created = await database.create();
    dispose = created.dispose;
    databaseUrl = created.url;
    // The shared system is not the one that plays the rate limit: it takes the tests' attempts freely.
    system = await startIssuanceSystem({
      database: databaseUrl,
      dataDirectory: mkdtempSync(path.join(tmpdir(), 'jpki-adversaries-')),
      attemptsPerMinute: 1000,
    });
    spUrl = system.urls['sp-tsm']!;
    jpkiUrl = system.urls['jpki-system']!;
    const opened = await Promise.all([
      SimTransport.open({ myNumberCard: true }),
      SimTransport.open({}),
      SimTransport.open({}),
      SimTransport.open({}),
    ]);
    myNumberCard = opened[0];
    sims.push(...opened.slice(1));
    await issueApplicantCard(myNumberCard, jpkiUrl);
    signatureCertificate = await readSignatureCertificate(myNumberCard);
    for (const sim of sims) simCertificates.push(await readCardAuthorityCertificate(sim));
  }, 90000);

  afterAll(async () => {
    for (const other of others) await other.close();
    await system?.close();
    await myNumberCard?.close();
    for (const sim of sims) await sim.close();
    await dispose?.();
  });

  /** An application signed by the applicant's My Number card. */
  function signed(
    simCertificate: Uint8Array,
    keyGeneration: ApplicationDocument['keyGeneration'] = 'on-card',
    now = new Date(),
  ): Promise<SignedApplication> {
    return signApplication(
      { certificate: signatureCertificate, sign: (data) => signWithSignatureKey(myNumberCard, STORY_CARD_PASSWORD, { data, hash: 'sha256' }) },
      { contact: STORY_CONTACT, simCertificate, keyGeneration, pinPolicy: 'pin-required' },
      STORY_DOWNLOAD_PASSWORD,
      now,
    );
  }

  /** Applies at `sp` and answers the application's id and its access code. */
  async function applied(
    simCertificate: Uint8Array,
    keyGeneration: ApplicationDocument['keyGeneration'] = 'on-card',
    on: RunningIssuanceSystem = system,
  ): Promise<{ id: string; code: string }> {
    const answer = await post(`${on.urls['sp-tsm']}/applications`, await signed(simCertificate, keyGeneration));
    expect(answer).toMatchObject({ status: 201, body: { state: 'awaiting-write' } });
    const id = answer.body.id as string;
    return { id, code: on.mailbox.latestAccessCode(STORY_CONTACT, id)! };
  }

  function authorise(id: string, accessCode: string, password = STORY_DOWNLOAD_PASSWORD, on: RunningIssuanceSystem = system): Promise<Answer> {
    return post(`${on.urls['sp-tsm']}/applications/${id}/write-sessions`, { accessCode, password, pin: STORY_PIN });
  }

  async function write(
    id: string,
    sim: Transport,
    options: { fetchImpl?: typeof fetch; onStep?: (step: string, tsm: string) => void; pin?: string } = {},
  ): Promise<Awaited<ReturnType<typeof authoriseAndWrite>>> {
    return authoriseAndWrite({
      spTsmUrl: spUrl,
      applicationId: id,
      accessCode: system.mailbox.latestAccessCode(STORY_CONTACT, id)!,
      downloadPassword: STORY_DOWNLOAD_PASSWORD,
      pin: options.pin ?? STORY_PIN,
      sim,
      ...(options.fetchImpl ? { fetchImpl: options.fetchImpl } : {}),
      ...(options.onStep ? { onStep: options.onStep } : {}),
    });
  }

  async function state(id: string): Promise<{ state: string; steps: string[]; details: string[] }> {
    const status = await applicationStatus(spUrl, id);
    return { state: status.state, steps: status.events.map((e) => e.step), details: status.events.map((e) => `${e.step}: ${e.detail}`) };
  }

  /** Starts a write session's flow as an agent would (its first report) and answers the first instruction. */
  async function started(authorisation: WriteAuthorisation): Promise<TsmInstruction> {
    const answer = await post(authorisation.remoteUrl, { acknowledges: null, agent: { reader: 'test', atr: '3B00' } }, authorisation.token);
    expect(answer.status).toBe(200);
    return parseInstruction(answer.body);
  }

  /** Ends a started flow with an answer no SIM gives: the write fails, the applicant gets a new code. */
  async function ended(authorisation: WriteAuthorisation, first: TsmInstruction): Promise<void> {
    const answer = await post(authorisation.remoteUrl, { acknowledges: first.sequence, responses: ['6F00'] }, authorisation.token);
    expect(answer).toMatchObject({ status: 200, body: { kind: 'failed' } });
  }

  // ---- 1. Man in the middle and replay between the device agent and the SP-TSM ------------------

  /** The application the path attacker works on (sims[0]); the later tests of this group continue it. */
  let target: { id: string; code: string } | undefined;
  /** The reports and tokens of the sessions the path attacker broke. */
  const broken: Exchange[][] = [];

  run(
    'a bit flipped in a command on its way to the SIM, or in an answer on its way back, stops the write; ' +
      'the SIM is not personalised and a fresh access code follows',
    async () => {
      const sim = sims[0]!;
      target = await applied(simCertificates[0]!, 'jpki-system');
      const { id } = target;

      // In a command: the PUT KEY that takes the SP's domain over. The card checks the C-MAC and refuses it.
      const wire = new Wire(sim);
      let tampered: string | undefined;
      const onCommand = pathAttacker(spUrl, {
        instruction: (i) => {
          if (i.kind !== 'apdus' || tampered !== undefined) return i;
          const at = i.commands.findIndex((c) => c.toUpperCase().startsWith('84D8'));
          if (at < 0) return i;
          tampered = flipped(i.commands[at]!, 7);
          return { ...i, commands: i.commands.map((c, k) => (k === at ? tampered! : c)) };
        },
      });
      await expect(write(id, wire, { fetchImpl: onCommand.fetchImpl })).rejects.toThrow();
      expect(tampered).toBeDefined();
      const atCard = wire.exchanges.find((e) => toHex(e.command) === tampered);
      expect(toHex(atCard!.response)).toBe('6982');
      expect(await appletState(sim)).not.toBe('personalised');
      let after = await state(id);
      expect(after.state).toBe('awaiting-write');
      expect(after.steps).toContain('write interrupted');
      expect(after.steps).not.toContain('domain taken over');
      const second = system.mailbox.latestAccessCode(STORY_CONTACT, id)!;
      expect(second).not.toBe(target.code);
      // The spent access code does not open another session.
      expect(await authorise(id, target.code)).toMatchObject({ status: 403, body: { error: { code: 'wrong-credentials' } } });
      broken.push(onCommand.seen);

      // In an answer: the first answer inside the SP's own secure channel (R-MAC), after the domain was taken over.
      let answerTampered = false;
      const onAnswer = pathAttacker(spUrl, {
        report: (r, answering) => {
          if (
            answerTampered ||
            answering?.kind !== 'apdus' ||
            !answering.step.startsWith('personalisation:') ||
            !r.responses?.[0] ||
            r.responses[0].length <= 4
          )
            return r;
          answerTampered = true;
          return { ...r, responses: [flipped(r.responses[0], 0), ...r.responses.slice(1)] };
        },
      });
      await expect(write(id, sim, { fetchImpl: onAnswer.fetchImpl })).rejects.toThrow();
      expect(answerTampered).toBe(true);
      expect(await appletState(sim)).not.toBe('personalised');
      after = await state(id);
      expect(after.state).toBe('awaiting-write');
      expect(after.details.filter((d) => d.startsWith('write interrupted')).at(-1)).toMatch(/MAC/i);
      expect(after.steps).not.toContain('personalised');
      expect(system.mailbox.latestAccessCode(STORY_CONTACT, id)).not.toBe(second);
      broken.push(onAnswer.seen);
      // The JPKI system still holds the credential for delivery: nothing was reported delivered.
      const issuanceId = after.details.find((d) => d.startsWith('key and certificate issued'))!.split(': ')[1]!;
      expect(await callJson('JPKI system', `${jpkiUrl}/issuances/${issuanceId}`)).toMatchObject({ state: 'certificate-issued' });
    },
  );

  run('a replayed earlier report gets the same instruction or 409, never a second run; the fresh write completes', async () => {
    expect(target).toBeDefined();
    const { id } = target!;
    const replays: { acknowledges: number | null; status: number; instruction?: TsmInstruction; current: TsmInstruction }[] = [];
    let replayed = false;
    const attacker = pathAttacker(spUrl, {
      before: async (report, session, seen) => {
        const current = seen.at(-1)?.instruction;
        if (replayed || current?.kind !== 'apdus' || report.acknowledges !== current.sequence || current.sequence < 6) return;
        replayed = true;
        // The report just before (its answer may have been lost): the same instruction again.
        // Older ones: out of order.
        for (const earlier of [seen.at(-1)!, seen.at(-2)!, seen.at(-4)!]) {
          const answer = await post(session.url, earlier.report, session.token);
          replays.push({
            acknowledges: earlier.report.acknowledges,
            status: answer.status,
            ...(answer.status === 200 ? { instruction: parseInstruction(answer.body) } : {}),
            current,
          });
        }
      },
    });
    const result = await write(id, sims[0]!, { fetchImpl: attacker.fetchImpl });
    expect(result.outcome).toBe('personalised');
    expect(replayed).toBe(true);
    expect(replays[0]).toMatchObject({ status: 200 });
    expect(replays[0]!.instruction).toEqual(replays[0]!.current);
    expect(replays.slice(1).map((r) => r.status)).toEqual([409, 409]);
    // The agent saw every batch number once, in order: no replay moved the flow on.
    const sequences = attacker.seen.map((e) => e.instruction!.sequence);
    expect(sequences).toEqual(sequences.map((_, k) => k));
    expect(await appletState(sims[0]!)).toBe('personalised');

    // The whole session replayed after it finished: only its last answer, nothing run.
    for (const e of attacker.seen) {
      const answer = await post(e.url, e.report, e.token);
      if (answer.status === 200) expect(parseInstruction(answer.body).kind).toBe('done');
      else expect([404, 409]).toContain(answer.status);
    }
    expect((await state(id)).state).toBe('personalised');
  });

  run("a recorded session's reports replayed against a new write session are refused: 404 before it runs, 401 while it runs", async () => {
    expect(broken.length).toBe(2);
    const { id, code } = await applied(simCertificates[0]!);
    const authorisation = (await authorise(id, code)).body as unknown as WriteAuthorisation;
    const recorded = broken[0]!;
    expect(recorded.length).toBeGreaterThan(5);
    expect(recorded[0]!.token).not.toBe(authorisation.token);
    for (const e of recorded) expect((await post(authorisation.remoteUrl, e.report, e.token)).status).toBe(404);
    const first = await started(authorisation);
    for (const e of recorded) expect((await post(authorisation.remoteUrl, e.report, e.token)).status).toBe(401);
    // Against its own, finished session: its last answer at most, never a batch.
    for (const e of recorded) {
      const answer = await post(e.url, e.report, e.token);
      if (answer.status === 200) expect(parseInstruction(answer.body).kind).toBe('failed');
      else expect([404, 409]).toContain(answer.status);
    }
    // The new session still waits for its own agent's answer.
    await ended(authorisation, first);
    expect((await state(id)).state).toBe('awaiting-write');
  });

  run("the bearer token of one write session on another session's id is refused (401), and neither session is disturbed", async () => {
    const a = await applied(simCertificates[0]!);
    const b = await applied(simCertificates[0]!);
    const sessionA = (await authorise(a.id, a.code)).body as unknown as WriteAuthorisation;
    const sessionB = (await authorise(b.id, b.code)).body as unknown as WriteAuthorisation;
    const firstA = await started(sessionA);
    const firstB = await started(sessionB);
    for (const report of [{ acknowledges: null }, { acknowledges: firstA.sequence, responses: ['9000'] }]) {
      expect(await post(sessionA.remoteUrl, report, sessionB.token)).toMatchObject({ status: 401, body: { error: { code: 'unauthenticated' } } });
      expect(await post(sessionB.remoteUrl, report, sessionA.token)).toMatchObject({ status: 401, body: { error: { code: 'unauthenticated' } } });
    }
    await ended(sessionA, firstA);
    await ended(sessionB, firstB);
  });

  run('the access code is single use: asked again after a successful write, or while a write runs, 409', async () => {
    expect(target).toBeDefined();
    const { id } = target!;
    expect((await state(id)).state).toBe('personalised');
    const used = system.mailbox.latestAccessCode(STORY_CONTACT, id)!;
    expect(await authorise(id, used)).toMatchObject({ status: 409, body: { error: { code: 'not-awaiting-write' } } });
    const running = await applied(simCertificates[0]!);
    const authorisation = (await authorise(running.id, running.code)).body as unknown as WriteAuthorisation;
    expect(await authorise(running.id, running.code)).toMatchObject({ status: 409, body: { error: { code: 'write-in-progress' } } });
    await ended(authorisation, await started(authorisation));
  });

  // ---- 2. A wrong or swapped SIM --------------------------------------------------------------------

  run(
    'a write relayed to another SIM than the designated one is refused before anything is installed on it, at any stage; ' +
      'the designated SIM is written afterwards',
    async () => {
      const [designated, other] = [sims[1]!, sims[2]!];
      const mnoUrl = system.urls['mno-tsm']!;
      const { id } = await applied(simCertificates[1]!, 'jpki-system');
      const before = await registry(other);
      const otherState = await appletState(other);

      // The whole write relayed to the other SIM: the SP-TSM refuses at the identification.
      await expect(write(id, other)).rejects.toThrow(/not the SIM the applicant designated/);
      expect(await registry(other)).toBe(before);
      let after = await state(id);
      expect(after.state).toBe('awaiting-write');
      expect(after.steps).not.toContain('installation requested');

      // The designated SIM for the SP-TSM, the other for the MNO-TSM's installation: the MNO-TSM refuses.
      const phone = new SwappingPhone(designated);
      const session = (await authorise(id, system.mailbox.latestAccessCode(STORY_CONTACT, id)!)).body as unknown as WriteAuthorisation;
      const toMnoOther = (_step: string, tsm: string): void => {
        phone.target = tsm.startsWith(mnoUrl) ? other : designated;
      };
      await expect(runRemoteSession(session.remoteUrl, session.token, phone, { onStep: toMnoOther })).rejects.toThrow(/not the SIM the SP-TSM named/);
      expect(await registry(other)).toBe(before);

      // The phone starts the same session over; the designated SIM for identification and installation, the
      // other from the attestation on: refused there, before the SP-TSM sends anything.
      const fromAttestation = (step: string, tsm: string): void => {
        if (tsm.startsWith(mnoUrl)) phone.target = designated;
        else phone.target = step === 'attestation' || phone.target === other ? other : designated;
      };
      phone.target = designated;
      await expect(runRemoteSession(session.remoteUrl, session.token, phone, { onStep: fromAttestation })).rejects.toThrow(/attest/i);
      expect(phone.target).toBe(other);
      expect(await registry(other)).toBe(before);
      expect(await appletState(other)).toBe(otherState);
      after = await state(id);
      expect(after.state).toBe('awaiting-write');
      expect(after.steps).toContain('installed and handed over');
      expect(after.steps).not.toContain('applet key attested by the SIM');

      const result = await write(id, designated);
      expect(result.outcome).toBe('personalised');
      expect(await appletState(designated)).toBe('personalised');
      expect(await registry(other)).toBe(before);
    },
  );

  run('an application designating a SIM certificate from another card authority is refused (422 sim-certificate-invalid)', async () => {
    const forged = fromAnotherAuthority(simCertificates[1]!);
    expect(new X509Certificate(forged).publicKey.export({ format: 'der', type: 'spki' })).toEqual(
      new X509Certificate(simCertificates[1]!).publicKey.export({ format: 'der', type: 'spki' }),
    );
    expect(await post(`${spUrl}/applications`, await signed(forged))).toMatchObject({
      status: 422,
      body: { error: { code: 'sim-certificate-invalid' } },
    });
  });

  // ---- 3. Guessing the access code and the password ------------------------------------------------

  run('wrong access codes and wrong passwords count together and lock the application after 5; the failures do not say which was wrong', async () => {
    const { id, code } = await applied(simCertificates[0]!);
    const wrongCode = 'ABCD-EFGH-JKLM-NPQR';
    const answers: Answer[] = [];
    answers.push(await authorise(id, wrongCode));
    answers.push(await authorise(id, code, 'wrong-Passw0rd'));
    answers.push(await authorise(id, wrongCode, 'wrong-Passw0rd'));
    answers.push(await authorise(id, code, 'wrong-Passw0rd'));
    for (const a of answers) expect(a).toMatchObject({ status: 403, body: { error: { code: 'wrong-credentials' } } });
    const said = new Set(answers.map((a) => a.body.error!.message.replace(/\d+/g, 'N')));
    expect(said.size).toBe(1);
    expect([...said][0]).not.toMatch(/access code (is|was) wrong|password (is|was) wrong/i);
    expect(await authorise(id, wrongCode)).toMatchObject({ status: 423, body: { error: { code: 'locked' } } });
    expect(await authorise(id, code)).toMatchObject({ status: 423, body: { error: { code: 'locked' } } });
    expect((await state(id)).state).toBe('locked');
  });

  run('guesses sent all at once lock the application just the same', async () => {
    const { id, code } = await applied(simCertificates[0]!);
    const answers = await Promise.all(
      Array.from({ length: 12 }, (_, k) =>
        authorise(id, k % 2 === 0 ? 'ABCD-EFGH-JKLM-NPQR' : code, k % 2 === 0 ? STORY_DOWNLOAD_PASSWORD : 'wrong-Passw0rd'),
      ),
    );
    expect(answers.filter((a) => a.status === 403).length).toBeLessThanOrEqual(4);
    expect(answers.every((a) => a.status === 403 || a.status === 423)).toBe(true);
    expect(await authorise(id, code)).toMatchObject({ status: 423, body: { error: { code: 'locked' } } });
    const after = await state(id);
    expect(after.state).toBe('locked');
    expect(after.steps.filter((s) => s === 'write authorisation refused').length).toBeLessThanOrEqual(4);
  });

  run('an expired access code is refused, even with the right password', async () => {
    const expiring = await startIssuanceSystem({
      database: databaseUrl,
      dataDirectory: mkdtempSync(path.join(tmpdir(), 'jpki-adversaries-expiry-')),
      roles: ['sp-tsm'],
      jpkiSystemUrl: jpkiUrl,
      mnoTsmUrl: system.urls['mno-tsm']!,
      accessCodeLifetimeMs: 1,
    });
    others.push(expiring);
    const { id, code } = await applied(simCertificates[0]!, 'on-card', expiring);
    await new Promise((r) => setTimeout(r, 20));
    expect(await authorise(id, code, STORY_DOWNLOAD_PASSWORD, expiring)).toMatchObject({
      status: 403,
      body: { error: { code: 'access-code-expired' } },
    });
    // With a wrong password it is just a failure: expiry is only told to whoever holds both.
    expect(await authorise(id, code, 'wrong-Passw0rd', expiring)).toMatchObject({ status: 403, body: { error: { code: 'wrong-credentials' } } });
    const after = await applicationStatus(expiring.urls['sp-tsm']!, id);
    expect(after.state).toBe('awaiting-write');
    expect(after.events.map((e) => e.step)).not.toContain('write authorised');
  });

  run('write authorisations from one address beyond the rate limit are answered 429 and do not count as guesses', async () => {
    const limited = await startIssuanceSystem({
      database: databaseUrl,
      dataDirectory: mkdtempSync(path.join(tmpdir(), 'jpki-adversaries-rate-')),
      roles: ['sp-tsm'],
      jpkiSystemUrl: jpkiUrl,
      mnoTsmUrl: system.urls['mno-tsm']!,
      attemptsPerMinute: 3,
    });
    others.push(limited);
    const { id, code } = await applied(simCertificates[0]!, 'on-card', limited);
    for (let k = 0; k < 3; k++) expect((await authorise(id, code, 'wrong-Passw0rd', limited)).status).toBe(403);
    expect(await authorise(id, code, 'wrong-Passw0rd', limited)).toMatchObject({ status: 429, body: { error: { code: 'too-many-attempts' } } });
    expect(await authorise(id, code, STORY_DOWNLOAD_PASSWORD, limited)).toMatchObject({
      status: 429,
      body: { error: { code: 'too-many-attempts' } },
    });
    const after = await applicationStatus(limited.urls['sp-tsm']!, id);
    expect(after.state).toBe('awaiting-write');
    expect(after.events.filter((e) => e.step === 'write authorisation refused')).toHaveLength(3);
  });

  // ---- 5. The MNO-TSM ---------------------------------------------------------------------------------

  run(
    'the MNO-TSM, with every ISD key and every APDU of the write, can neither open the SP domain or the applet nor find the PIN or the private key',
    async () => {
      const sim = sims[2]!;
      const pin = '7305';
      const { id } = await applied(simCertificates[2]!, 'jpki-system');
      const issuanceId = (await state(id)).details.find((d) => d.startsWith('key and certificate issued'))!.split(': ')[1]!;
      // The test, in the SP-TSM's place, unwraps the key the JPKI system generated: what must not cross.
      const credential = (await callJson('JPKI system', `${jpkiUrl}/issuances/${issuanceId}/credential`)) as {
        wrappedKey?: unknown;
        certificate: string;
      };
      const userKey = unwrapPrivateKey(parseWrappedKey(credential.wrappedKey), loadTestSpTsmKeyTransport().privateKey);
      expect(createPublicKey(userKey).export({ format: 'der', type: 'spki' })).toEqual(
        new X509Certificate(Buffer.from(credential.certificate, 'base64')).publicKey.export({ format: 'der', type: 'spki' }),
      );

      const wire = new Wire(sim);
      expect((await write(id, wire, { pin })).outcome).toBe('personalised');
      expect(wire.exchanges.some((e) => e.command[0] === 0x84 && e.command[1] === 0xdb)).toBe(true);

      // The MNO's own keys still open its ISD, and the keys it handed over are known to it.
      const isd = await GpSession.open(sim, { keys: TEST_MNO_ISD_KEYS, securityLevel: 0x01, diversification: 'kdf3' });
      await isd.end();
      const installationId = (await state(id)).details.find((d) => d.startsWith('installation requested'))!.split(': ')[1]!;
      const { handover } = (await callJson('MNO-TSM', `${system.urls['mno-tsm']}/installations/${installationId}`, {
        headers: { authorization: `Bearer ${TEST_SP_API_KEY}` },
      })) as { handover?: Handover };
      expect(handover?.ssdAid).toBe(toHex(TEST_SP_DOMAIN_AID));
      const handedOver = makeKeySet(handover!.keyVersion, parseHex(handover!.keys.enc), parseHex(handover!.keys.mac), parseHex(handover!.keys.dek));
      for (const sdAid of [TEST_SP_DOMAIN_AID, JPKI_AID]) {
        await expect(GpSession.open(sim, { keys: TEST_MNO_ISD_KEYS, securityLevel: 0x01, sdAid, diversification: 'kdf3' })).rejects.toThrow();
        await expect(GpSession.open(sim, { keys: handedOver, securityLevel: 0x01, sdAid, diversification: 'none' })).rejects.toThrow();
      }

      const transcript = Buffer.concat(wire.exchanges.flatMap((e) => [e.command, e.response]));
      expect(transcript.length).toBeGreaterThan(2000);
      expect(transcript.includes(Buffer.from(pin, 'ascii'))).toBe(false);
      const jwk = userKey.export({ format: 'jwk' });
      for (const part of ['p', 'q', 'd', 'dp', 'dq', 'qi'] as const) {
        const bytes = Buffer.from(jwk[part]!, 'base64url');
        for (let k = 0; k + 16 <= bytes.length; k += 16)
          expect({ part, at: k, found: transcript.includes(bytes.subarray(k, k + 16)) }).toEqual({ part, at: k, found: false });
      }
      // The credential works as written: the PIN verifies, the SIM signs.
      const client = new JpkiClient(sim);
      await client.selectApplication();
      await client.verifyPin(pin);
    },
  );

  // ---- 4. The application's signature (the revocation last: it ends this card's applications) ------

  run(
    "an application signed by another key than its certificate's (422 bad-signature), or signed long ago (422 stale-application), is refused",
    async () => {
      const application = await signed(simCertificates[0]!);
      const stranger = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
      const resigned = { ...application, signature: signData('sha256', Buffer.from(application.document, 'base64'), stranger).toString('base64') };
      expect(await post(`${spUrl}/applications`, resigned)).toMatchObject({ status: 422, body: { error: { code: 'bad-signature' } } });
      const stale = await signed(simCertificates[0]!, 'on-card', new Date(Date.now() - 60 * 60_000));
      expect(await post(`${spUrl}/applications`, stale)).toMatchObject({ status: 422, body: { error: { code: 'stale-application' } } });
      const early = await signed(simCertificates[0]!, 'on-card', new Date(Date.now() + 60 * 60_000));
      expect(await post(`${spUrl}/applications`, early)).toMatchObject({ status: 422, body: { error: { code: 'stale-application' } } });
    },
  );

  run('an application signed with a revoked signature certificate is refused (403 signature-certificate-invalid)', async () => {
    const serial = new X509Certificate(signatureCertificate).serialNumber;
    const accepted = await signed(simCertificates[0]!);
    expect((await post(`${spUrl}/applications`, accepted)).status).toBe(201);
    await callJson('JPKI system', `${jpkiUrl}/certificates/${serial}/revoke`, { body: { reason: 'keyCompromise' } });
    expect(await post(`${spUrl}/applications`, await signed(simCertificates[0]!))).toMatchObject({
      status: 403,
      body: { error: { code: 'signature-certificate-invalid' } },
    });
  });
});
