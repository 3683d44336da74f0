import type { Command } from 'commander';
import type { JpkiClient } from '../jpki/client/client.js';
import type { Transport } from '../transport/transport.js';
import { readFileSync } from 'node:fs';
import { addCardOptions, cardOptionsFrom, type CardCliOptions } from './options.js';

/** Opens the card as every command does (openCard: GET RESPONSE, 6Cxx and chaining included) and closes it after `work`. */
async function withCard<T>(opts: CardCliOptions, work: (client: JpkiClient, transport: Transport) => Promise<T>): Promise<T> {
  const { openCard } = await import('../transport/open.js');
  const { JpkiClient } = await import('../jpki/client/client.js');
  const card = await openCard(cardOptionsFrom(opts));
  try {
    return await work(new JpkiClient(card.transport), card.transport);
  } finally {
    await card.close();
  }
}

/** The JPKI applet's own commands: personalisation by the test SP-TSM and the information record. */
export function registerJpkiCommands(program: Command): void {
  addCardOptions(
    program
      .command('personalise')
      .description('personalise the JPKI applet with the TEST credential (test-vectors/certs) through its secure channel, as an SP-TSM does')
      .option('--generate', 'generate the key pair on the card and have the test CA certify it (default: import the test key)')
      .option('--pin <digits>', 'initial PIN (4 digits)', '1234')
      .option('--pin-less', 'PIN-less authentication policy')
      .option('--card-authority-root <file>', "the card authority root (DER) to check the card's CASD against (default: the simulator's TEST root)")
      .option('--json', 'print the result as JSON'),
  )
    .addHelpText(
      'after',
      `
First checks the card: its CASD certificate against the card authority root, then the CASD's signature
over the applet's key-transport key; nothing secret is sent before. Content keys go to that key.
Uses the simulator's TEST master keys (SCP03, key version 30, 404142…4F, diversified with the card's KDD
by KDF3) and the TEST content master keys: for the simulator and test cards only. See
docs/personalisation.md for the protocol.

Examples:
  $ jpki-harness sim start && jpki-harness personalise -r "Virtual PCD 00 00"
  $ jpki-harness personalise --generate --pin 2580 -r 0`,
    )
    .action(async (opts: CardCliOptions & { generate?: boolean; pin: string; pinLess?: boolean; cardAuthorityRoot?: string; json?: boolean }) => {
      const { personaliseWithTestCredential } = await import('../jpki/test-ca/test-material.js');
      await withCard(opts, async (client, transport) => {
        const result = await personaliseWithTestCredential(transport, {
          ...(opts.generate ? { generate: true } : {}),
          ...(opts.cardAuthorityRoot ? { cardAuthorityRoot: readFileSync(opts.cardAuthorityRoot) } : {}),
          pin: opts.pin,
          ...(opts.pinLess ? { pinLess: true } : {}),
          ...(opts.json ? {} : { onStep: (step: string) => console.log(`  ${step}`) }),
        });
        await client.selectApplication();
        const info = await client.information();
        if (opts.json) console.log(JSON.stringify({ publicKeyFingerprint: result.publicKeyFingerprint, information: info }, null, 2));
        else {
          const key = result.publicKeyFingerprint.slice(0, 16);
          console.log(`personalised: key ${key}…, certificate serial ${info.certificateSerial}, PIN tries ${info.pinTriesLeft}`);
        }
      });
    });

  addCardOptions(
    program
      .command('attest')
      .description("check the card's attestation: CASD certificate against the card authority root, the applet's key against the CASD")
      .option('--card-authority-root <file>', "the card authority root (DER) to trust (default: the simulator's TEST root)")
      .option('--json', 'print JSON'),
  )
    .addHelpText(
      'after',
      `
What an SP-TSM checks before it sends content keys (docs/personalisation.md, "Key establishment").
Exit code 3 when the chain or the signature does not verify.

Examples:
  $ jpki-harness attest -r "Virtual PCD 00 00"
  $ jpki-harness attest -r 0 --card-authority-root vendor-root.der --json`,
    )
    .action(async (opts: CardCliOptions & { cardAuthorityRoot?: string; json?: boolean }) => {
      const { attestCard } = await import('../jpki/test-ca/test-material.js');
      await withCard(opts, async (_client, transport) => {
        const { attestation, authority } = await attestCard(transport, ...(opts.cardAuthorityRoot ? [readFileSync(opts.cardAuthorityRoot)] : []));
        const result = {
          card: authority.cardIdentity,
          casdIssuer: authority.certificate.issuer.replace(/\n/g, ', '),
          casdValidTo: authority.certificate.validTo,
          appletKeyFingerprint: attestation.keyFingerprint,
        };
        if (opts.json) console.log(JSON.stringify(result, null, 2));
        else {
          console.log(`card             ${authority.cardIdentity.commonName} (serialNumber ${authority.cardIdentity.serialNumber})`);
          console.log(`CASD issued by   ${result.casdIssuer}, valid to ${result.casdValidTo}`);
          console.log(`applet key       SHA-256 ${attestation.keyFingerprint}: certified by the CASD for D392F000260100000001`);
        }
      });
    });

  addCardOptions(program.command('info').description("read the applet's information record (no PIN needed)").option('--json', 'print JSON'))
    .addHelpText('after', '\nExample:\n  $ jpki-harness info -r "Virtual PCD 00 00"')
    .action(async (opts: CardCliOptions & { json?: boolean }) => {
      await withCard(opts, async (client) => {
        await client.selectApplication();
        const info = await client.information();
        if (opts.json) console.log(JSON.stringify(info, null, 2));
        else for (const [k, v] of Object.entries(info)) console.log(`${k.padEnd(22)} ${String(v)}`);
      });
    });
}
