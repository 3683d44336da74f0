import type { Command } from 'commander';
import { addCardOptions, cardOptionsFrom, EXIT_CODES_HELP, type CardCliOptions } from './options.js';

/** `readers`, `send` and `shell`: direct work with a card. */
export function registerCardCommands(program: Command): void {
  program
    .command('readers')
    .description('list the PC/SC readers pcscd knows')
    .option('--json', 'print JSON')
    .addHelpText('after', '\nExamples:\n  $ jpki-harness readers\n  $ jpki-harness readers --json')
    .action(async (opts: { json?: boolean }) => {
      const { listReaders } = await import('../transport/pcsc.js');
      const names = await listReaders();
      if (opts.json) console.log(JSON.stringify(names));
      else if (names.length === 0) console.log('no readers (is pcscd running? for the simulator: jpki-harness sim start)');
      else names.forEach((n, i) => console.log(`${i}  ${n}`));
    });

  addCardOptions(program.command('send').description('send APDUs (hex) and print the responses').argument('<apdu...>', 'command APDUs as hex'))
    .option('--json', 'print JSON')
    .addHelpText('after', `\n${EXIT_CODES_HELP}\n\nExample:\n  $ jpki-harness send -t pcsc 00A4040C0AD392F000260100000001 00A4020C02000A 00B0000004`)
    .action(async (apdus: string[], opts: CardCliOptions & { json?: boolean }) => {
      const { parseHex, toHex } = await import('../apdu/hex.js');
      const { UsageError } = await import('../errors.js');
      const commands = apdus.map((a) => {
        try {
          return parseHex(a);
        } catch (e) {
          throw new UsageError(`'${a}': ${(e as Error).message}`);
        }
      });
      const { openCard } = await import('../transport/open.js');
      const card = await openCard(cardOptionsFrom(opts));
      const out: { command: string; response: string }[] = [];
      try {
        for (const c of commands) {
          const r = await card.transport.transmit(c);
          out.push({ command: toHex(c), response: toHex(r) });
          if (!opts.json) console.log(`=> ${toHex(c)}\n<= ${toHex(r)}`);
        }
      } finally {
        await card.close();
      }
      if (opts.json) console.log(JSON.stringify(out));
    });

  addCardOptions(
    program.command('shell').description('interactive APDU prompt with history and the scenario steps (select, read-ef, verify-pin, sign …)'),
  )
    .option('--history <file>', 'history file (default ~/.jpki_harness_history; verify-pin lines are never written)')
    .option('--no-history', 'keep no history file')
    .addHelpText(
      'after',
      `
${EXIT_CODES_HELP}

Examples:
  $ jpki-harness shell
  jpki> select D392F000260100000001
  jpki> read-ef 000A
  jpki> verify-pin 1234
  jpki> sign {hash: sha256, digest: 9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08}
  jpki> 00B0000004
  $ jpki-harness shell -t pcsc -r "Virtual PCD 00 00"`,
    )
    .action(async (opts: CardCliOptions & { history?: string | boolean }) => {
      const { openCard } = await import('../transport/open.js');
      const { runShell } = await import('./shell.js');
      const card = await openCard(cardOptionsFrom(opts));
      try {
        await runShell({
          transport: card.transport,
          showSecrets: opts.showSecrets ?? false,
          ...(opts.history === false ? { historyFile: false as const } : typeof opts.history === 'string' ? { historyFile: opts.history } : {}),
        });
      } finally {
        await card.close();
      }
    });
}
