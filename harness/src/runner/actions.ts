import { concatBytes } from '../apdu/hex.js';
import { encodeCommand } from '../apdu/command.js';
import { ResponseApdu } from '../apdu/response.js';
import type { StepAction } from '../script/scenario.js';

/** One command/response pair, timed around the transport call only. */
export interface Exchange {
  readonly command: Uint8Array;
  readonly response: Uint8Array;
  readonly nanoseconds: number;
}

/** What an action needs from below: send one APDU, or reset. The runner supplies timing. */
export interface ActionContext {
  exchange(command: Uint8Array): Promise<ResponseApdu>;
  reset(cold: boolean): Promise<Uint8Array>;
}

/** The outcome of an action: the response that expectations are checked against. */
export interface ActionOutcome {
  readonly sw?: number;
  readonly data: Uint8Array;
  /** Set when an intermediate APDU of a multi-APDU action failed. */
  readonly failure?: string;
}

const READ_CHUNK = 256;
const WRITE_CHUNK = 255;
const SW_END_OF_FILE = 0x6282;
const SW_WRONG_P1P2 = 0x6b00;

function selectEf(fid: Uint8Array): Uint8Array {
  return encodeCommand({ cla: 0x00, ins: 0xa4, p1: 0x02, p2: 0x0c, data: fid });
}

/** Expands a scenario action into APDUs and runs them. */
export async function performAction(action: StepAction, ctx: ActionContext): Promise<ActionOutcome> {
  switch (action.kind) {
    case 'send': {
      const r = await ctx.exchange(action.apdu);
      return { sw: r.sw, data: r.data };
    }
    case 'select': {
      const r = await ctx.exchange(encodeCommand({ cla: 0x00, ins: 0xa4, p1: 0x04, p2: 0x0c, data: action.aid }));
      return { sw: r.sw, data: r.data };
    }
    case 'select-ef': {
      const r = await ctx.exchange(selectEf(action.fid));
      return { sw: r.sw, data: r.data };
    }
    case 'read-ef':
      return readWholeFile(action.fid, ctx);
    case 'write-ef':
      return writeWholeFile(action.fid, action.content, ctx);
    case 'reset': {
      const atr = await ctx.reset(action.cold);
      return { data: atr };
    }
  }
}

/** Reads a transparent EF in 256-byte chunks until a short chunk, 6282 or 6B00 marks its end. */
async function readWholeFile(fid: Uint8Array, ctx: ActionContext): Promise<ActionOutcome> {
  const selected = await ctx.exchange(selectEf(fid));
  if (selected.sw !== 0x9000) return { sw: selected.sw, data: selected.data };
  const chunks: Uint8Array[] = [];
  for (let offset = 0; offset <= 0x7fff; ) {
    const r = await ctx.exchange(encodeCommand({ cla: 0x00, ins: 0xb0, p1: offset >> 8, p2: offset & 0xff, ne: READ_CHUNK }));
    if (r.sw === SW_WRONG_P1P2 && offset > 0) break;
    if (r.sw !== 0x9000 && r.sw !== SW_END_OF_FILE) return { sw: r.sw, data: concatBytes(...chunks) };
    chunks.push(r.data);
    offset += r.data.length;
    if (r.sw === SW_END_OF_FILE || r.data.length < READ_CHUNK) break;
  }
  return { sw: 0x9000, data: concatBytes(...chunks) };
}

/** Writes a transparent EF with UPDATE BINARY in 255-byte chunks (personalisation before lock). */
async function writeWholeFile(fid: Uint8Array, content: Uint8Array, ctx: ActionContext): Promise<ActionOutcome> {
  const selected = await ctx.exchange(selectEf(fid));
  if (selected.sw !== 0x9000) return { sw: selected.sw, data: selected.data };
  let last = selected;
  for (let offset = 0; offset < content.length; offset += WRITE_CHUNK) {
    const chunk = content.subarray(offset, Math.min(content.length, offset + WRITE_CHUNK));
    last = await ctx.exchange(encodeCommand({ cla: 0x00, ins: 0xd6, p1: offset >> 8, p2: offset & 0xff, data: chunk }));
    if (last.sw !== 0x9000) {
      return { sw: last.sw, data: last.data, failure: `UPDATE BINARY at offset ${offset} answered ${last.swHex}` };
    }
  }
  return { sw: last.sw, data: new Uint8Array(0) };
}
