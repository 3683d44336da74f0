import { createHash, X509Certificate } from 'node:crypto';
import { runIssuanceStory, STORY_PIN } from '../../src/services/demo/issuance-story.js';
import { signIn, whoAmI } from '../../src/services/device-agent/sign-in.js';
import { JpkiClient, JpkiFile } from '../../src/jpki/client/client.js';
import { loadJpkiPki } from '../../src/services/jpki-system/pki.js';
import { type RunningIssuanceSystem } from '../../src/services/issuance-system.js';
import { callJson } from '../../src/services/http/client.js';
import { callPinnedJson } from '../../src/services/http/pinned-client.js';
import { startRelyingParty } from '../../src/services/relying-party/service.js';
import { makeTestTlsIdentity } from '../../src/services/relying-party/tls.js';
import type { OpenedDatabase } from '../../src/services/db/database.js';
import { SimTransport } from '../../src/transport/sim.js';
import { announceSkip, simulatorJarBuilt } from '../support.js';
import { startSystemOn, testDatabases } from './databases.js';

if (!simulatorJarBuilt()) announceSkip('relying party', 'simulator jar missing (ant simulator)');
const run = simulatorJarBuilt() ? test : test.skip;

const b64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64');

interface Challenge {
  readonly id: string;
  readonly challenge: string;
  readonly expiresAt: string;
}

describe.each(testDatabases('relying party'))('the relying party (UI app sign-in) on $name', (database) => {
  let system: RunningIssuanceSystem;
  let opened: OpenedDatabase;
  let close: (() => Promise<void>) | undefined;
  let myNumberCard: SimTransport;
  let sim: SimTransport;
  let url: string;
  let ca: string;
  let simCertificate: X509Certificate;
  let root: Uint8Array;

  const call = (rp: string, pinned: string, route: string, body?: unknown): Promise<unknown> =>
    callPinnedJson('relying party', `${rp}${route}`, { ca: pinned, method: 'POST', ...(body !== undefined ? { body } : {}) });

  /** What the device agent sends, made by hand so that a test can change one part of it. */
  async function signedBy(challenge: string): Promise<{ certificate: string; caCertificate: string; signature: string }> {
    const client = new JpkiClient(sim);
    await client.selectApplication();
    const certificate = await client.readFile(JpkiFile.AuthCertificate);
    const caCertificate = await client.readFile(JpkiFile.AuthCaCertificate);
    await client.verifyPin(STORY_PIN);
    const signature = await client.sign('sha256', Buffer.from(challenge, 'base64'));
    return { certificate: b64(certificate), caCertificate: b64(caCertificate), signature: b64(signature) };
  }

  beforeAll(async () => {
    ({ system, opened, close } = await startSystemOn(database));
    url = system.urls['relying-party']!;
    ca = system.relyingPartyCertificate!;
    root = (await loadJpkiPki()).root.der;
    if (!simulatorJarBuilt()) return;
    myNumberCard = await SimTransport.open({ myNumberCard: true });
    sim = await SimTransport.open({});
    const story = await runIssuanceStory({ myNumberCard, sim }, { system });
    simCertificate = new X509Certificate(story.simCertificate);
  }, 180_000);

  afterAll(async () => {
    await Promise.all([myNumberCard?.close(), sim?.close()]);
    await close?.();
  });

  run('the relying party is started with the issuance system, on HTTPS, with a certificate for the loopback names', () => {
    expect(url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const cert = new X509Certificate(ca);
    expect(cert.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(cert.checkHost('localhost')).toBe('localhost');
  });

  run(
    'the SIM signs in: the session names its certificate, GET /sessions/me answers who is signed in, the database holds only the token digest',
    async () => {
      const result = await signIn({ url, ca, sim, pin: STORY_PIN });
      expect(result.serial).toBe(simCertificate.serialNumber);
      expect(result.subject).toBe(simCertificate.subject.replace(/\n/g, ', '));
      expect(result.signMs).toBeGreaterThan(0);
      expect(result.totalMs).toBeGreaterThan(result.signMs);
      const me = await whoAmI(url, ca, result.session);
      expect(me).toMatchObject({ serial: simCertificate.serialNumber, subject: result.subject, issuer: simCertificate.issuer.replace(/\n/g, ', ') });
      await expect(whoAmI(url, ca, 'A'.repeat(43))).rejects.toMatchObject({ status: 401, code: 'not-signed-in' });
      await expect(callPinnedJson('relying party', `${url}/sessions/me`, { ca, method: 'GET' })).rejects.toMatchObject({
        status: 401,
        code: 'not-signed-in',
      });

      const rows = await opened.db.selectFrom('rp_sign_ins').selectAll().where('certificate_serial', '=', simCertificate.serialNumber).execute();
      const row = rows.find((r) => r.token_hash === createHash('sha256').update(result.session).digest('hex'));
      expect(row).toBeDefined();
      expect(JSON.stringify(rows)).not.toContain(result.session);
    },
  );

  run('a restarted relying party keeps the sessions (they are in the database)', async () => {
    const result = await signIn({ url, ca, sim, pin: STORY_PIN });
    const again = await startRelyingParty({ db: opened.db, root });
    try {
      expect(again.certificate).not.toBe(ca);
      expect(await whoAmI(again.url, again.certificate, result.session)).toMatchObject({ serial: simCertificate.serialNumber });
    } finally {
      await again.close();
    }
  });

  run('a replayed challenge is refused (409 challenge-used)', async () => {
    const c = (await call(url, ca, '/challenges')) as Challenge;
    expect(Buffer.from(c.challenge, 'base64')).toHaveLength(32);
    const evidence = await signedBy(c.challenge);
    expect(await call(url, ca, '/sessions', { challengeId: c.id, ...evidence })).toMatchObject({ serial: simCertificate.serialNumber });
    await expect(call(url, ca, '/sessions', { challengeId: c.id, ...evidence })).rejects.toMatchObject({ status: 409, code: 'challenge-used' });
  });

  run('a signature over another challenge is refused (401 signature-invalid), and spends the challenge it named', async () => {
    const named = (await call(url, ca, '/challenges')) as Challenge;
    const other = (await call(url, ca, '/challenges')) as Challenge;
    expect(other.challenge).not.toBe(named.challenge);
    const evidence = await signedBy(other.challenge);
    await expect(call(url, ca, '/sessions', { challengeId: named.id, ...evidence })).rejects.toMatchObject({
      status: 401,
      code: 'signature-invalid',
    });
    await expect(call(url, ca, '/sessions', { challengeId: named.id, ...(await signedBy(named.challenge)) })).rejects.toMatchObject({
      status: 409,
      code: 'challenge-used',
    });
    // The other challenge, with its own signature, still works.
    expect(await call(url, ca, '/sessions', { challengeId: other.id, ...evidence })).toMatchObject({ serial: simCertificate.serialNumber });
  });

  run("a certificate for another key (the CA certificate sent as the user's) is refused (401 signature-invalid)", async () => {
    const c = (await call(url, ca, '/challenges')) as Challenge;
    const evidence = await signedBy(c.challenge);
    await expect(call(url, ca, '/sessions', { challengeId: c.id, ...evidence, certificate: evidence.caCertificate })).rejects.toMatchObject({
      status: 401,
      code: 'signature-invalid',
    });
  });

  run('an expired challenge is refused (410 challenge-expired)', async () => {
    let clock = Date.now();
    const rp = await startRelyingParty({ db: opened.db, root, now: () => new Date(clock), challengeLifetimeMs: 120_000 });
    try {
      const c = (await call(rp.url, rp.certificate, '/challenges')) as Challenge;
      expect(Date.parse(c.expiresAt) - clock).toBe(120_000);
      const evidence = await signedBy(c.challenge);
      clock += 120_001;
      await expect(call(rp.url, rp.certificate, '/sessions', { challengeId: c.id, ...evidence })).rejects.toMatchObject({
        status: 410,
        code: 'challenge-expired',
      });
    } finally {
      await rp.close();
    }
  });

  run("with the clock past the certificate's notAfter the sign-in is refused as expired (403 certificate-expired)", async () => {
    const late = new Date(Date.parse(simCertificate.validTo) + 86_400_000);
    const rp = await startRelyingParty({ db: opened.db, root, now: () => late });
    try {
      await expect(signIn({ url: rp.url, ca: rp.certificate, sim, pin: STORY_PIN })).rejects.toMatchObject({
        status: 403,
        code: 'certificate-expired',
      });
    } finally {
      await rp.close();
    }
    // The same SIM on the same day as the certificate: accepted by a relying party on the real clock.
    const day = new Date(Date.parse(simCertificate.validTo) - 86_400_000);
    const inTime = await startRelyingParty({ db: opened.db, root, now: () => day });
    try {
      expect(await signIn({ url: inTime.url, ca: inTime.certificate, sim, pin: STORY_PIN })).toMatchObject({ serial: simCertificate.serialNumber });
    } finally {
      await inTime.close();
    }
  });

  run('a plain-HTTP client, a client trusting only the system CAs, or one pinning another certificate cannot connect', async () => {
    const plain = url.replace(/^https:/, 'http:');
    await expect(fetch(`${plain}/challenges`, { method: 'POST' })).rejects.toThrow();
    await expect(callJson('relying party', `${url}/challenges`, { body: {} })).rejects.toMatchObject({ code: 'unreachable' });
    const stranger = await makeTestTlsIdentity();
    await expect(call(url, stranger.cert, '/challenges')).rejects.toMatchObject({ code: 'untrusted-server' });
    await expect(signIn({ url, ca: stranger.cert, sim, pin: STORY_PIN })).rejects.toMatchObject({ code: 'untrusted-server' });
    await expect(signIn({ url: plain, ca, sim, pin: STORY_PIN })).rejects.toMatchObject({ code: 'not-https' });
    // The pinned certificate itself connects.
    expect(await call(url, ca, '/challenges')).toMatchObject({ id: expect.any(String) as string });
  });

  run('after the SIM certificate is revoked at the JPKI system, the sign-in is refused with the OCSP reason (403 certificate-revoked)', async () => {
    const jpkiUrl = system.urls['jpki-system']!;
    await callJson('JPKI system', `${jpkiUrl}/certificates/${simCertificate.serialNumber}/revoke`, { body: { reason: 'keyCompromise' } });
    const refused = signIn({ url, ca, sim, pin: STORY_PIN });
    await expect(refused).rejects.toMatchObject({ status: 403, code: 'certificate-revoked' });
    await expect(refused).rejects.toThrow(/keyCompromise/);
  });
});
