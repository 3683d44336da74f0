import type { Command } from 'commander';
import { Option } from 'commander';
import { JpkiClient } from '../jpki/client.js';
import { readFileSync } from 'node:fs';
import { attestCard, personaliseWithTestCredential } from '../jpki/test-material.js';
import { openTransport, parseReaderSelector } from '../transport/open.js';
import type { TransportKind } from '../transport/transport.js';

interface CardOptions {
  readonly transport: TransportKind;
  readonly reader?: string;
}

function cardOptions(command: Command): Command {
  return command
    .addOption(
      new Option('-t, --transport <kind>', 'how to reach the card: pcsc (any PC/SC reader) or sim (a fresh simulator, direct link)')
        .choices(['pcsc', 'sim'])
        .default('pcsc'),
    )
    .option('-r, --reader <name|index>', 'PC/SC reader: exact name, substring or index (pcsc transport)');
}

async function withCard<T>(opts: CardOptions, work: (client: JpkiClient, transport: Awaited<ReturnType<typeof openTransport>>) => Promise<T>): Promise<T> {
  const reader = parseReaderSelector(opts.reader);
  const transport = await openTransport({ kind: opts.transport, ...(reader !== undefined ? { reader } : {}) });
  try {
    return await work(new JpkiClient(transport), transport);
  } finally {
    await transport.close();
  }
}

/** The JPKI applet's own commands: personalisation by the test SP-TSM and the information record. */
export function registerJpkiCommands(program: Command): void {
  cardOptions(
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
Uses the simulator's TEST master keys (SCP03, key version 30, 404142…4F, diversified with the card's KDD by KDF3)
and the test content keys:
for the simulator and test cards only. See docs/personalisation.md for the protocol.

Examples:
  $ jpki-harness sim start && jpki-harness personalise -r "Virtual PCD 00 00"
  $ jpki-harness personalise --generate --pin 2580 -r 0`,
    )
    .action(async (opts: CardOptions & { generate?: boolean; pin: string; pinLess?: boolean; cardAuthorityRoot?: string; json?: boolean }) => {
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
        else console.log(`personalised: key ${result.publicKeyFingerprint.slice(0, 16)}…, certificate serial ${info.certificateSerial}, PIN tries ${info.pinTriesLeft}`);
      });
    });

  cardOptions(
    program
      .command('attest')
      .description("check the card's attestation: CASD certificate against the card authority root, the applet's key against the CASD")
      .option('--card-authority-root <file>', 'the card authority root (DER) to trust (default: the simulator\'s TEST root)')
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
    .action(async (opts: CardOptions & { cardAuthorityRoot?: string; json?: boolean }) => {
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

  cardOptions(program.command('info').description("read the applet's information record (no PIN needed)").option('--json', 'print JSON'))
    .addHelpText('after', '\nExample:\n  $ jpki-harness info -r "Virtual PCD 00 00"')
    .action(async (opts: CardOptions & { json?: boolean }) => {
      await withCard(opts, async (client) => {
        await client.selectApplication();
        const info = await client.information();
        if (opts.json) console.log(JSON.stringify(info, null, 2));
        else for (const [k, v] of Object.entries(info)) console.log(`${k.padEnd(22)} ${String(v)}`);
      });
    });
}
