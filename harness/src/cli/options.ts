/**
 * What every command shares: the card options and their one parser, exit codes, small parsers.
 * This module is loaded for `--help` and `--version` too, so it imports nothing heavy: the
 * transports, the GP layer and the reports are loaded by the command that uses them.
 */
import { Command, Option } from './commander.js';
import { UsageError } from '../errors.js';
import { parseSwPattern } from '../apdu/patterns.js';
import type { SwPattern } from '../script/scenario.js';
import type { CardOptions } from '../transport/open.js';
import { parseReaderSelector, type TransportKind } from '../transport/transport.js';

/** Exit codes of every command. */
export const EXIT = { passed: 0, failed: 1, usage: 2, card: 3, service: 4, interrupted: 130 } as const;

export const EXIT_CODES_HELP =
  'Exit codes: 0 all passed, 1 expectations failed, 2 usage or script error, 3 reader or card error, 4 a service refused or could not be reached.';

/** Options of every command that talks to a card, as commander parses them. */
export interface CardCliOptions {
  transport?: TransportKind;
  reader?: string;
  timeout?: string;
  share?: 'shared' | 'exclusive';
  protocol?: 'T0' | 'T1' | 'any';
  trace?: string;
  record?: string;
  simLog?: string;
  simAttach?: string;
  getResponse: boolean;
  resend6c: boolean;
  extended?: 'auto' | 'on' | 'off';
  log?: boolean;
  showSecrets?: boolean;
}

export function addCardOptions(command: Command): Command {
  return command
    .addOption(
      new Option(
        '-t, --transport <kind>',
        'how to reach the card: pcsc (any PC/SC reader), sim (direct link to a fresh simulator), trace (replay --trace FILE); ' +
          'default pcsc when --reader is given, else sim',
      ).choices(['pcsc', 'sim', 'trace']),
    )
    .option('-r, --reader <name|index>', 'PC/SC reader: exact name, substring or index (pcsc)')
    .option('--timeout <ms>', 'wait this long for the reader and the card (pcsc)', '10000')
    .addOption(new Option('--share <mode>', 'PC/SC share mode').choices(['shared', 'exclusive']))
    .addOption(new Option('--protocol <p>', 'PC/SC protocol').choices(['T0', 'T1', 'any']))
    .option('--trace <file>', 'trace file to replay (trace transport)')
    .option('--record <file>', 'record every exchange to a trace file (=> / <= lines; replay with -t trace)')
    .option('--sim-log <file>', 'simulator APDU log, PINs and keys redacted (sim)')
    .option(
      '--sim-attach <port>',
      'wait on this port for a simulator started elsewhere (java -jar build/jpki-simulator.jar --connect 127.0.0.1:PORT) ' +
        'instead of starting one (sim)',
    )
    .option('--no-get-response', 'do not answer 61xx with GET RESPONSE')
    .option('--no-resend-6c', 'do not re-send a command answered 6Cxx with the corrected Le')
    .addOption(
      new Option('--extended <mode>', 'extended-length APDUs: auto (from the ATR), on, off (chain long data instead)')
        .choices(['auto', 'on', 'off'])
        .default('auto'),
    )
    .option('--log', 'log every wire exchange (GET RESPONSE and chained blocks included) to stderr')
    .option('--show-secrets', 'show PINs, keys and other secret step content in every output (default: redacted)');
}

export function cardOptionsFrom(opts: CardCliOptions): CardOptions {
  const timeoutMs = Number(opts.timeout ?? '10000');
  if (!Number.isInteger(timeoutMs) || timeoutMs <= 0)
    throw new UsageError(`--timeout needs a positive number of milliseconds, got '${opts.timeout}'`);
  const reader = parseReaderSelector(opts.reader);
  return {
    ...(opts.transport !== undefined ? { kind: opts.transport } : {}),
    timeoutMs,
    ...(reader !== undefined ? { reader } : {}),
    ...(opts.share !== undefined ? { share: opts.share } : {}),
    ...(opts.protocol !== undefined ? { protocol: opts.protocol } : {}),
    ...(opts.trace !== undefined ? { trace: opts.trace } : {}),
    ...(opts.record !== undefined ? { record: opts.record } : {}),
    ...(opts.simLog !== undefined ? { simulatorLog: opts.simLog } : {}),
    ...(opts.simAttach !== undefined ? { attachPort: positiveInteger('--sim-attach', opts.simAttach, 0) } : {}),
    getResponse: opts.getResponse,
    resendOnWrongLength: opts.resend6c,
    extendedLength: opts.extended === 'on' ? true : opts.extended === 'off' ? false : 'atr',
    ...(opts.log ? { log: (line: string) => process.stderr.write(line + '\n') } : {}),
    showSecrets: opts.showSecrets ?? false,
  };
}

/** Commander collector for repeatable options. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

export function parseVars(pairs: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new UsageError(`--var takes NAME=VALUE, got '${pair.replace(/=.*/, '=…')}'`);
    out[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return out;
}

export function positiveInteger(name: string, text: string | undefined, fallback: number, min = 1): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < min) throw new UsageError(`${name} needs an integer ≥ ${min}, got '${text}'`);
  return n;
}

export function parseSwOption(list: readonly string[] | undefined): SwPattern[] | undefined {
  if (!list || list.length === 0) return undefined;
  return list.map((t) => {
    const p = parseSwPattern(t);
    if (!p) throw new UsageError(`'${t}' is not a status word pattern (9000, 63Cx, 61xx)`);
    return p;
  });
}
