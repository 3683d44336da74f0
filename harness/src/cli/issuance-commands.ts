/**
 * CLI of the issuance system: `serve` runs the services; `apply`, `write` and `status` are the applicant's
 * and the device agent's side; `sign-in` is the device agent signing in to the relying party; `demo` runs
 * the source document's flow ①–⑱ on two simulated cards.
 */
import type { Command } from 'commander';
import { UsageError } from '../errors.js';
import type { ApplyOptions } from '../services/applicant/apply.js';
import type { WriteAuthorisation } from '../services/sp-tsm/records.js';
import type { Authentication } from '../services/verifier/card-emulation.js';
import type { Transport } from '../transport/transport.js';
import { addCardOptions, cardOptionsFrom, positiveInteger, type CardCliOptions } from './options.js';

const DEFAULT_SP_TSM = 'http://127.0.0.1:8472';
const DEFAULT_RELYING_PARTY = 'https://127.0.0.1:8473';
/** Where `serve` writes the relying party's TLS certificate, and where `sign-in` looks for it to pin. */
const RELYING_PARTY_PEM = 'relying-party.pem';

const seconds = (ms: number): string => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`);

type RoleName = 'jpki-system' | 'mno-tsm' | 'sp-tsm' | 'relying-party';

function roleList(text: string): RoleName[] {
  const roles = text.split(',').map((r) => r.trim());
  const all = ['jpki-system', 'mno-tsm', 'sp-tsm', 'relying-party'] as const;
  if (roles.includes('all')) return [...all];
  for (const r of roles) if (!(all as readonly string[]).includes(r)) throw new UsageError(`--roles: unknown role '${r}' (${all.join(', ')}, all)`);
  return roles as RoleName[];
}

interface ServeOptions {
  roles: string;
  db: string;
  data: string;
  host: string;
  port: string;
  jpkiSystemUrl?: string;
  mnoTsmUrl?: string;
  tlsCert?: string;
  tlsKey?: string;
  operatorUrl?: string[];
}

/** A PEM file the user named; a missing one is a usage error, not a crash. */
async function readPem(option: string, file: string): Promise<string> {
  const { readFile } = await import('node:fs/promises');
  try {
    return await readFile(file, 'utf8');
  } catch (e) {
    throw new UsageError(`${option}: cannot read ${file} (${(e as Error).message})`);
  }
}

/** The two cards an applicant's command needs: the SIM (the card options) and the My Number card (`--card-reader`). */
async function withApplicantCards<T>(
  o: CardCliOptions & { cardReader: string },
  work: (sim: Transport, myNumberCard: Transport) => Promise<T>,
): Promise<T> {
  const { openCard } = await import('../transport/open.js');
  const sim = await openCard(cardOptionsFrom(o));
  try {
    const myNumberCard = await openCard({ kind: 'pcsc', reader: o.cardReader, timeoutMs: 10_000 });
    try {
      return await work(sim.transport, myNumberCard.transport);
    } finally {
      await myNumberCard.close();
    }
  } finally {
    await sim.close();
  }
}

/** What an application (a first one, or a transfer) takes from the command line and the two cards. */
interface ApplicationCliOptions extends CardCliOptions {
  cardReader: string;
  cardPassword: string;
  password: string;
  contact: string;
  spTsm: string;
  onCard?: boolean;
  operator?: string;
}

function applicationChoices(o: ApplicationCliOptions, sim: Transport, myNumberCard: Transport): ApplyOptions {
  return {
    spTsmUrl: o.spTsm,
    myNumberCard,
    signaturePassword: o.cardPassword,
    sim,
    downloadPassword: o.password,
    contact: o.contact,
    keyGeneration: o.onCard ? 'on-card' : 'jpki-system',
    ...(o.operator !== undefined ? { operator: o.operator } : {}),
  };
}

/** Runs a termination session (revocation, transfer) on the SIM in a PC/SC reader, as the device agent; answers the outcome. */
async function terminateThroughReader(termination: WriteAuthorisation, reader: string): Promise<string> {
  const { openCard } = await import('../transport/open.js');
  const { terminateOnSim } = await import('../services/applicant/apply.js');
  const sim = await openCard({ kind: 'pcsc', reader, timeoutMs: 10_000 });
  try {
    return (await terminateOnSim(termination, sim.transport, { onStep: (step) => process.stderr.write(`  ${step}\n`) })).outcome;
  } finally {
    await sim.close();
  }
}

type AuthenticateCliOptions = CardCliOptions & { pin?: string; pkcs11?: string | boolean };

/** `authenticate`: the harness's own APDUs through the card options' transport. */
async function authenticateWithOwnApdus(o: AuthenticateCliOptions, root: Uint8Array): Promise<Authentication> {
  const { openCard } = await import('../transport/open.js');
  const { authenticateByCardEmulation } = await import('../services/verifier/card-emulation.js');
  const sim = await openCard(cardOptionsFrom(o));
  try {
    return await authenticateByCardEmulation(sim.transport, { root, ...(o.pin !== undefined ? { pin: o.pin } : {}) });
  } finally {
    await sim.close();
  }
}

/** `authenticate --pkcs11`: OpenSC is the client; the harness never opens the reader. */
async function authenticateThroughOpensc(o: AuthenticateCliOptions, root: Uint8Array): Promise<Authentication> {
  // OpenSC's JPKI token is login-required whatever the SIM's PIN policy (docs/applet-apdu.md, OpenSC compatibility).
  if (o.pin === undefined) throw new UsageError('--pkcs11 needs --pin: OpenSC logs in before it shows the key, also for a PIN-less credential');
  const { authenticateWithPkcs11 } = await import('../services/verifier/pkcs11.js');
  return authenticateWithPkcs11({
    root,
    pin: o.pin,
    ...(typeof o.pkcs11 === 'string' ? { module: o.pkcs11 } : {}),
    ...(o.reader !== undefined ? { reader: o.reader } : {}),
  });
}

export function registerIssuanceCommands(program: Command): void {
  program
    .command('serve')
    .description('run the issuance services: test JPKI system (CA, CRL, OCSP), MNO-TSM, SP-TSM (HTTP on loopback), relying party (HTTPS)')
    .option('--roles <list>', 'which services: jpki-system, mno-tsm, sp-tsm, relying-party or all (comma-separated)', 'all')
    .option('--db <url>', 'state: a SQLite file, or a postgres:// URL', 'jpki-services/state.sqlite')
    .option('--data <dir>', 'data folder (the mailbox for access codes)', 'jpki-services')
    .option('--host <address>', 'listen address', '127.0.0.1')
    .option('--port <n>', "first port: JPKI system; operator A's MNO-TSM +1; SP-TSM +2; relying party +3; operator B's MNO-TSM +11", '8470')
    .option('--tls-cert <pem>', "the relying party's TLS certificate (default: a TEST one made at start for 127.0.0.1, ::1, localhost)")
    .option('--tls-key <pem>', 'its private key (PKCS#8 PEM), with --tls-cert')
    .option('--jpki-system-url <url>', 'the JPKI system, when it runs elsewhere')
    .option('--mno-tsm-url <url>', "operator A's MNO-TSM, when it runs elsewhere")
    .option('--operator-url <name=url...>', "another operator's MNO-TSM, when it runs elsewhere (repeatable)")
    .addHelpText(
      'after',
      `
All keys are the TEST keys of the simulator and test-vectors/ (docs/issuance-api.md says which).
The relying party's TLS certificate is written to <data>/${RELYING_PARTY_PEM}: sign-in pins it (--ca).

Examples:
  $ jpki-harness serve
  $ jpki-harness serve --db postgres://jpki:secret@127.0.0.1/jpki
  $ jpki-harness serve --roles jpki-system,mno-tsm --port 9470
  $ jpki-harness serve --roles relying-party --tls-cert rp.pem --tls-key rp-key.pem`,
    )
    .action(async (o: ServeOptions) => {
      if ((o.tlsCert === undefined) !== (o.tlsKey === undefined)) throw new UsageError('--tls-cert and --tls-key go together');
      const relyingPartyTls =
        o.tlsCert && o.tlsKey ? { cert: await readPem('--tls-cert', o.tlsCert), key: await readPem('--tls-key', o.tlsKey) } : undefined;
      const { startIssuanceSystem } = await import('../services/issuance-system.js');
      const system = await startIssuanceSystem({
        database: o.db,
        dataDirectory: o.data,
        roles: roleList(o.roles),
        host: o.host,
        basePort: positiveInteger('--port', o.port, 8470),
        ...(o.jpkiSystemUrl ? { jpkiSystemUrl: o.jpkiSystemUrl } : {}),
        ...(o.mnoTsmUrl ? { mnoTsmUrl: o.mnoTsmUrl } : {}),
        ...(relyingPartyTls ? { relyingPartyTls } : {}),
        ...(o.operatorUrl ? { operatorUrls: operatorUrls(o.operatorUrl) } : {}),
      });
      console.log(`state: ${system.database.description}`);
      for (const [role, url] of Object.entries(system.urls)) console.log(`${role.padEnd(14)} ${url}`);
      for (const [name, url] of Object.entries(system.operators)) console.log(`operator       ${name}: MNO-TSM ${url}`);
      console.log(`mailbox        ${system.mailbox.folder}`);
      if (system.relyingPartyCertificate) {
        const { mkdirSync, writeFileSync } = await import('node:fs');
        const path = await import('node:path');
        const pem = path.join(o.data, RELYING_PARTY_PEM);
        mkdirSync(o.data, { recursive: true });
        writeFileSync(pem, system.relyingPartyCertificate);
        console.log(`TLS (pin it)   ${pem}`);
      }
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
      .description('apply for the download (②): sign the application with the My Number card, naming this SIM')
      .requiredOption('--card-reader <name>', "PC/SC reader of the applicant's My Number card")
      .requiredOption('--card-password <password>', "the My Number card's signature password (6–16 A–Z, 0–9)")
      .requiredOption('--password <password>', 'the password chosen for the download (asked again at the write)')
      .requiredOption('--contact <name>', 'where the access code goes (a mailbox name)')
      .option('--sp-tsm <url>', 'the SP-TSM', DEFAULT_SP_TSM)
      .option('--on-card', 'generate the key on the SIM (default: by the JPKI system, delivered sealed)')
      .option('--pin-less', 'PIN-less use of the SIM credential')
      .option('--operator <name>', "the SIM's mobile operator, whose MNO-TSM installs the applet (default: the SP-TSM's first)"),
  )
    .addHelpText(
      'after',
      '\nThe SIM is the card of the card options (-r).\n\nExample:' +
        '\n  $ jpki-harness apply -r "Virtual PCD 00 00" --card-reader "Virtual PCD 00 01" --card-password TESTPASS1' +
        ' --password download-Passw0rd --contact hanako',
    )
    .action(async (o: ApplicationCliOptions & { pinLess?: boolean }) => {
      const { apply } = await import('../services/applicant/apply.js');
      await withApplicantCards(o, async (sim, myNumberCard) => {
        const result = await apply({
          ...applicationChoices(o, sim, myNumberCard),
          pinPolicy: o.pinLess ? 'pin-less' : 'pin-required',
        });
        console.log(`application ${result.id}: ${result.state}${result.duplicate ? ' (already received)' : ''}`);
      });
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
    .addHelpText(
      'after',
      '\nExample:' +
        '\n  $ jpki-harness write -r "Virtual PCD 00 00" --application 6f0c… --mailbox jpki-services/mailbox' +
        ' --contact hanako --password download-Passw0rd',
    )
    .action(
      async (
        o: CardCliOptions & {
          application: string;
          password: string;
          accessCode?: string;
          mailbox?: string;
          contact?: string;
          pin: string;
          spTsm: string;
        },
      ) => {
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
          console.log(
            `${result.outcome}: ${result.commands} APDUs in ${result.batches} batches, ${seconds(Date.now() - started)}` +
              (result.detail.keyFingerprint ? `; key ${result.detail.keyFingerprint.slice(0, 16)}…` : ''),
          );
        } finally {
          await sim.close();
        }
      },
    );

  program
    .command('revoke')
    .description('revoke the SIM credential of an application (lost or stolen phone, or withdrawn), signed with the My Number card')
    .requiredOption('--application <id>', 'the application id')
    .requiredOption('--card-reader <name>', "PC/SC reader of the applicant's My Number card")
    .requiredOption('--card-password <password>', "the My Number card's signature password")
    .option('--ground <ground>', 'lost, stolen or withdrawn', 'lost')
    .option('--sim-reader <name>', 'PC/SC reader of the SIM, when it is still at hand: the applet is terminated there too')
    .option('--sp-tsm <url>', 'the SP-TSM', DEFAULT_SP_TSM)
    .addHelpText(
      'after',
      '\nExamples:\n  $ jpki-harness revoke --application 6f0c… --card-reader "Virtual PCD 00 01" --card-password TESTPASS1 --ground lost' +
        '\n  $ jpki-harness revoke --application 6f0c… --card-reader "Virtual PCD 00 01" --card-password TESTPASS1 --ground withdrawn' +
        ' --sim-reader "Virtual PCD 00 00"',
    )
    .action(async (o: { application: string; cardReader: string; cardPassword: string; ground: string; simReader?: string; spTsm: string }) => {
      const { REVOCATION_GROUNDS } = await import('../services/sp-tsm/applicant-requests.js');
      const ground = REVOCATION_GROUNDS.find((g) => g === o.ground);
      if (!ground) throw new UsageError(`--ground must be one of ${REVOCATION_GROUNDS.join(', ')}`);
      const { openCard } = await import('../transport/open.js');
      const { requestRevocation } = await import('../services/applicant/apply.js');
      const myNumberCard = await openCard({ kind: 'pcsc', reader: o.cardReader, timeoutMs: 10_000 });
      try {
        const result = await requestRevocation({
          spTsmUrl: o.spTsm,
          applicationId: o.application,
          myNumberCard: myNumberCard.transport,
          signaturePassword: o.cardPassword,
          ground,
        });
        console.log(
          `application ${result.id}: ${result.state}` +
            (result.revokedCertificate ? `; certificate ${result.revokedCertificate} revoked (CRL and OCSP)` : ''),
        );
        if (result.termination && o.simReader) {
          console.log(`SIM: applet ${await terminateThroughReader(result.termination, o.simReader)} (key, certificates and PIN erased)`);
        } else if (result.termination) {
          console.log('the SIM still holds the (revoked) credential: give --sim-reader when it is at hand to terminate the applet');
        }
      } finally {
        await myNumberCard.close();
      }
    });

  addCardOptions(
    program
      .command('renew')
      .description('renew the SIM credential: re-identify with the My Number card; the SP-TSM writes a new key and certificate on the same SIM')
      .requiredOption('--application <id>', 'the application id')
      .requiredOption('--card-reader <name>', "PC/SC reader of the applicant's My Number card")
      .requiredOption('--card-password <password>', "the My Number card's signature password")
      .option('--sp-tsm <url>', 'the SP-TSM', DEFAULT_SP_TSM),
  )
    .addHelpText(
      'after',
      '\nThe SIM is the card of the card options (-r). The PIN stays; the old certificate is revoked (superseded) once the new one is on the SIM.' +
        '\n\nExample:' +
        '\n  $ jpki-harness renew -r "Virtual PCD 00 00" --application 6f0c… --card-reader "Virtual PCD 00 01" --card-password TESTPASS1',
    )
    .action(async (o: CardCliOptions & { application: string; cardReader: string; cardPassword: string; spTsm: string }) => {
      const { requestRenewal } = await import('../services/applicant/apply.js');
      await withApplicantCards(o, async (sim, myNumberCard) => {
        const result = await requestRenewal({
          spTsmUrl: o.spTsm,
          applicationId: o.application,
          myNumberCard,
          signaturePassword: o.cardPassword,
          sim,
          onStep: (step) => process.stderr.write(`  ${step}\n`),
        });
        console.log(
          `${result.outcome}: ${result.commands} APDUs${result.detail.keyFingerprint ? `; key ${result.detail.keyFingerprint.slice(0, 16)}…` : ''}`,
        );
      });
    });

  addCardOptions(
    program
      .command('transfer')
      .description('move the SIM credential to another SIM (also of another operator): a new application that replaces the old one')
      .requiredOption('--application <id>', 'the application whose credential moves')
      .requiredOption('--card-reader <name>', "PC/SC reader of the applicant's My Number card")
      .requiredOption('--card-password <password>', "the My Number card's signature password")
      .requiredOption('--password <password>', 'the password chosen for the new download (asked again at the write)')
      .requiredOption('--contact <name>', 'where the new access code goes (a mailbox name)')
      .option('--old-sim-reader <name>', 'PC/SC reader of the old SIM, when it is at hand: its applet is terminated')
      .option('--on-card', 'generate the new key on the SIM')
      .option('--operator <name>', "the new SIM's mobile operator, whose MNO-TSM installs the applet (default: the SP-TSM's first)")
      .option('--sp-tsm <url>', 'the SP-TSM', DEFAULT_SP_TSM),
  )
    .addHelpText(
      'after',
      '\nThe new SIM is the card of the card options (-r). The old certificate is revoked at once; the new SIM is written with `write`' +
        ' and the new access code.\n\nExample:' +
        '\n  $ jpki-harness transfer -r "Virtual PCD 00 02" --application 6f0c… --card-reader "Virtual PCD 00 01"' +
        ' --card-password TESTPASS1 --password download-Passw0rd --contact hanako --old-sim-reader "Virtual PCD 00 00" --operator test-mno-b',
    )
    .action(async (o: ApplicationCliOptions & { application: string; oldSimReader?: string }) => {
      const { apply } = await import('../services/applicant/apply.js');
      await withApplicantCards(o, async (sim, myNumberCard) => {
        const result = await apply({ ...applicationChoices(o, sim, myNumberCard), replaces: o.application });
        console.log(`application ${result.id}: ${result.state}; it replaces ${o.application}, whose certificate is revoked`);
        if (result.termination && o.oldSimReader) {
          console.log(`old SIM: applet ${await terminateThroughReader(result.termination, o.oldSimReader)}`);
        }
        console.log(`next: jpki-harness write --application ${result.id} … with the new access code`);
      });
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
    .addHelpText(
      'after',
      '\nThe SIM is the card of the card options (-r).\n\nExample:' +
        '\n  $ jpki-harness reset-pin -r "Virtual PCD 00 00" --application 6f0c… --card-reader "Virtual PCD 00 01"' +
        ' --card-password TESTPASS1 --pin 2580',
    )
    .action(async (o: CardCliOptions & { application: string; cardReader: string; cardPassword: string; pin: string; spTsm: string }) => {
      const { requestPinReset } = await import('../services/applicant/apply.js');
      await withApplicantCards(o, async (sim, myNumberCard) => {
        const result = await requestPinReset({
          spTsmUrl: o.spTsm,
          applicationId: o.application,
          myNumberCard,
          signaturePassword: o.cardPassword,
          pin: o.pin,
          sim,
          onStep: (step) => process.stderr.write(`  ${step}\n`),
        });
        console.log(`${result.outcome}: ${result.commands} APDUs`);
      });
    });

  addCardOptions(
    program
      .command('check')
      .description("the SIM credential's validity: certificate and information record read from the SIM, chain to the JPKI root, OCSP")
      .option('--root <file>', 'the JPKI root certificate (PEM or DER; default the TEST root in test-vectors/jpki-system)')
      .option('--json', 'print JSON'),
  )
    .addHelpText(
      'after',
      '\nExit code 1 when the credential is not valid (untrusted, expired, revoked, unknown to OCSP).' +
        '\n\nExample:\n  $ jpki-harness check -r "Virtual PCD 00 00"',
    )
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
          console.log(
            `  valid ${check.notBefore.toISOString()} – ${check.notAfter.toISOString()} (${check.daysLeft} days left); chain ${check.chain}`,
          );
          console.log(
            `  OCSP ${check.ocspUrl ?? '(no responder named)'}: ` +
              (check.ocsp
                ? `${check.ocsp.status}${check.ocsp.reason ? ` (${check.ocsp.reason})` : ''}, produced ${check.ocsp.producedAt.toISOString()}`
                : 'not asked'),
          );
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
      .option('--pin <digits>', "the credential's PIN (leave out for a PIN-less credential; needed with --pkcs11)")
      .option('--pkcs11 [module]', "the client is OpenSC's PKCS#11 module (pkcs11-tool), not the harness's APDUs; default Debian's opensc-pkcs11.so")
      .option('--root <file>', 'the JPKI root certificate (PEM or DER; default the TEST root in test-vectors/jpki-system)')
      .option('--json', 'print JSON'),
  )
    .addHelpText(
      'after',
      `
Exit code 1 when the verifier refuses the credential (revoked, expired, untrusted, bad signature).
With --pkcs11, --reader is the exact PC/SC reader name (OpenSC's slot description); without it OpenSC's
token 'JPKI (User Authentication PIN)' is used. The PIN reaches pkcs11-tool through its environment, never
its command line.

Examples:
  $ jpki-harness authenticate -r "Virtual PCD 00 00" --pin 1234
  $ jpki-harness authenticate --pkcs11 -r "Virtual PCD 00 01" --pin 1234
  $ jpki-harness authenticate --pkcs11 /usr/lib/x86_64-linux-gnu/opensc-pkcs11.so -r "Virtual PCD 00 01" --pin 1234 --json`,
    )
    .action(async (o: CardCliOptions & { pin?: string; pkcs11?: string | boolean; root?: string; json?: boolean }) => {
      const { readFileSync } = await import('node:fs');
      const { X509Certificate } = await import('node:crypto');
      const { loadJpkiPki } = await import('../services/jpki-system/pki.js');
      const root = o.root ? new Uint8Array(new X509Certificate(readFileSync(o.root)).raw) : (await loadJpkiPki()).root.der;
      const result = o.pkcs11 !== undefined ? await authenticateThroughOpensc(o, root) : await authenticateWithOwnApdus(o, root);
      if (o.json) console.log(JSON.stringify(result, null, 2));
      else {
        const signer = o.pkcs11 !== undefined ? 'pkcs11-tool sign (OpenSC)' : 'SIM signing';
        const verdict = result.accepted ? 'accepted' : `REFUSED: ${result.reason ?? ''}`;
        const times = `${signer} ${seconds(result.signMs)}, challenge to verdict ${seconds(result.totalMs)}`;
        console.log(`${verdict} — certificate ${result.serial} (${result.subject}); ${times}`);
      }
      if (!result.accepted) process.exitCode = 1;
    });

  addCardOptions(
    program
      .command('sign-in')
      .description('the UI app use case: sign in to the relying party over HTTPS, the SIM signing its fresh challenge (device agent)')
      .option('--url <url>', 'the relying party', DEFAULT_RELYING_PARTY)
      .option('--ca <pem file>', "the relying party's TLS certificate to pin (the only one trusted)", `jpki-services/${RELYING_PARTY_PEM}`)
      .option('--pin <digits>', "the credential's PIN (leave out for a PIN-less credential)")
      .option('--json', 'print JSON (with the session token)'),
  )
    .addHelpText(
      'after',
      `
The relying party checks the signature, the chain to the JPKI root, the validity period and OCSP, then opens
a session (its bearer token is shown with --json or --show-secrets). Exit code 4 when it refuses (the
refusal's code: signature-invalid, certificate-revoked, certificate-expired, …) or cannot be reached or
does not present the pinned certificate (untrusted-server).

Examples:
  $ jpki-harness sign-in --pin 1234 -r "Virtual PCD 00 00"
  $ jpki-harness sign-in --url https://127.0.0.1:8473 --ca jpki-services/${RELYING_PARTY_PEM} --pin 1234 -r 0`,
    )
    .action(async (o: CardCliOptions & { url: string; ca: string; pin?: string; json?: boolean }) => {
      const ca = await readPem('--ca', o.ca);
      const { openCard } = await import('../transport/open.js');
      const { signIn } = await import('../services/device-agent/sign-in.js');
      const sim = await openCard(cardOptionsFrom(o));
      try {
        const result = await signIn({ url: o.url, ca, sim: sim.transport, ...(o.pin !== undefined ? { pin: o.pin } : {}) });
        if (o.json) console.log(JSON.stringify(result, null, 2));
        else {
          console.log(`signed in: ${result.subject} (certificate ${result.serial}), session until ${result.expiresAt}`);
          console.log(`  session ${o.showSecrets ? result.session : `${result.session.slice(0, 4)}… (--show-secrets to print it)`}`);
          console.log(`  SIM signing ${seconds(result.signMs)}, challenge to session ${seconds(result.totalMs)}`);
        }
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
    .description(
      "the SIM credential's whole life on the simulator: application → personalised SIM (①–⑱) → authentication → PIN lock and reset" +
        ' → renewal → transfer to another SIM → revocation',
    )
    .option('--db <url>', 'state: a SQLite file (default: a new one in a temporary folder) or a postgres:// URL')
    .option('--on-card', 'generate the keys on the SIM (default: by the JPKI system)')
    .option('--issuance-only', 'stop after the issuance flow ①–⑱')
    .option('--json', 'print the phases as JSON')
    .addHelpText(
      'after',
      '\nExamples:\n  $ jpki-harness demo\n  $ jpki-harness demo --on-card --db postgres://jpki:jpki-test@127.0.0.1/postgres' +
        '\n  $ jpki-harness demo --issuance-only --json',
    )
    .action(async (o: { db?: string; onCard?: boolean; issuanceOnly?: boolean; json?: boolean }) => {
      const { SimTransport } = await import('../transport/sim.js');
      const { LifeCycleStory, openSimOfOperatorB } = await import('../services/demo/life-cycle-story.js');
      const [myNumberCard, sim, operatorB] = await Promise.all([
        SimTransport.open({ myNumberCard: true }),
        SimTransport.open({}),
        openSimOfOperatorB(),
      ]);
      const otherSim = operatorB.sim;
      const cards = [myNumberCard, sim, operatorB];
      const print = (line: string): void => {
        if (!o.json) console.log(line);
      };
      const story = await LifeCycleStory.start(
        { myNumberCard, sim, otherSim },
        {
          ...(o.db ? { database: o.db } : {}),
          keyGeneration: o.onCard ? 'on-card' : 'jpki-system',
          onStep: (s) => print(`  ${s.marks.padEnd(6)} ${seconds(s.milliseconds).padStart(8)}  ${s.title}${s.detail ? ` — ${s.detail}` : ''}`),
          onProgress: (label: string) => print(`  ${''.padEnd(6)} ${''.padStart(8)}    · ${label}`),
          onPhaseStart: (_name, title) => print(`▶ ${title}`),
          onPhase: (p) => {
            for (const line of p.lines) print(`  ${line}`);
            print(`  ${seconds(p.milliseconds)}\n`);
          },
        },
      );
      try {
        print(
          `services: ${Object.entries(story.system.urls)
            .map(([role, url]) => `${role} ${url}`)
            .join(', ')} (${story.system.database.description})\n`,
        );
        if (o.issuanceOnly) await story.issue();
        else await story.run();
        if (o.json) console.log(JSON.stringify(story.phases, null, 2));
        else print(`the whole story: ${seconds(story.phases.reduce((t, p) => t + p.milliseconds, 0))}`);
      } finally {
        await story.close();
        await Promise.all(cards.map((c) => c.close()));
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
