import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { toHex } from '../apdu/hex.js';
import { formatSw } from '../apdu/response.js';
import { HarnessError, ScriptError } from '../errors.js';
import { redactExchange, redactText } from '../report/model.js';
import { formatMillis } from '../report/console.js';
import { ACTION_KEYS, parseScenario } from '../script/parser.js';
import { runScenario } from '../runner/runner.js';
import type { Variables } from '../script/vars.js';
import type { Transport } from '../transport/transport.js';

export interface ShellOptions {
  readonly transport: Transport;
  readonly input?: Readable;
  readonly output?: Writable;
  /** Lines are appended here (verify-pin lines never are); default ~/.jpki_harness_history. */
  readonly historyFile?: string | false;
  readonly showSecrets?: boolean;
  readonly prompt?: string;
}

export const SHELL_HELP = `Type an APDU in hex, or a step as in a scenario (the colon is optional):
  00A4040C0AD392F000260100000001       any APDU
  select D392F000260100000001          SELECT by AID
  select-ef 000A | read-ef 000A         SELECT EF / read the whole EF
  verify-pin 1234 | verify-pin ""      VERIFY (PIN hidden in output and history)
  sign {hash: sha256, digest: <hex>}   COMPUTE DIGITAL SIGNATURE over a DigestInfo
  reset | power-cycle                  warm / cold reset
  send 00B0000004 capture=len          capture the response data into \${len}
Shell commands: .vars  .set NAME VALUE  .atr  .help  .quit`;

/** Turns one shell line into the YAML of a one-step scenario; undefined when it is not a step. */
export function shellLineToYaml(line: string): string | undefined {
  let text = line.trim();
  let capture = '';
  const cap = /\s+capture=([A-Za-z_][A-Za-z0-9_.-]*)$/.exec(text);
  if (cap) {
    capture = `\n    capture: ${cap[1]}`;
    text = text.slice(0, cap.index);
  }
  if (text === 'reset' || text === 'power-cycle') return `name: shell\nsteps:\n  - ${text}\n`;
  const compact = text.replace(/\s/g, '');
  if (/^[0-9a-fA-F]+$/.test(compact) && compact.length >= 8) {
    return `name: shell\nsteps:\n  - send: ${text}\n    expect: {sw: xxxx}${capture}\n`;
  }
  const m = /^([a-z-]+):?\s*(.*)$/.exec(text);
  if (!m || !(ACTION_KEYS as readonly string[]).includes(m[1]!)) return undefined;
  const value = m[2]!.trim() === '' ? '""' : m[2]!;
  return `name: shell\nsteps:\n  - ${m[1]}: ${value}\n    expect: {sw: xxxx}${capture}\n`;
}

/** An interactive APDU prompt with history and the high-level steps of the scenario format. */
export async function runShell(options: ShellOptions): Promise<void> {
  const output = options.output ?? process.stdout;
  const input = options.input ?? process.stdin;
  const historyFile = options.historyFile === false ? undefined : (options.historyFile ?? path.join(os.homedir(), '.jpki_harness_history'));
  const history = historyFile && existsSync(historyFile) ? readFileSync(historyFile, 'utf8').split('\n').filter(Boolean).reverse().slice(0, 500) : [];
  const terminal = (output as { isTTY?: boolean }).isTTY === true;
  const rl = readline.createInterface({
    input,
    output,
    terminal,
    history,
    historySize: 500,
    removeHistoryDuplicates: true,
    prompt: options.prompt ?? 'jpki> ',
  });
  const say = (text: string): void => {
    output.write(text + '\n');
  };
  const vars: Variables = new Map();
  say(`card: ${options.transport.description}, ATR ${toHex(options.transport.atr)}  (.help for help)`);
  rl.prompt();
  let count = 0;
  for await (const raw of rl) {
    const line = raw.trim();
    if (line === '') {
      rl.prompt();
      continue;
    }
    if (line === '.quit' || line === '.exit' || line === 'quit' || line === 'exit') break;
    const secretLine = /^verify-pin\b/.test(line);
    if (historyFile && !secretLine) {
      try {
        appendFileSync(historyFile, line + '\n');
      } catch {
        // history is a convenience
      }
    }
    try {
      if (line === '.help' || line === 'help') say(SHELL_HELP);
      else if (line === '.atr') say(toHex(options.transport.atr));
      else if (line === '.vars') say([...vars.entries()].map(([k, v]) => `${k} = ${v}`).join('\n') || '(no variables)');
      else if (line.startsWith('.set ')) {
        const [, name, value] = /^\.set\s+(\S+)\s+(.*)$/.exec(line) ?? [];
        if (!name || value === undefined) say('usage: .set NAME VALUE');
        else vars.set(name, value);
      } else {
        const yaml = shellLineToYaml(line);
        if (yaml === undefined) {
          say(`not an APDU or a step: '${line}' (.help lists what works)`);
        } else {
          count++;
          const scenario = parseScenario(yaml, `shell:${count}`);
          const run = await runScenario(scenario, options.transport, { vars, echo: say });
          const result = run.results[0]!;
          const hide = result.step.secret && !options.showSecrets;
          for (const e of result.exchanges) {
            const shown = hide ? redactExchange(e.command, e.response) : { command: toHex(e.command), response: toHex(e.response) };
            say(`=> ${shown.command}\n<= ${shown.response}  (${formatMillis(e.nanoseconds)} ms)`);
          }
          if (result.step.action.kind === 'reset') say(`ATR ${toHex(result.data)}`);
          else if (result.step.action.kind === 'read-ef' && result.sw !== undefined) say(`${result.data.length} bytes, SW ${formatSw(result.sw)}`);
          if (result.failure) say(`error: ${hide ? redactText(result.failure) : result.failure}`);
          if (run.aborted) {
            say(`the card is gone: ${run.aborted.message}`);
            break;
          }
        }
      }
    } catch (error) {
      if (error instanceof ScriptError) say(`error: ${error.reason}`);
      else if (error instanceof HarnessError) say(`error: ${error.message}`);
      else throw error;
    }
    rl.prompt();
  }
  rl.close();
}
