import { concatBytes } from '../apdu/hex.js';
import { encodeCommand } from '../apdu/command.js';
import { digestInfo, hashMessage } from '../apdu/digest-info.js';
import { ResponseApdu } from '../apdu/response.js';
import { ScriptError, type SourcePosition } from '../errors.js';
import type { SecureChannelSpec, StepAction } from '../script/scenario.js';
import { resolveHex, resolveText, type Variables } from '../script/vars.js';

export type { Exchange } from '../results.js';

/** What an action needs from below: send one APDU, or reset. The runner supplies timing. */
export interface ActionContext {
  exchange(command: Uint8Array): Promise<ResponseApdu>;
  reset(cold: boolean): Promise<Uint8Array>;
  /** Variable values for `${...}` (defaults, --var, captures so far). */
  readonly vars: Variables;
  /** Where the step is, for errors in resolved values. */
  readonly position: SourcePosition;
  /** Output of `echo` steps. */
  echo?(message: string): void;
  /**
   * Opens a secure channel over the card (its APDUs are exchanges of this step) and sends every
   * following step through it; `undefined` ends it. Returns the EXTERNAL AUTHENTICATE outcome.
   */
  secureChannel?(options: SecureChannelSpec | undefined): Promise<ActionOutcome>;
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

export { selectAidCommand, selectEfCommand, verifyPinCommand, signCommand } from '../apdu/jpki-commands.js';
import { readBinaryCommand, selectAidCommand, selectEfCommand, verifyPinCommand, signCommand } from '../apdu/jpki-commands.js';

function fromResponse(r: ResponseApdu): ActionOutcome {
  return { sw: r.sw, data: r.data };
}

/** Expands a scenario action into APDUs and runs them. */
export async function performAction(action: StepAction, ctx: ActionContext): Promise<ActionOutcome> {
  const { vars, position } = ctx;
  switch (action.kind) {
    case 'send':
      return fromResponse(await ctx.exchange(resolveHex(action.apdu, vars, position, 'send')));
    case 'select':
      return fromResponse(await ctx.exchange(selectAidCommand(resolveHex(action.aid, vars, position, 'select'))));
    case 'select-ef':
      return fromResponse(await ctx.exchange(selectEfCommand(fid(action.fid, ctx))));
    case 'read-ef':
      return readWholeFile(fid(action.fid, ctx), ctx);
    case 'write-ef':
      return writeWholeFile(fid(action.fid, ctx), resolveHex(action.content, vars, position, 'write-ef hex'), ctx);
    case 'reset':
      return { data: await ctx.reset(action.cold) };
    case 'verify-pin': {
      const pin = resolveText(action.pin, vars, position);
      if (!/^[0-9]{0,16}$/.test(pin)) throw new ScriptError(position, 'verify-pin: the PIN (after substitution) is not decimal digits');
      return fromResponse(await ctx.exchange(verifyPinCommand(pin)));
    }
    case 'sign': {
      let info: Uint8Array;
      if (action.digestInfo) info = resolveHex(action.digestInfo, vars, position, 'sign digest-info');
      else if (action.message)
        info = digestInfo(action.hash!, hashMessage(action.hash!, new Uint8Array(Buffer.from(resolveText(action.message, vars, position), 'utf8'))));
      else {
        const digest = resolveHex(action.digest!, vars, position, 'sign digest');
        try {
          info = digestInfo(action.hash!, digest);
        } catch (e) {
          throw new ScriptError(position, `sign digest: ${(e as Error).message}`);
        }
      }
      return fromResponse(await ctx.exchange(signCommand(info)));
    }
    case 'echo':
      ctx.echo?.(resolveText(action.message, vars, position));
      return { data: new Uint8Array(0) };
    case 'delay':
      await new Promise((resolve) => setTimeout(resolve, action.milliseconds));
      return { data: new Uint8Array(0) };
    case 'secure-channel':
      if (!ctx.secureChannel) throw new ScriptError(position, 'secure-channel: this runner cannot open secure channels');
      return ctx.secureChannel(action.options);
  }
}

function fid(template: Parameters<typeof resolveHex>[0], ctx: ActionContext): Uint8Array {
  const bytes = resolveHex(template, ctx.vars, ctx.position, 'file identifier');
  if (bytes.length !== 2) throw new ScriptError(ctx.position, `a file identifier has 2 bytes, got ${bytes.length}`);
  return bytes;
}

/** Reads a transparent EF in 256-byte chunks until a short chunk, 6282 or 6B00 marks its end. */
async function readWholeFile(fid: Uint8Array, ctx: ActionContext): Promise<ActionOutcome> {
  const selected = await ctx.exchange(selectEfCommand(fid));
  if (selected.sw !== 0x9000) return { sw: selected.sw, data: selected.data };
  const chunks: Uint8Array[] = [];
  for (let offset = 0; offset <= 0x7fff;) {
    const r = await ctx.exchange(readBinaryCommand(offset, READ_CHUNK));
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
  const selected = await ctx.exchange(selectEfCommand(fid));
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
