import type { Command } from 'commander';
import { Option } from 'commander';
import { JpkiClient } from '../jpki/client.js';
import { personaliseWithTestCredential } from '../jpki/test-material.js';
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
    .action(async (opts: CardOptions & { generate?: boolean; pin: string; pinLess?: boolean; json?: boolean }) => {
      await withCard(opts, async (client, transport) => {
        const result = await personaliseWithTestCredential(transport, {
          ...(opts.generate ? { generate: true } : {}),
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
