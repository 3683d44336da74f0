import type { Command } from 'commander';
import { readFileSync, writeFileSync } from 'node:fs';
import type { HashName } from '../apdu/digest-info.js';
import type { Transport } from '../transport/transport.js';
import { addCardOptions, cardOptionsFrom, type CardCliOptions } from './options.js';

async function withCard<T>(opts: CardCliOptions, work: (transport: Transport) => Promise<T>): Promise<T> {
  const { openCard } = await import('../transport/open.js');
  const card = await openCard(cardOptionsFrom(opts));
  try {
    return await work(card.transport);
  } finally {
    await card.close();
  }
}

const WHERE = `
The card is the simulator's TEST My Number card (docs/my-number-card.md) in a PC/SC reader:
start it with 'jpki-harness sim start --my-number-card -p 35964' and pass -r.`;

/** `my-number-card issue|sign|info`: the applicant's TEST My Number card. */
export function registerMyNumberCardCommands(program: Command): void {
  const group = program
    .command('my-number-card')
    .description("TEST: the applicant's simulated My Number card: issue it, sign with it, show its state")
    .addHelpText(
      'after',
      '\nExamples:\n  $ jpki-harness sim start --my-number-card -p 35964\n' +
        '  $ jpki-harness my-number-card issue -r "Virtual PCD 00 01" --password TEST2024PW --pin 4321\n' +
        '  $ jpki-harness my-number-card sign -r "Virtual PCD 00 01" --password TEST2024PW --in application.xml --out application.sig',
    );

  addCardOptions(
    group
      .command('issue')
      .description('issue the TEST card: keys generated on the card and certified by the TEST CA (test-vectors/certs), password and PIN set')
      .requiredOption('--password <text>', 'signature password: 6 to 16 characters A-Z and 0-9')
      .requiredOption('--pin <digits>', 'user-authentication PIN: 4 digits')
      .option('--subject <dn>', "the applicant's distinguished name", 'CN=TEST Applicant, O=JPKI-SIM TEST ONLY, C=JP'),
  )
    .addHelpText('after', `${WHERE}\n\nExample:\n  $ jpki-harness my-number-card issue -r 1 --password TEST2024PW --pin 4321`)
    .action(async (opts: CardCliOptions & { password: string; pin: string; subject: string }) => {
      const { issueTestMyNumberCard } = await import('../my-number-card/issue.js');
      const { TestCertificateAuthority } = await import('../jpki/test-ca/test-ca.js');
      const ca = await TestCertificateAuthority.load();
      const issuer = { caCertificate: ca.der, issue: (spki: Uint8Array, subject: string) => ca.issue(spki, subject) };
      await withCard(opts, async (transport) => {
        const issued = await issueTestMyNumberCard(transport, {
          signatureIssuer: issuer,
          authenticationIssuer: issuer,
          password: opts.password,
          pin: opts.pin,
          subject: opts.subject,
        });
        console.log(
          `issued: signature certificate ${issued.signatureCertificate.length} bytes, ` +
            `user-authentication certificate ${issued.authenticationCertificate.length} bytes`,
        );
      });
    });

  addCardOptions(
    group
      .command('sign')
      .description('sign a file with the signature key (password verified first); the signature goes to --out or stdout as hex')
      .requiredOption('--password <text>', 'signature password')
      .requiredOption('--in <file>', 'the data to sign')
      .option('--hash <name>', 'sha1, sha256, sha384 or sha512', 'sha256')
      .option('--out <file>', 'write the signature (256 bytes) here'),
  )
    .addHelpText(
      'after',
      `${WHERE}\n\nExample:\n  $ jpki-harness my-number-card sign -r 1 --password TEST2024PW --in application.xml --out application.sig`,
    )
    .action(async (opts: CardCliOptions & { password: string; in: string; hash: string; out?: string }) => {
      const { UsageError } = await import('../errors.js');
      if (!['sha1', 'sha256', 'sha384', 'sha512'].includes(opts.hash)) throw new UsageError(`unknown hash '${opts.hash}'`);
      const { signWithSignatureKey } = await import('../my-number-card/client.js');
      const data = new Uint8Array(readFileSync(opts.in));
      await withCard(opts, async (transport) => {
        const signature = await signWithSignatureKey(transport, opts.password, { data, hash: opts.hash as HashName });
        if (opts.out) writeFileSync(opts.out, signature);
        else console.log(Buffer.from(signature).toString('hex').toUpperCase());
      });
    });

  addCardOptions(group.command('info').description('the TEST card state: issued, keys, tries left').option('--json', 'print JSON'))
    .addHelpText('after', `${WHERE}\n\nExample:\n  $ jpki-harness my-number-card info -r 1 --json`)
    .action(async (opts: CardCliOptions & { json?: boolean }) => {
      const { readTestCardState } = await import('../my-number-card/issue.js');
      await withCard(opts, async (transport) => {
        const state = await readTestCardState(transport);
        if (opts.json) console.log(JSON.stringify(state, null, 2));
        else {
          console.log(`issued: ${state.issued ? 'yes' : 'no'}`);
          console.log(
            `signature: key ${state.signatureKeyPresent ? 'present' : 'absent'}, ` +
              `password ${state.signaturePasswordSet ? `${state.signaturePasswordTriesLeft} tries left` : 'not set'}`,
          );
          console.log(
            `user authentication: key ${state.authenticationKeyPresent ? 'present' : 'absent'}, ` +
              `PIN ${state.authenticationPinSet ? `${state.authenticationPinTriesLeft} tries left` : 'not set'}`,
          );
        }
      });
    });
}
