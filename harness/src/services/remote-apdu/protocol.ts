/**
 * The remote-APDU protocol between a TSM and the device agent (the phone's role), modelled on the way
 * GlobalPlatform's remote application management over HTTP works: the device side opens every exchange.
 * The agent POSTs a report (the answers to the last batch), the TSM's reply carries the next instruction.
 * Both sides number the batches, so a report sent twice (an answer lost on the way back) is recognised
 * and the same instruction is sent again; nothing is executed twice.
 */
import { badRequest } from '../http/errors.js';

/** What the agent sends: the answers to batch `acknowledges` (null when it starts or starts over). */
export interface AgentReport {
  readonly acknowledges: number | null;
  /** Response APDUs (hex, data ‖ SW1 SW2), in command order; shorter than the batch when it stopped on an error. */
  readonly responses?: readonly string[];
  /** The outcome of a visit to another TSM the instruction asked for. */
  readonly visited?: { readonly outcome: string };
  /** On the first report: the reader and the card's ATR, for the TSM's records. */
  readonly agent?: { readonly reader: string; readonly atr: string };
}

export type TsmInstruction =
  | {
      readonly kind: 'apdus';
      readonly sequence: number;
      readonly commands: readonly string[];
      /** Stop at the first answer whose SW is not 9000 (61xx is handled below the agent). */
      readonly stopOnError: boolean;
      /** What the TSM is doing, for the agent's progress display. */
      readonly step: string;
      /** The TSM lost the previous exchange (a restart) and begins again from the card's state. */
      readonly restarted?: boolean;
    }
  | { readonly kind: 'visit'; readonly sequence: number; readonly url: string; readonly token: string; readonly step: string }
  | { readonly kind: 'done'; readonly sequence: number; readonly outcome: string; readonly detail?: Readonly<Record<string, string>> }
  | { readonly kind: 'failed'; readonly sequence: number; readonly reason: string };

const HEX = /^(?:[0-9A-Fa-f]{2})*$/;

/** A member of a JSON value that may not be an object. */
function field(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;
}

function isStringArray(value: unknown, max: number): value is string[] {
  return Array.isArray(value) && value.length <= max && value.every((v) => typeof v === 'string' && HEX.test(v) && v.length <= 2 * 65538);
}

/** Validates an agent's report (a 400 names what is wrong). */
export function parseAgentReport(value: unknown): AgentReport {
  if (typeof value !== 'object' || value === null) throw badRequest('malformed-report', 'the report is not a JSON object');
  const v = value as Record<string, unknown>;
  const ack = v.acknowledges;
  if (!(ack === null || (typeof ack === 'number' && Number.isInteger(ack) && ack >= 0))) {
    throw badRequest('malformed-report', 'acknowledges must be null or a batch number');
  }
  if (v.responses !== undefined && !isStringArray(v.responses, 1024)) throw badRequest('malformed-report', 'responses must be hex strings');
  let visited: AgentReport['visited'];
  if (v.visited !== undefined) {
    const o = field(v.visited, 'outcome');
    if (typeof o !== 'string') throw badRequest('malformed-report', 'visited.outcome must be a string');
    visited = { outcome: o };
  }
  let agent: AgentReport['agent'];
  if (v.agent !== undefined) {
    const reader = field(v.agent, 'reader');
    const atr = field(v.agent, 'atr');
    if (typeof reader !== 'string' || typeof atr !== 'string' || !HEX.test(atr))
      throw badRequest('malformed-report', 'agent must carry reader and atr');
    agent = { reader: reader.slice(0, 200), atr };
  }
  return {
    acknowledges: ack,
    ...(v.responses !== undefined ? { responses: v.responses } : {}),
    ...(visited ? { visited } : {}),
    ...(agent ? { agent } : {}),
  };
}

/** Validates a TSM's instruction on the agent's side. */
export function parseInstruction(value: unknown): TsmInstruction {
  const v = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  const sequence = v.sequence;
  if (typeof sequence !== 'number' || !Number.isInteger(sequence) || sequence < 0) throw new Error('instruction without a batch number');
  switch (v.kind) {
    case 'apdus':
      if (!isStringArray(v.commands, 1024)) throw new Error('instruction with malformed commands');
      return {
        kind: 'apdus',
        sequence,
        commands: v.commands,
        stopOnError: v.stopOnError === true,
        step: typeof v.step === 'string' ? v.step : '',
        ...(v.restarted === true ? { restarted: true } : {}),
      };
    case 'visit':
      if (typeof v.url !== 'string' || typeof v.token !== 'string') throw new Error('visit without url and token');
      return { kind: 'visit', sequence, url: v.url, token: v.token, step: typeof v.step === 'string' ? v.step : '' };
    case 'done': {
      const detail = typeof v.detail === 'object' && v.detail !== null ? (v.detail as Record<string, string>) : undefined;
      return { kind: 'done', sequence, outcome: typeof v.outcome === 'string' ? v.outcome : '', ...(detail ? { detail } : {}) };
    }
    case 'failed':
      return { kind: 'failed', sequence, reason: typeof v.reason === 'string' ? v.reason : 'failed' };
    default:
      throw new Error(`unknown instruction ${String(v.kind)}`);
  }
}
