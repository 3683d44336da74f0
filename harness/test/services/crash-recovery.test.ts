/**
 * kill -9 of the SP-TSM while it personalises 20 SIMs at once, then a restart on the same database: the
 * device agents keep re-sending their reports, the new process resumes every write from the SIM's own
 * state, and every SIM ends personalised (or untouched), in agreement with the database.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createPrivateKey, createSign, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readCardAuthorityCertificate } from '../../src/gp/card-authority.js';
import { JpkiClient } from '../../src/jpki/client/client.js';
import { runRemoteSession, type AgentResult } from '../../src/services/device-agent/agent.js';
import { openDatabase } from '../../src/services/db/database.js';
import { callJson } from '../../src/services/http/client.js';
import { startIssuanceSystem } from '../../src/services/issuance-system.js';
import { signApplication } from '../../src/services/sp-tsm/application.js';
import { Mailbox } from '../../src/services/sp-tsm/mailbox.js';
import type { WriteAuthorisation } from '../../src/services/sp-tsm/service.js';
import { packageRoot } from '../../src/package-root.js';
import { SimTransport } from '../../src/transport/sim.js';
import { announceSkip, simulatorJarBuilt } from '../support.js';
import { testDatabases } from './databases.js';

const SIMS = Number(process.env.JPKI_CRASH_SIMS ?? 20);
const debug = (line: string): void => {
  if (process.env.JPKI_CRASH_DEBUG) process.stderr.write(`${new Date().toISOString()} ${line}\n`);
};
const CLI = path.join(packageRoot(), 'dist', 'harness', 'src', 'cli', 'main.js');

if (!simulatorJarBuilt()) announceSkip('SP-TSM crash recovery', 'simulator jar missing (ant simulator)');
const run = simulatorJarBuilt() ? test : test.skip;

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
    s.once('error', reject);
  });
}

/** `jpki-harness serve --roles sp-tsm` as its own process; resolves once it listens. */
function startSpTsm(args: string[]): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, 'serve', '--roles', 'sp-tsm', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    // Never outlive the test run, however it ends.
    const reap = (): void => void child.kill('SIGKILL');
    process.once('exit', reap);
    child.once('exit', () => process.off('exit', reap));
    let out = '';
    let err = '';
    const timer = setTimeout(() => reject(new Error(`the SP-TSM did not start: ${out} ${err}`)), 20_000);
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (/^sp-tsm\s+http/m.test(out)) {
        clearTimeout(timer);
        resolve(child);
      }
    });
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the SP-TSM exited (${code}): ${err}`));
    });
  });
}

/** A TEST applicant: a Node key certified by the JPKI system's signature CA. */
async function applicant(jpkiUrl: string): Promise<{ certificate: Uint8Array; key: KeyObject }> {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const a = (await callJson('JPKI system', `${jpkiUrl}/signature-certificates`, {
    body: { subjectPublicKeyInfo: publicKey.export({ format: 'der', type: 'spki' }).toString('base64'), subject: 'CN=TEST Crash Applicant, C=JP' },
  })) as { certificate: string };
  return {
    certificate: new Uint8Array(Buffer.from(a.certificate, 'base64')),
    key: createPrivateKey(privateKey.export({ format: 'pem', type: 'pkcs8' })),
  };
}

describe.each(testDatabases('SP-TSM crash recovery'))('kill -9 of the SP-TSM during personalisation, on $name', (database) => {
  run(
    `${SIMS} SIMs being personalised, the SP-TSM killed and restarted: every SIM ends personalised or untouched`,
    async () => {
      const dir = mkdtempSync(path.join(tmpdir(), 'jpki-crash-'));
      const others = await database.create();
      const spState = await database.create();
      const system = await startIssuanceSystem({ database: others.url, dataDirectory: dir, roles: ['jpki-system', 'mno-tsm'] });
      const port = await freePort();
      const spArgs = [
        '--db',
        spState.url,
        '--data',
        dir,
        '--port',
        String(port - 2),
        '--jpki-system-url',
        system.urls['jpki-system']!,
        '--mno-tsm-url',
        system.urls['mno-tsm']!,
      ];
      let sp = await startSpTsm(spArgs);
      const spUrl = `http://127.0.0.1:${port}`;
      debug('SP-TSM up');
      const sims = await SimTransport.openSeveral(SIMS);
      debug('SIMs up');
      const watch = await openDatabase(spState.url);
      try {
        const who = await applicant(system.urls['jpki-system']!);
        const mailbox = new Mailbox(path.join(dir, 'mailbox'));
        const authorised = await Promise.all(
          sims.cards.map(async (sim, i) => {
            const signed = await signApplication(
              { certificate: who.certificate, sign: (data) => Promise.resolve(new Uint8Array(createSign('sha256').update(data).sign(who.key))) },
              {
                contact: `crash-${i}`,
                simCertificate: await readCardAuthorityCertificate(sim),
                keyGeneration: i % 2 === 0 ? 'jpki-system' : 'on-card',
                pinPolicy: 'pin-required',
              },
              'crash-test-Passw0rd',
            );
            const applied = (await callJson('SP-TSM', `${spUrl}/applications`, { body: signed })) as { id: string };
            const code = mailbox.latestAccessCode(`crash-${i}`, applied.id)!;
            const session = (await callJson('SP-TSM', `${spUrl}/applications/${applied.id}/write-sessions`, {
              body: { accessCode: code, password: 'crash-test-Passw0rd', pin: '2468' },
            })) as WriteAuthorisation;
            return { application: applied.id, session };
          }),
        );
        const applications = authorised.map((a) => a.application);
        const sessions = authorised.map((a) => a.session);
        debug('write sessions authorised');
        let restarts = 0;
        const agents: Promise<AgentResult | Error>[] = sims.cards.map((card, i) =>
          runRemoteSession(sessions[i]!.remoteUrl, sessions[i]!.token, card, {
            retryWindowMs: 90_000,
            onRestart: () => restarts++,
            onStep: (s) => debug(`sim ${i}: ${s}`),
            onRetry: (n, r) => debug(`sim ${i}: retry ${n} ${r}`),
          })
            .then((r) => (debug(`sim ${i}: ${r.outcome}`), r))
            .catch((e: unknown) => (debug(`sim ${i}: ${String(e)}`), e as Error)),
        );

        // Kill while some SIMs are personalised and others are not yet.
        const personalisedAt = async (): Promise<number> =>
          (
            await watch.db
              .selectFrom('sp_events')
              .select(({ fn }) => fn.countAll<number>().as('n'))
              .where('step', '=', 'personalised')
              .executeTakeFirstOrThrow()
          ).n;
        const deadline = Date.now() + 120_000;
        while ((await personalisedAt()) < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
        const atKill = await personalisedAt();
        debug(`kill at ${atKill}`);
        sp.kill('SIGKILL');
        await new Promise((r) => sp.once('exit', r));
        expect(atKill).toBeLessThan(SIMS);
        sp = await startSpTsm(spArgs);
        debug('SP-TSM restarted');

        const results = await Promise.all(agents);
        expect(restarts).toBeGreaterThan(0);
        const rows = await watch.db.selectFrom('sp_applications').select(['id', 'state', 'key_fingerprint', 'designated_card']).execute();
        expect(rows).toHaveLength(SIMS);
        for (const [i, card] of sims.cards.entries()) {
          const client = new JpkiClient(card);
          await client.selectApplication();
          const info = await client.information();
          const row = rows.find((r) => r.id === applications[i]);
          const result = results[i];
          if (result instanceof Error || result?.outcome !== 'personalised') {
            // Untouched: the credential is not on the SIM and the application is not marked personalised.
            expect(info.lifecycle).not.toBe('personalised');
            expect(row?.state).not.toBe('personalised');
          } else {
            expect(info.lifecycle).toBe('personalised');
            expect(result.detail.keyFingerprint).toBe(info.publicKeyFingerprint);
          }
        }
        const personalised = rows.filter((r) => r.state === 'personalised');
        // In this run nothing should have been lost: every write resumed and finished.
        expect(personalised).toHaveLength(SIMS);
        expect(results.filter((r) => r instanceof Error)).toEqual([]);
      } finally {
        sp.kill('SIGKILL');
        await watch.db.destroy();
        await sims.close();
        await system.close();
        await others.dispose();
        await spState.dispose();
      }
    },
    300_000,
  );
});
