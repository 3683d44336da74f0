import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { ToolMissingError } from '../../src/errors.js';
import { requestRevocation } from '../../src/services/applicant/apply.js';
import { runIssuanceStory, STORY_CARD_PASSWORD, STORY_PIN, type StoryResult } from '../../src/services/demo/issuance-story.js';
import { type RunningIssuanceSystem } from '../../src/services/issuance-system.js';
import { loadJpkiPki } from '../../src/services/jpki-system/pki.js';
import { ocspUrlOf } from '../../src/services/verifier/check.js';
import { ExternalToolError } from '../../src/services/verifier/external-tool.js';
import { crlUrlOf, fetchCrl, opensslOcsp, opensslVerifyWithCrl, type OpensslChain } from '../../src/services/verifier/openssl-check.js';
import { authenticateWithPkcs11 } from '../../src/services/verifier/pkcs11.js';
import { SimulatorProcess } from '../../src/sim/simulator-process.js';
import { packageRoot } from '../../src/package-root.js';
import { SimTransport } from '../../src/transport/sim.js';
import { announceSkip, openOwnCard } from '../support.js';
import { startSystemOn, testDatabases } from './databases.js';
import { openscSkipReason } from '../opensc-support.js';

/**
 * The card-emulation use case judged by an independent client: a SIM issued through the real services
 * (JPKI system, SP-TSM, MNO-TSM, device agent over PC/SC), then unmodified OpenSC's PKCS#11 module signs a
 * fresh challenge and reads the certificates, and openssl checks revocation by OCSP and by CRL.
 */
const exec = promisify(execFile);
const SLOT_PORT = 35964;
const READER = 'Virtual PCD 00 01';
/** This suite's own ATR ("JPKI-P11"): vpcd's slot is shared, and only this card may be tested here. */
const ATR = '3B8880014A504B492D5031316C';
/** Another suite may hold the slot for minutes: wait for it rather than fail. */
const SLOT_WAIT_MS = 8 * 60_000;
const CLI = path.join(packageRoot(), 'dist', 'harness', 'src', 'cli', 'main.js');

const reason = await openscSkipReason(SLOT_PORT, ['openssl']);
if (reason) announceSkip('the OpenSC verifier on an issued SIM', reason);
const maybe = (reason ? describe.skip.each : describe.each)(testDatabases('the OpenSC verifier on an issued SIM'));

maybe('OpenSC as the reader-side client of a SIM issued through the services, on $name', (database) => {
  let system: RunningIssuanceSystem;
  let close: (() => Promise<void>) | undefined;
  let simulator: SimulatorProcess | undefined;
  let myNumberCard: SimTransport | undefined;
  let story: StoryResult;
  let chain: OpensslChain;
  const timings: string[] = [];

  beforeAll(async () => {
    ({ system, close } = await startSystemOn(database));
    simulator = SimulatorProcess.start({ connect: `127.0.0.1:${SLOT_PORT}`, atr: ATR }).process;
    myNumberCard = await SimTransport.open({ myNumberCard: true });
    const sim = await openOwnCard(READER, ATR, SLOT_WAIT_MS);
    try {
      story = await runIssuanceStory({ myNumberCard, sim }, { system });
    } finally {
      // The harness lets go of the reader: from here on only OpenSC talks to the SIM.
      await sim.close();
    }
    const pki = await loadJpkiPki();
    chain = { certificate: story.simCertificate, issuer: pki.authorities['user-authentication'].der, root: pki.root.der };
  }, SLOT_WAIT_MS + 180_000);

  afterAll(async () => {
    if (timings.length > 0) process.stderr.write(`OpenSC verifier on ${database.name}: ${timings.join('; ')}\n`);
    await myNumberCard?.close();
    await simulator?.stop();
    await close?.();
  });

  const authenticate = (now?: Date) => authenticateWithPkcs11({ root: chain.root, pin: STORY_PIN, reader: READER, ...(now ? { now } : {}) });

  test("pkcs15-tool lists the JPKI system's certificate on the SIM, not the TEST vector one, and reads it byte for byte", async () => {
    const serial = new X509Certificate(story.simCertificate).serialNumber;
    const { stdout } = await exec('pkcs15-tool', ['--reader', READER, '--list-certificates']);
    expect(stdout).toContain('User Authentication Certificate]');
    expect(stdout.replace(/\s/g, '')).toContain(serial);
    expect(stdout).not.toContain('1234ABCD');
    const { stdout: read } = await exec('pkcs15-tool', ['--reader', READER, '--read-certificate', '01']);
    expect(new X509Certificate(read).raw.equals(Buffer.from(story.simCertificate))).toBe(true);
  });

  test('a wrong PIN: OpenSC refuses to sign, and the error names neither the PIN nor passes it on the command line', async () => {
    const wrong = '9071';
    const failure = await authenticateWithPkcs11({ root: chain.root, pin: wrong, reader: READER }).catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(ExternalToolError);
    expect((failure as Error).message).toMatch(/could not sign.*CKR_PIN_INCORRECT/);
    expect((failure as Error).message).not.toContain(wrong);
    // The wrong PIN reached the card as a VERIFY (a malformed one would cost nothing): one try gone.
    const { stdout } = await exec('pkcs15-tool', ['--reader', READER, '--list-pins']);
    expect(stdout).toMatch(/User Authentication PIN[\s\S]*Tries left\s+:\s+2/);
  });

  test("the PIN is not on pkcs11-tool's command line: it is handed over as env:, and the correct PIN restores the tries", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'jpki-p11-argv-'));
    const log = path.join(dir, 'argv.log');
    const wrapper = path.join(dir, 'pkcs11-tool');
    writeFileSync(wrapper, `#!/bin/sh\nprintf '%s\\n' "$*" >> '${log}'\nexec pkcs11-tool "$@"\n`, { mode: 0o700 });
    const result = await authenticateWithPkcs11({ root: chain.root, pin: STORY_PIN, reader: READER, tool: wrapper });
    expect(result.accepted).toBe(true);
    const argv = readFileSync(log, 'utf8');
    expect(argv).toContain('--login --pin env:JPKI_PKCS11_PIN --sign');
    expect(argv.split('\n').filter(Boolean)).toHaveLength(3);
    expect(argv.split(/\s+/)).not.toContain(STORY_PIN);
    const { stdout } = await exec('pkcs15-tool', ['--reader', READER, '--list-pins']);
    expect(stdout).toMatch(/User Authentication PIN[\s\S]*Tries left\s+:\s+3/);
  });

  test("OpenSC's PKCS#11 module signs a fresh challenge with the SIM; the verifier accepts (signature, chain, OCSP good)", async () => {
    const result = await authenticate();
    timings.push(`accepted: pkcs11-tool sign ${result.signMs.toFixed(0)} ms, whole verification ${result.totalMs.toFixed(0)} ms`);
    expect(result).toMatchObject({ accepted: true, serial: new X509Certificate(story.simCertificate).serialNumber, ocsp: { status: 'good' } });
    expect(result.reason).toBeUndefined();
    expect(result.subject).toBe(new X509Certificate(story.simCertificate).subject.replace(/\n/g, ', '));
    expect(result.signMs).toBeGreaterThan(0);
    expect(result.totalMs).toBeGreaterThanOrEqual(result.signMs);
  });

  test('openssl: OCSP says good, and the chain verifies against the current CRL', async () => {
    const ocspUrl = ocspUrlOf(chain.certificate)!;
    expect(await opensslOcsp(chain, ocspUrl)).toMatchObject({ status: 'good' });
    const crlUrl = crlUrlOf(chain.certificate);
    expect(crlUrl).toBe(`${system.urls['jpki-system']}/crl/user-authentication.crl`);
    const verdict = await opensslVerifyWithCrl(chain, await fetchCrl(crlUrl!));
    expect(verdict).toMatchObject({ ok: true });
  });

  test('jpki-harness authenticate --pkcs11: accepted through OpenSC; without --pin a usage error, without the module exit code 2', async () => {
    const { stdout } = await exec('node', [CLI, 'authenticate', '--pkcs11', '-r', READER, '--pin', STORY_PIN, '--json']);
    expect(JSON.parse(stdout)).toMatchObject({
      accepted: true,
      serial: new X509Certificate(story.simCertificate).serialNumber,
      ocsp: { status: 'good' },
    });
    const failed = (args: string[]): Promise<{ code?: number; stderr?: string }> =>
      exec('node', [CLI, 'authenticate', ...args]).then(
        () => ({}),
        (e: unknown) => e as { code?: number; stderr?: string },
      );
    const noPin = await failed(['--pkcs11', '-r', READER]);
    expect(noPin.code).toBe(2);
    expect(noPin.stderr).toMatch(/--pkcs11 needs --pin/);
    const noModule = await failed(['--pkcs11', '/nonexistent/opensc-pkcs11.so', '-r', READER, '--pin', STORY_PIN]);
    expect(noModule.code).toBe(2);
    expect(noModule.stderr).toMatch(/no such PKCS#11 module: install OpenSC/);
  });

  test('an expired credential is refused (the verifier’s clock past notAfter)', async () => {
    const notAfter = Date.parse(new X509Certificate(story.simCertificate).validTo);
    const result = await authenticate(new Date(notAfter + 86_400_000));
    expect(result).toMatchObject({ accepted: false, reason: 'certificate expired' });
    expect(result.ocsp).toBeUndefined();
  });

  test('revoked by the applicant (lost phone): the verifier refuses with the reason; openssl OCSP says revoked; CRL verify fails', async () => {
    const revoked = await requestRevocation({
      spTsmUrl: system.urls['sp-tsm']!,
      applicationId: story.applicationId,
      myNumberCard: myNumberCard!,
      signaturePassword: STORY_CARD_PASSWORD,
      ground: 'lost',
    });
    expect(revoked.revokedCertificate).toBe(new X509Certificate(story.simCertificate).serialNumber);

    const result = await authenticate();
    timings.push(`refused: whole verification ${result.totalMs.toFixed(0)} ms`);
    expect(result).toMatchObject({ accepted: false, reason: 'OCSP: revoked (keyCompromise)', ocsp: { status: 'revoked', reason: 'keyCompromise' } });

    expect(await opensslOcsp(chain, ocspUrlOf(chain.certificate)!)).toMatchObject({ status: 'revoked', reason: 'keyCompromise' });
    const verdict = await opensslVerifyWithCrl(chain, await fetchCrl(crlUrlOf(chain.certificate)!));
    expect(verdict.ok).toBe(false);
    expect(verdict.error).toBe('certificate revoked');
  });

  test('without OpenSC the error says what is missing', async () => {
    await expect(
      authenticateWithPkcs11({ root: chain.root, pin: STORY_PIN, reader: READER, module: '/nonexistent/opensc-pkcs11.so' }),
    ).rejects.toThrow(ToolMissingError);
    const missing = await authenticateWithPkcs11({ root: chain.root, pin: STORY_PIN, reader: READER, tool: 'pkcs11-tool-not-installed' }).catch(
      (e: unknown) => e,
    );
    expect(missing).toBeInstanceOf(ToolMissingError);
    expect((missing as Error).message).toMatch(/pkcs11-tool-not-installed is not available: install OpenSC/);
  });
});
