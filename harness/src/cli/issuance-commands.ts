/**
 * CLI of the issuance system: `serve` runs the services; `apply`, `write` and `status` are the applicant's
 * and the device agent's side; `demo` runs the source document's flow ①–⑱ on two simulated cards.
 */
import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import { addCardOptions, cardOptionsFrom, positiveInteger, type CardCliOptions } from './options.js';

const DEFAULT_SP_TSM = 'http://127.0.0.1:8472';

const seconds = (ms: number): string => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`);

function roleList(text: string): ('jpki-system' | 'mno-tsm' | 'sp-tsm')[] {
  const roles = text.split(',').map((r) => r.trim());
  const all = ['jpki-system', 'mno-tsm', 'sp-tsm'] as const;
  if (roles.includes('all')) return [...all];
  for (const r of roles) if (!(all as readonly string[]).includes(r)) throw new UsageError(`--roles: unknown role '${r}' (jpki-system, mno-tsm, sp-tsm, all)`);
  return roles as ('jpki-system' | 'mno-tsm' | 'sp-tsm')[];
}

export function registerIssuanceCommands(program: Command): void {
  program
    .command('serve')
    .description('run the issuance services: test JPKI system (CA, CRL, OCSP), MNO-TSM, SP-TSM (HTTP on loopback)')
    .option('--roles <list>', 'which services: jpki-system, mno-tsm, sp-tsm or all (comma-separated)', 'all')
    .option('--db <url>', 'state: a SQLite file, or a postgres:// URL', 'jpki-services/state.sqlite')
    .option('--data <dir>', 'data folder (the mailbox for access codes)', 'jpki-services')
    .option('--host <address>', 'listen address', '127.0.0.1')
    .option('--port <n>', "first port: JPKI system; operator A's MNO-TSM +1; SP-TSM +2; operator B's MNO-TSM +11", '8470')
    .option('--jpki-system-url <url>', 'the JPKI system, when it runs elsewhere')
    .option('--mno-tsm-url <url>', "operator A's MNO-TSM, when it runs elsewhere")
    .option('--operator-url <name=url...>', "another operator's MNO-TSM, when it runs elsewhere (repeatable)")
    .addHelpText(
      'after',
      `
All keys are the TEST keys of the simulator and test-vectors/ (docs/issuance-api.md says which).

Examples:
  $ jpki-harness serve
  $ jpki-harness serve --db postgres://jpki:secret@127.0.0.1/jpki
  $ jpki-harness serve --roles jpki-system,mno-tsm --port 9470`,
    )
    .action(async (o: { roles: string; db: string; data: string; host: string; port: string; jpkiSystemUrl?: string; mnoTsmUrl?: string; operatorUrl?: string[] }) => {
      const { startIssuanceSystem } = await import('../services/issuance-system.js');
      const system = await startIssuanceSystem({
        database: o.db,
        dataDirectory: o.data,
        roles: roleList(o.roles),
        host: o.host,
        basePort: positiveInteger('--port', o.port, 8470),
        ...(o.jpkiSystemUrl ? { jpkiSystemUrl: o.jpkiSystemUrl } : {}),
        ...(o.mnoTsmUrl ? { mnoTsmUrl: o.mnoTsmUrl } : {}),
        ...(o.operatorUrl ? { operatorUrls: operatorUrls(o.operatorUrl) } : {}),
      });
      console.log(`state: ${system.database.description}`);
      for (const [role, url] of Object.entries(system.urls)) console.log(`${role.padEnd(12)} ${url}`);
      for (const [name, url] of Object.entries(system.operators)) console.log(`operator     ${name}: MNO-TSM ${url}`);
      console.log(`mailbox      ${system.mailbox.folder}`);
      await new Promise<void>((resolve) => {
        const stop = (): void => resolve();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      await system.close();
    });

  addCardOptions(
    program
      .command('apply')
      .description("apply for the download (②): sign the application with the My Number card, naming this SIM")
      .requiredOption('--card-reader <name>', "PC/SC reader of the applicant's My Number card")
      .requiredOption('--card-password <password>', "the My Number card's signature password (6–16 A–Z, 0–9)")
      .requiredOption('--password <password>', 'the password chosen for the download (asked again at the write)')
      .requiredOption('--contact <name>', 'where the access code goes (a mailbox name)')
      .option('--sp-tsm <url>', 'the SP-TSM', DEFAULT_SP_TSM)
      .option('--on-card', 'generate the key on the SIM (default: by the JPKI system, delivered sealed)')
      .option('--pin-less', 'PIN-less use of the SIM credential')
      .option('--operator <name>', "the SIM's mobile operator, whose MNO-TSM installs the applet (default: the SP-TSM's first)"),
  )
    .addHelpText('after', '\nThe SIM is the card of the card options (-r).\n\nExample:\n  $ jpki-harness apply -r "Virtual PCD 00 00" --card-reader "Virtual PCD 00 01" --card-password TESTPASS1 --password download-Passw0rd --contact hanako')
    .action(async (o: CardCliOptions & { cardReader: string; cardPassword: string; password: string; contact: string; spTsm: string; onCard?: boolean; pinLess?: boolean; operator?: string }) => {
      const { openCard } = await import('../transport/open.js');
      const { apply } = await import('../services/applicant/apply.js');
      const sim = await openCard(cardOptionsFrom(o));
      const myNumberCard = await openCard({ kind: 'pcsc', reader: o.cardReader, timeoutMs: 10_000 });
      try {
        const result = await apply({
          spTsmUrl: o.spTsm,
          myNumberCard: myNumberCard.transport,
          signaturePassword: o.cardPassword,
          sim: sim.transport,
          downloadPassword: o.password,
          contact: o.contact,
          keyGeneration: o.onCard ? 'on-card' : 'jpki-system',
          pinPolicy: o.pinLess ? 'pin-less' : 'pin-required',
          ...(o.operator !== undefined ? { operator: o.operator } : {}),
        });
        console.log(`application ${result.id}: ${result.state}${result.duplicate ? ' (already received)' : ''}`);
      } finally {
        await myNumberCard.close();
        await sim.close();
      }
    });

  addCardOptions(
    program
      .command('write')
      .description('authorise the write with access code + password and relay it to the SIM as the device agent (⑫–⑱)')
      .requiredOption('--application <id>', 'the application id')
      .requiredOption('--password <password>', 'the download password')
      .option('--access-code <code>', 'the access code')
      .option('--mailbox <dir>', 'read the newest access code from this mailbox folder (with --contact)')
      .option('--contact <name>', 'mailbox name (with --mailbox)')
      .option('--pin <digits>', "the SIM credential's PIN", '1234')
      .option('--sp-tsm <url>', 'the SP-TSM', DEFAULT_SP_TSM),
  )
    .addHelpText('after', '\nExample:\n  $ jpki-harness write -r "Virtual PCD 00 00" --application 6f0c… --mailbox jpki-services/mailbox --contact hanako --password download-Passw0rd')
    .action(async (o: CardCliOptions & { application: string; password: string; accessCode?: string; mailbox?: string; contact?: string; pin: string; spTsm: string }) => {
      let code = o.accessCode;
      if (!code && o.mailbox && o.contact) {
        const { Mailbox } = await import('../services/sp-tsm/mailbox.js');
        code = new Mailbox(o.mailbox).latestAccessCode(o.contact, o.application);
      }
      if (!code) throw new UsageError('give --access-code, or --mailbox and --contact');
      const { openCard } = await import('../transport/open.js');
      const { authoriseAndWrite } = await import('../services/applicant/apply.js');
      const sim = await openCard(cardOptionsFrom(o));
      const started = Date.now();
      try {
        const result = await authoriseAndWrite({
          spTsmUrl: o.spTsm,
          applicationId: o.application,
          accessCode: code,
          downloadPassword: o.password,
          pin: o.pin,
          sim: sim.transport,
          onStep: (step) => process.stderr.write(`  ${step}\n`),
          onRetry: (n, reason) => process.stderr.write(`  connection lost (${reason}); retrying (${n})\n`),
          onRestart: (tsm) => process.stderr.write(`  ${tsm} restarted: resuming from the SIM's state\n`),
        });
        console.log(`${result.outcome}: ${result.commands} APDUs in ${result.batches} batches, ${seconds(Date.now() - started)}${result.detail.keyFingerprint ? `; key ${result.detail.keyFingerprint.slice(0, 16)}…` : ''}`);
      } finally {
        await sim.close();
      }
    });

  program
    .command('revoke')
    .description("revoke the SIM credential of an application (lost or stolen phone, or withdrawn), signed with the My Number card")
    .requiredOption('--application <id>', 'the application id')
    .requiredOption('--card-reader <name>', "PC/SC reader of the applicant's My Number card")
    .requiredOption('--card-password <password>', "the My Number card's signature password")
    .option('--ground <ground>', 'lost, stolen or withdrawn', 'lost')
    .option('--sp-tsm <url>', 'the SP-TSM', DEFAULT_SP_TSM)
    .addHelpText('after', '\nExample:\n  $ jpki-harness revoke --application 6f0c… --card-reader "Virtual PCD 00 01" --card-password TESTPASS1 --ground lost')
    .action(async (o: { application: string; cardReader: string; cardPassword: string; ground: string; spTsm: string }) => {
      const { REVOCATION_GROUNDS } = await import('../services/sp-tsm/revocation.js');
      const ground = REVOCATION_GROUNDS.find((g) => g === o.ground);
      if (!ground) throw new UsageError(`--ground must be one of ${REVOCATION_GROUNDS.join(', ')}`);
      const { openCard } = await import('../transport/open.js');
      const { requestRevocation } = await import('../services/applicant/apply.js');
      const myNumberCard = await openCard({ kind: 'pcsc', reader: o.cardReader, timeoutMs: 10_000 });
      try {
        const result = await requestRevocation({ spTsmUrl: o.spTsm, applicationId: o.application, myNumberCard: myNumberCard.transport, signaturePassword: o.cardPassword, ground });
        console.log(`application ${result.id}: ${result.state}${result.revokedCertificate ? `; certificate ${result.revokedCertificate} revoked (CRL and OCSP)` : ''}`);
      } finally {
        await myNumberCard.close();
      }
    });

  addCardOptions(
    program
      .command('reset-pin')
      .description("reset the SIM credential's PIN (forgotten or blocked): re-identify with the My Number card, the SP-TSM writes the new PIN")
      .requiredOption('--application <id>', 'the application id')
      .requiredOption('--card-reader <name>', "PC/SC reader of the applicant's My Number card")
      .requiredOption('--card-password <password>', "the My Number card's signature password")
      .requiredOption('--pin <digits>', 'the new PIN (4 digits)')
      .option('--sp-tsm <url>', 'the SP-TSM', DEFAULT_SP_TSM),
  )
    .addHelpText('after', '\nThe SIM is the card of the card options (-r).\n\nExample:\n  $ jpki-harness reset-pin -r "Virtual PCD 00 00" --application 6f0c… --card-reader "Virtual PCD 00 01" --card-password TESTPASS1 --pin 2580')
    .action(async (o: CardCliOptions & { application: string; cardReader: string; cardPassword: string; pin: string; spTsm: string }) => {
      const { openCard } = await import('../transport/open.js');
      const { requestPinReset } = await import('../services/applicant/apply.js');
      const sim = await openCard(cardOptionsFrom(o));
      const myNumberCard = await openCard({ kind: 'pcsc', reader: o.cardReader, timeoutMs: 10_000 });
      try {
        const result = await requestPinReset({
          spTsmUrl: o.spTsm,
          applicationId: o.application,
          myNumberCard: myNumberCard.transport,
          signaturePassword: o.cardPassword,
          pin: o.pin,
          sim: sim.transport,
          onStep: (step) => process.stderr.write(`  ${step}\n`),
        });
        console.log(`${result.outcome}: ${result.commands} APDUs`);
      } finally {
        await myNumberCard.close();
        await sim.close();
      }
    });

  addCardOptions(
    program
      .command('check')
      .description("the SIM credential's validity: certificate and information record read from the SIM, chain to the JPKI root, OCSP")
      .option('--root <file>', 'the JPKI root certificate (PEM or DER; default the TEST root in test-vectors/jpki-system)')
      .option('--json', 'print JSON'),
  )
    .addHelpText('after', '\nExit code 1 when the credential is not valid (untrusted, expired, revoked, unknown to OCSP).\n\nExample:\n  $ jpki-harness check -r "Virtual PCD 00 00"')
    .action(async (o: CardCliOptions & { root?: string; json?: boolean }) => {
      const { readFileSync } = await import('node:fs');
      const { X509Certificate } = await import('node:crypto');
      const { openCard } = await import('../transport/open.js');
      const { checkSimCredential } = await import('../services/verifier/check.js');
      const { loadJpkiPki } = await import('../services/jpki-system/pki.js');
      const root = o.root ? new Uint8Array(new X509Certificate(readFileSync(o.root)).raw) : (await loadJpkiPki()).root.der;
      const sim = await openCard(cardOptionsFrom(o));
      try {
        const check = await checkSimCredential(sim.transport, root);
        if (o.json) console.log(JSON.stringify(check, null, 2));
        else {
          console.log(`certificate ${check.serial}: ${check.subject}`);
          console.log(`  valid ${check.notBefore.toISOString()} – ${check.notAfter.toISOString()} (${check.daysLeft} days left); chain ${check.chain}`);
          console.log(`  OCSP ${check.ocspUrl ?? '(no responder named)'}: ${check.ocsp ? `${check.ocsp.status}${check.ocsp.reason ? ` (${check.ocsp.reason})` : ''}, produced ${check.ocsp.producedAt.toISOString()}` : 'not asked'}`);
          console.log(`  applet ${check.information.lifecycle}, PIN tries left ${check.information.pinTriesLeft}, ${check.information.pinPolicy}`);
          console.log(check.valid ? 'valid' : 'NOT valid');
        }
        if (!check.valid) process.exitCode = 1;
      } finally {
        await sim.close();
      }
    });

  addCardOptions(
    program
      .command('authenticate')
      .description('card emulation: as a reader-side verifier, have the SIM sign a fresh challenge; check signature, chain and OCSP')
      .option('--pin <digits>', "the credential's PIN (leave out for a PIN-less credential)")
      .option('--root <file>', 'the JPKI root certificate (PEM or DER; default the TEST root in test-vectors/jpki-system)')
      .option('--json', 'print JSON'),
  )
    .addHelpText('after', '\nExit code 1 when the verifier refuses the credential (revoked, expired, untrusted, bad signature).\n\nExample:\n  $ jpki-harness authenticate -r "Virtual PCD 00 00" --pin 1234')
    .action(async (o: CardCliOptions & { pin?: string; root?: string; json?: boolean }) => {
      const { readFileSync } = await import('node:fs');
      const { X509Certificate } = await import('node:crypto');
      const { openCard } = await import('../transport/open.js');
      const { authenticateByCardEmulation } = await import('../services/verifier/card-emulation.js');
      const { loadJpkiPki } = await import('../services/jpki-system/pki.js');
      const root = o.root ? new Uint8Array(new X509Certificate(readFileSync(o.root)).raw) : (await loadJpkiPki()).root.der;
      const sim = await openCard(cardOptionsFrom(o));
      try {
        const result = await authenticateByCardEmulation(sim.transport, { root, ...(o.pin !== undefined ? { pin: o.pin } : {}) });
        if (o.json) console.log(JSON.stringify(result, null, 2));
        else
          console.log(
            `${result.accepted ? 'accepted' : `REFUSED: ${result.reason ?? ''}`} — certificate ${result.serial} (${result.subject}); SIM signing ${seconds(result.signMs)}, challenge to verdict ${seconds(result.totalMs)}`,
          );
        if (!result.accepted) process.exitCode = 1;
      } finally {
        await sim.close();
      }
    });

  program
    .command('status')
    .description("an application's state and every step the SP-TSM recorded")
    .argument('<application>', 'the application id')
    .option('--sp-tsm <url>', 'the SP-TSM', DEFAULT_SP_TSM)
    .option('--json', 'print JSON')
    .action(async (id: string, o: { spTsm: string; json?: boolean }) => {
      const { applicationStatus } = await import('../services/applicant/apply.js');
      const status = await applicationStatus(o.spTsm, id);
      if (o.json) {
        console.log(JSON.stringify(status, null, 2));
        return;
      }
      console.log(`${status.id}: ${status.state} (key by ${status.keyGeneration})`);
      for (const e of status.events) console.log(`  ${e.at}  ${e.step}${e.detail ? `: ${e.detail}` : ''}`);
    });

  program
    .command('demo')
    .description('the issuance flow ①–⑱ on the simulator: My Number card and SIM, JPKI system, SP-TSM, MNO-TSM, device agent')
    .option('--db <url>', 'state: a SQLite file (default: a new one in a temporary folder) or a postgres:// URL')
    .option('--on-card', 'generate the key on the SIM (default: by the JPKI system)')
    .option('--json', 'print the steps as JSON')
    .addHelpText('after', '\nExamples:\n  $ jpki-harness demo\n  $ jpki-harness demo --on-card --db postgres://jpki:jpki-test@127.0.0.1/postgres')
    .action(async (o: { db?: string; onCard?: boolean; json?: boolean }) => {
      const { SimTransport } = await import('../transport/sim.js');
      const { runIssuanceStory } = await import('../services/demo/issuance-story.js');
      const [myNumberCard, sim] = await Promise.all([SimTransport.open({ myNumberCard: true }), SimTransport.open({})]);
      try {
        const result = await runIssuanceStory(
          { myNumberCard, sim },
          {
            ...(o.db ? { database: o.db } : {}),
            keyGeneration: o.onCard ? 'on-card' : 'jpki-system',
            ...(o.json
              ? {}
              : {
                  onStep: (s) => console.log(`${s.marks.padEnd(6)} ${seconds(s.milliseconds).padStart(8)}  ${s.title}${s.detail ? ` — ${s.detail}` : ''}`),
                  onProgress: (label: string) => console.log(`${''.padEnd(6)} ${''.padStart(8)}    · ${label}`),
                }),
          },
        );
        if (o.json) console.log(JSON.stringify(result.steps, null, 2));
        else console.log(`application → personalised SIM: ${seconds(result.applicationToPersonalisedMs)}`);
      } finally {
        await Promise.all([myNumberCard.close(), sim.close()]);
      }
    });
}

/** `--operator-url name=url` values, by operator name. */
function operatorUrls(values: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const value of values) {
    const m = /^([A-Za-z0-9][A-Za-z0-9._-]*)=(https?:\/\/.+)$/.exec(value);
    if (!m) throw new UsageError(`--operator-url expects NAME=URL, got '${value}'`);
    out[m[1]!] = m[2]!;
  }
  return out;
}
