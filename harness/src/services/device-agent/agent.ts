/**
 * The device agent: the phone's part of a remote-APDU session. It relays each batch a TSM sends to the
 * SIM through its own transport (PC/SC, or the simulator link) and reports the answers. A report that
 * does not get through (connection refused or dropped, the TSM restarting) is sent again, unchanged,
 * until the TSM takes it or the retry window closes; the TSM recognises a repeated report, so no
 * command is ever run twice because of the network.
 */
import { HarnessError } from '../../errors.js';
import { parseHex, toHex } from '../../apdu/hex.js';
import type { Transport } from '../../transport/transport.js';
import { IsoTransport } from '../../transport/wrappers.js';
import { ServiceCallError } from '../http/errors.js';
import { parseInstruction, type AgentReport, type TsmInstruction } from '../remote-apdu/protocol.js';

export class RemoteSessionError extends HarnessError {
  readonly exitCode = 4;
}

export interface AgentEvents {
  /** A new step label from the TSM (install, attestation, personalisation…). */
  onStep?(step: string, tsm: string): void;
  /** A report did not get through and is being sent again. */
  onRetry?(attempt: number, reason: string): void;
  /** The TSM lost the exchange and starts again from the card's state. */
  onRestart?(tsm: string): void;
}

export interface AgentOptions extends AgentEvents {
  /** How long to keep re-sending one report before giving up (default 60 s). */
  readonly retryWindowMs?: number;
  /** Extra headers on every request (tests use it to play a man in the middle). */
  readonly fetchImpl?: typeof fetch;
}

export interface AgentResult {
  readonly outcome: string;
  readonly detail: Readonly<Record<string, string>>;
  readonly batches: number;
  readonly commands: number;
}

const okStatus = (response: Uint8Array): boolean =>
  response.length >= 2 && response[response.length - 2] === 0x90 && response[response.length - 1] === 0x00;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function post(url: string, token: string, report: AgentReport, options: AgentOptions): Promise<TsmInstruction> {
  const deadline = Date.now() + (options.retryWindowMs ?? 60_000);
  const doFetch = options.fetchImpl ?? fetch;
  for (let attempt = 1; ; attempt++) {
    let reason: string;
    try {
      const response = await doFetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify(report),
      });
      const text = await response.text();
      if (response.ok) return parseInstruction(JSON.parse(text) as unknown);
      if (response.status < 500 && response.status !== 429) {
        let code = `http-${response.status}`;
        let message = text;
        try {
          const e = (JSON.parse(text) as { error?: { code?: string; message?: string } }).error;
          code = e?.code ?? code;
          message = e?.message ?? message;
        } catch {
          /* not JSON: keep the text */
        }
        throw new ServiceCallError(url, response.status, code, message);
      }
      reason = `HTTP ${response.status}`;
    } catch (error) {
      if (error instanceof ServiceCallError) throw error;
      reason = error instanceof Error ? ((error.cause as Error | undefined)?.message ?? error.message) : 'network error';
    }
    if (Date.now() > deadline) throw new RemoteSessionError(`${url}: no answer within the retry window (last: ${reason})`);
    options.onRetry?.(attempt, reason);
    await sleep(Math.min(50 * 2 ** Math.min(attempt, 5), 1000));
  }
}

/**
 * Runs one remote session against `url` with `token`, relaying to `card`, until the TSM says done
 * (resolves) or failed (rejects with its reason). Visits to other TSMs run in between, on the same card.
 * The phone completes every answer before it reports it, as its modem does: `61xx` is fetched with GET
 * RESPONSE and `6Cxx` resent with the right Le (a T=0 SIM), so a TSM always sees whole answers.
 */
export async function runRemoteSession(url: string, token: string, card: Transport, options: AgentOptions = {}): Promise<AgentResult> {
  return relaySession(url, token, card instanceof IsoTransport ? card : new IsoTransport(card), options);
}

async function relaySession(url: string, token: string, card: Transport, options: AgentOptions): Promise<AgentResult> {
  let report: AgentReport = { acknowledges: null, agent: { reader: card.description, atr: toHex(card.atr) } };
  let step = '';
  let batches = 0;
  let commands = 0;
  for (;;) {
    const instruction = await post(url, token, report, options);
    switch (instruction.kind) {
      case 'apdus': {
        if (instruction.restarted) options.onRestart?.(url);
        if (instruction.step !== step) {
          step = instruction.step;
          options.onStep?.(step, url);
        }
        const responses: string[] = [];
        for (const command of instruction.commands) {
          const response = await card.transmit(parseHex(command));
          responses.push(toHex(response));
          commands++;
          if (instruction.stopOnError && !okStatus(response)) break;
        }
        batches++;
        report = { acknowledges: instruction.sequence, responses };
        break;
      }
      case 'visit': {
        options.onStep?.(instruction.step, url);
        const visited = await relaySession(instruction.url, instruction.token, card, options);
        batches += visited.batches;
        commands += visited.commands;
        report = { acknowledges: instruction.sequence, visited: { outcome: visited.outcome } };
        break;
      }
      case 'done':
        return { outcome: instruction.outcome, detail: instruction.detail ?? {}, batches, commands };
      case 'failed':
        throw new RemoteSessionError(`${url}: ${instruction.reason}`);
    }
  }
}
