/**
 * The YAML scenario parser (docs/script-format.md). Three choices shape it:
 *  - It works on the YAML document tree, not on plain objects, so that every error can name the
 *    file:line:column of the node at fault: a scenario is written by hand and run far from its author.
 *  - It resolves at parse time what does not depend on the run (hex, patterns, repeat and include
 *    blocks, digest lengths) and leaves to run time what does: `${var}` templates, and secure-channel
 *    options (profile, env: keys), which would otherwise put key material into a parsed scenario.
 *  - repeat and include are expanded into a flat list of steps: the runner's loop stays a plain loop,
 *    and repeated copies share a key so that their timings are gathered as one step's samples.
 */
import path from 'node:path';
import { readTextFile, readWholeFile } from '../read-file.js';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node, type Pair, type YAMLMap } from 'yaml';
import { ScriptError, type SourcePosition } from '../errors.js';
import { HexFormatError, parseHex } from '../apdu/hex.js';
import { parseMaskedHex, parseSwPattern } from '../apdu/patterns.js';
import { hasReferences, referencedNames } from './vars.js';
import type { HashName } from '../apdu/digest-info.js';
import {
  SECURE_CHANNEL_STEP_KEYS,
  type BytePattern,
  type Capture,
  type Expectation,
  type Scenario,
  type SecureChannelSpec,
  type Step,
  type StepAction,
  type SwPattern,
  type Template,
} from './scenario.js';

const SCENARIO_KEYS = ['name', 'description', 'tags', 'vars', 'steps'] as const;
export const ACTION_KEYS = [
  'send',
  'select',
  'select-ef',
  'read-ef',
  'write-ef',
  'reset',
  'power-cycle',
  'verify-pin',
  'sign',
  'echo',
  'delay',
  'secure-channel',
] as const;
const STEP_KEYS = ['name', 'expect', 'secret', 'capture', 'tags', ...ACTION_KEYS] as const;
const REPEAT_KEYS = ['repeat', 'name', 'tags', 'steps'] as const;
const INCLUDE_KEYS = ['include', 'tags'] as const;
const EXPECT_KEYS = ['sw', 'data', 'regex', 'length'] as const;
const WRITE_EF_KEYS = ['fid', 'file', 'hex'] as const;
const SIGN_KEYS = ['hash', 'digest', 'message', 'digest-info'] as const;
const HASHES: readonly HashName[] = ['sha1', 'sha256', 'sha384', 'sha512'];
const DIGEST_LENGTHS: Record<HashName, number> = { sha1: 20, sha256: 32, sha384: 48, sha512: 64 };
/** Upper bound on steps after repeat and include are expanded: a typo in a repeat count must not exhaust memory. */
const MAX_STEPS = 1_000_000;

const OK: readonly SwPattern[] = [parseSwPattern('9000')!];
const VAR_NAME = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

/** Turns a YAML node into typed values, with every error naming file:line:column. */
class NodeReader {
  constructor(
    readonly file: string,
    private readonly lines: LineCounter,
  ) {}

  position(node: Node | null | undefined, fallbackOffset = 0): SourcePosition {
    const offset = node?.range?.[0] ?? fallbackOffset;
    const { line, col } = this.lines.linePos(offset);
    return { file: this.file, line, column: col };
  }

  fail(node: Node | null | undefined, reason: string): never {
    throw new ScriptError(this.position(node), reason);
  }

  map(node: Node | null | undefined, what: string, allowed: readonly string[]): YAMLMap<Node, Node> {
    if (!isMap(node)) this.fail(node, `${what} must be a mapping`);
    for (const pair of node.items as Pair<Node, Node>[]) {
      const key = this.keyText(pair);
      if (!allowed.includes(key)) {
        this.fail(pair.key, `unknown key '${key}' in ${what} (expected one of: ${allowed.join(', ')})`);
      }
    }
    return node as YAMLMap<Node, Node>;
  }

  keyText(pair: Pair<Node, Node>): string {
    if (!isScalar(pair.key)) this.fail(pair.key, 'keys must be plain words');
    return String(pair.key.value);
  }

  entry(map: YAMLMap<Node, Node>, key: string): { pair: Pair<Node, Node>; value: Node | null } | undefined {
    for (const pair of map.items) {
      if (isScalar(pair.key) && pair.key.value === key) return { pair, value: pair.value };
    }
    return undefined;
  }

  /** The scalar as written in the file, so 0006 stays "0006" rather than the number 6. */
  text(node: Node | null | undefined, what: string, allowEmpty = false): string {
    if (!isScalar(node)) this.fail(node, `${what} must be a single value`);
    if (node.value === null || (!allowEmpty && node.value === '')) this.fail(node, `${what} is empty`);
    // YAML reads 0x30 as 48 and 1e3 as 1000: a hex-looking value keeps the text as written.
    if (typeof node.source === 'string' && typeof node.value !== 'string') return node.source;
    return typeof node.value === 'string' ? node.value : JSON.stringify(node.value);
  }

  hex(node: Node | null | undefined, what: string): Uint8Array {
    const text = this.text(node, what);
    try {
      return parseHex(text);
    } catch (e) {
      if (e instanceof HexFormatError) this.fail(node, `${what}: ${e.message} in '${text}'`);
      throw e;
    }
  }

  /** Hex that may hold `${name}` references; checked now when it holds none. */
  hexTemplate(node: Node | null | undefined, what: string, check?: (bytes: Uint8Array) => string | undefined): Template<Uint8Array> {
    const text = this.text(node, what);
    if (hasReferences(text)) {
      this.checkReferences(node, text);
      const outside = text.replace(/\$\{[^}]*\}/g, '');
      if (!/^[0-9a-fA-F\s:]*$/.test(outside)) this.fail(node, `${what}: not hex outside the variable references in '${text}'`);
      return { text };
    }
    const bytes = this.hex(node, what);
    const problem = check?.(bytes);
    if (problem) this.fail(node, `${what}: ${problem}`);
    return { text, constant: bytes };
  }

  textTemplate(node: Node | null | undefined, what: string, allowEmpty = false): Template<string> {
    const text = this.text(node, what, allowEmpty);
    if (hasReferences(text)) {
      this.checkReferences(node, text);
      return { text };
    }
    return { text, constant: text };
  }

  private checkReferences(node: Node | null | undefined, text: string): void {
    const wellFormed = referencedNames(text).length;
    const opened = text.split('${').length - 1;
    if (wellFormed !== opened) this.fail(node, `malformed variable reference in '${text}' (write \${name}: letters, digits, _ . -)`);
  }

  bool(node: Node | null | undefined, what: string): boolean {
    if (!isScalar(node) || typeof node.value !== 'boolean') this.fail(node, `${what} must be true or false`);
    return node.value;
  }

  integer(node: Node | null | undefined, what: string, min = 0): number {
    if (!isScalar(node) || typeof node.value !== 'number' || !Number.isInteger(node.value) || node.value < min) {
      this.fail(node, `${what} must be an integer ≥ ${min}`);
    }
    return node.value;
  }

  stringList(node: Node | null | undefined, what: string): string[] {
    const nodes: (Node | null)[] = isSeq(node) ? (node.items as Node[]) : [node as Node];
    return nodes.map((n) => this.text(n, what));
  }
}

interface ParseContext {
  readonly r: NodeReader;
  readonly baseDir: string;
  /** Files being parsed, outermost first: an include of one of them is a cycle. */
  readonly stack: readonly string[];
  readonly vars: Record<string, string>;
  /** Tags inherited from enclosing repeat/include blocks. */
  readonly tags: readonly string[];
  count: { steps: number };
}

/** Parses scenario text. `file` names it in errors and anchors relative paths. */
export function parseScenario(text: string, file: string): Scenario {
  return parseScenarioIn(text, file, [], { steps: 0 });
}

function parseYaml(text: string, file: string): { r: NodeReader; root: Node | null } {
  const lines = new LineCounter();
  // uniqueKeys: a step with two `expect:` keys would otherwise keep the last one silently.
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const error = doc.errors[0]!;
    const pos = error.linePos?.[0] ?? lines.linePos(error.pos[0]);
    throw new ScriptError({ file, line: pos.line, column: pos.col }, `YAML syntax: ${error.message.split('\n')[0]}`);
  }
  return { r: new NodeReader(file, lines), root: doc.contents };
}

function parseScenarioIn(text: string, file: string, stack: readonly string[], count: { steps: number }): Scenario {
  const { r, root } = parseYaml(text, file);
  if (root === null) throw new ScriptError({ file, line: 1, column: 1 }, 'the scenario is empty (expected name and steps)');
  const top = r.map(root, 'the scenario', SCENARIO_KEYS);
  const nameEntry = r.entry(top, 'name');
  const stepsEntry = r.entry(top, 'steps');
  if (!stepsEntry) return r.fail(top, "the scenario has no 'steps'");
  const descriptionEntry = r.entry(top, 'description');
  const tagsEntry = r.entry(top, 'tags');
  const varsEntry = r.entry(top, 'vars');
  const vars: Record<string, string> = varsEntry ? parseVars(r, varsEntry.value) : {};
  // Relative paths (include, write-ef file, profile) are relative to the file that names them, not to
  // the working directory: a scenario folder can be moved and run from anywhere.
  const ctx: ParseContext = { r, baseDir: path.dirname(file), stack: [...stack, path.resolve(file)], vars, tags: [], count };
  const steps = parseStepList(ctx, stepsEntry.value ?? stepsEntry.pair.key, 'steps');
  return {
    file,
    name: nameEntry ? r.text(nameEntry.value, 'name') : path.basename(file),
    ...(descriptionEntry ? { description: r.text(descriptionEntry.value, 'description') } : {}),
    tags: tagsEntry ? r.stringList(tagsEntry.value, 'tags') : [],
    vars,
    steps,
  };
}

function parseVars(r: NodeReader, node: Node | null): Record<string, string> {
  if (!isMap(node)) return r.fail(node, 'vars must be a mapping of name: value');
  const out: Record<string, string> = {};
  for (const pair of node.items as Pair<Node, Node>[]) {
    const name = r.keyText(pair);
    if (!VAR_NAME.test(name)) r.fail(pair.key, `vars: '${name}' is not a variable name (letters, digits, _ . -)`);
    out[name] = r.text(pair.value, `vars ${name}`, true);
  }
  return out;
}

export function loadScenario(file: string): Scenario {
  return parseScenario(readScenarioText(file, { file, line: 1, column: 1 }), file);
}

function readScenarioText(file: string, at: SourcePosition): string {
  return readTextFile(file, (reason) => new ScriptError(at, `cannot read the scenario '${file}': ${reason}`));
}

function parseStepList(ctx: ParseContext, node: Node | null, what: string): Step[] {
  const { r } = ctx;
  if (!isSeq(node) || node.items.length === 0) return r.fail(node, `'${what}' must be a non-empty list`);
  const steps: Step[] = [];
  (node.items as Node[]).forEach((item, i) => {
    if (isMap(item) && r.entry(item as YAMLMap<Node, Node>, 'repeat')) steps.push(...parseRepeat(ctx, item as YAMLMap<Node, Node>));
    else if (isMap(item) && r.entry(item as YAMLMap<Node, Node>, 'include')) steps.push(...parseInclude(ctx, item as YAMLMap<Node, Node>));
    else steps.push(parseStep(ctx, item, i + 1));
    // Counted as the list grows, so that a runaway repeat stops at the block that caused it.
    if (ctx.count.steps + steps.length > MAX_STEPS) r.fail(item, `more than ${MAX_STEPS} steps after expanding repeat and include`);
  });
  return steps;
}

function parseRepeat(ctx: ParseContext, map: YAMLMap<Node, Node>): Step[] {
  const { r } = ctx;
  r.map(map, 'a repeat block', REPEAT_KEYS);
  const times = r.integer(r.entry(map, 'repeat')!.value, 'repeat', 1);
  const stepsEntry = r.entry(map, 'steps');
  if (stepsEntry === undefined) return r.fail(map, "a repeat block needs 'steps' (the steps to repeat)");
  const tagsEntry = r.entry(map, 'tags');
  const inner: ParseContext = { ...ctx, tags: [...ctx.tags, ...(tagsEntry ? r.stringList(tagsEntry.value, 'tags') : [])] };
  const body = parseStepList(inner, stepsEntry.value, 'steps');
  if (body.length * times > MAX_STEPS) r.fail(map, `repeat ${times} × ${body.length} steps exceeds ${MAX_STEPS} steps`);
  // The same Step objects, repeated: their shared key makes every copy a sample of one timing row.
  const out: Step[] = [];
  for (let i = 0; i < times; i++) out.push(...body);
  return out;
}

function parseInclude(ctx: ParseContext, map: YAMLMap<Node, Node>): Step[] {
  const { r } = ctx;
  r.map(map, 'an include', INCLUDE_KEYS);
  const valueNode = r.entry(map, 'include')!.value;
  const relative = r.text(valueNode, 'include');
  const file = path.resolve(ctx.baseDir, relative);
  if (ctx.stack.includes(file)) r.fail(valueNode, `include cycle: ${[...ctx.stack, file].map((f) => path.basename(f)).join(' → ')}`);
  const text = readScenarioText(file, r.position(valueNode));
  const tagsEntry = r.entry(map, 'tags');
  const tags = [...ctx.tags, ...(tagsEntry ? r.stringList(tagsEntry.value, 'tags') : [])];
  // An included file is either a whole scenario or a bare list of steps.
  const { r: ir, root } = parseYaml(text, file);
  if (isSeq(root)) {
    const inner: ParseContext = { r: ir, baseDir: path.dirname(file), stack: [...ctx.stack, file], vars: ctx.vars, tags, count: ctx.count };
    return parseStepList(inner, root, 'steps');
  }
  const included = parseScenarioIn(text, file, ctx.stack, ctx.count);
  // The including scenario's vars win: an include is a building block the includer configures.
  for (const [k, v] of Object.entries(included.vars)) if (!(k in ctx.vars)) ctx.vars[k] = v;
  return included.steps.map((s) => ({ ...s, tags: [...new Set([...tags, ...included.tags, ...s.tags])] }));
}

/** A step written as a single word: `- reset` (warm) or `- power-cycle` (cold). */
function scalarStep(ctx: ParseContext, node: Node, index: number): Step | undefined {
  if (!isScalar(node)) return undefined;
  const word = String(node.value);
  if (word !== 'reset' && word !== 'power-cycle') {
    ctx.r.fail(
      node,
      `step ${index}: '${word}' is not a step (a step is a mapping with one action: ${ACTION_KEYS.join(', ')}; or the words reset, ` + `power-cycle)`,
    );
  }
  const position = ctx.r.position(node);
  const cold = word === 'power-cycle';
  return {
    name: `${index}. ${cold ? 'power cycle' : 'warm reset'}`,
    action: { kind: 'reset', cold },
    expect: { sw: [] },
    capture: [],
    secret: false,
    tags: [...ctx.tags],
    position,
    key: `${position.file}:${position.line}:${position.column}`,
  };
}

/** One step; its key is where it is written, so repeated and included copies of it time as one step. */
function parseStep(ctx: ParseContext, node: Node, index: number): Step {
  const { r } = ctx;
  const simple = scalarStep(ctx, node, index);
  if (simple) return simple;
  const map = r.map(node, `step ${index}`, STEP_KEYS);
  const actions = map.items.filter((p) => (ACTION_KEYS as readonly string[]).includes(r.keyText(p)));
  if (actions.length !== 1) {
    r.fail(actions[1]?.key ?? node, `step ${index} needs exactly one action (${ACTION_KEYS.join(', ')}), found ${actions.length}`);
  }
  const actionPair = actions[0]!;
  const action = parseAction(r, r.keyText(actionPair), actionPair.value, ctx.baseDir);
  const nameEntry = r.entry(map, 'name');
  const expectEntry = r.entry(map, 'expect');
  const secretEntry = r.entry(map, 'secret');
  const captureEntry = r.entry(map, 'capture');
  const tagsEntry = r.entry(map, 'tags');
  // Steps that send no APDU of their own have no status word to expect; all others expect 9000 unless told.
  const noSw = action.kind === 'reset' || action.kind === 'echo' || action.kind === 'delay' || (action.kind === 'secure-channel' && !action.options);
  const position = r.position(node);
  // A PIN is always secret: a scenario cannot opt out, so no output ever shows one by accident.
  const secret = action.kind === 'verify-pin' || (secretEntry ? r.bool(secretEntry.value, 'secret') : false);
  if (action.kind === 'verify-pin' && secretEntry && !r.bool(secretEntry.value, 'secret')) {
    r.fail(secretEntry.value, 'verify-pin steps are always secret');
  }
  return {
    name: nameEntry ? r.text(nameEntry.value, 'name') : `${index}. ${defaultName(action)}`,
    action,
    expect: expectEntry ? parseExpect(r, expectEntry.value) : { sw: noSw ? [] : OK },
    capture: captureEntry ? parseCapture(r, captureEntry.value) : [],
    secret,
    tags: [...new Set([...ctx.tags, ...(tagsEntry ? r.stringList(tagsEntry.value, 'tags') : [])])],
    position,
    key: `${position.file}:${position.line}:${position.column}`,
  };
}

/**
 * A `secure-channel:` mapping as plain data. What can be checked without the GP layer is checked here,
 * so that a typo still fails at its line before any card is touched: unknown keys, non-scalar values,
 * and literal key hex of the wrong length. The rest (the profile, env: keys, the level and its fit with
 * the SCP) is resolved when the step runs, by runner/secure-channel.ts, and fails at run time.
 */
function secureChannelSpec(r: NodeReader, map: YAMLMap<Node, Node>, baseDir: string): SecureChannelSpec {
  const spec: Record<string, string | number> = {};
  for (const pair of map.items) {
    const key = r.keyText(pair);
    if (!(SECURE_CHANNEL_STEP_KEYS as readonly string[]).includes(key)) {
      r.fail(pair.key, `unknown secure-channel key '${key}' (expected one of: ${SECURE_CHANNEL_STEP_KEYS.join(', ')})`);
    }
    const node = pair.value;
    if (!isScalar(node) || (typeof node.value !== 'string' && typeof node.value !== 'number'))
      r.fail(node ?? pair.key, `secure-channel ${key} ` + `must be a scalar`);
    // YAML reads 0x30 as the number 48; keep the text as written for hex-looking values (a key, an AID).
    const value = typeof node.value !== 'string' && typeof node.source === 'string' ? node.source : node.value;
    if (['key', 'enc', 'mac', 'dek'].includes(key) && typeof value === 'string' && !value.startsWith('env:')) {
      const length = value.replace(/\s/g, '').length / 2;
      if (!/^([0-9a-fA-F]{2}\s*)+$/.test(value) || ![16, 24, 32].includes(length)) {
        r.fail(node, `secure-channel ${key} must be 16, 24 or 32 bytes of hex, or env:NAME`);
      }
    }
    spec[key] = key === 'profile' ? path.resolve(baseDir, String(value)) : value;
  }
  return spec;
}

function fidCheck(bytes: Uint8Array): string | undefined {
  return bytes.length === 2 ? undefined : `a file identifier has 2 bytes (4 hex digits), got ${bytes.length}`;
}

function parseAction(r: NodeReader, kind: string, value: Node | null, baseDir: string): StepAction {
  switch (kind) {
    case 'secure-channel': {
      if (isScalar(value) && value.value === 'end') return { kind: 'secure-channel' };
      if (!isMap(value)) {
        r.fail(value, "secure-channel takes a mapping (profile, scp, i, level, kvn, key, enc, mac, dek, diversification, sd) or the word 'end'");
      }
      return { kind: 'secure-channel', options: secureChannelSpec(r, value as YAMLMap<Node, Node>, baseDir) };
    }
    case 'send':
      return {
        kind: 'send',
        apdu: r.hexTemplate(value, 'send', (b) =>
          b.length < 4 ? `a command APDU has at least 4 bytes (CLA INS P1 P2), got ` + `${b.length}` : undefined,
        ),
      };
    case 'select':
      return {
        kind: 'select',
        aid: r.hexTemplate(value, 'select', (b) => (b.length < 5 || b.length > 16 ? `an AID has 5 to 16 bytes, got ${b.length}` : undefined)),
      };
    case 'select-ef':
    case 'read-ef':
      return { kind, fid: r.hexTemplate(value, kind, fidCheck) };
    case 'write-ef': {
      const map = r.map(value, 'write-ef', WRITE_EF_KEYS);
      const fidEntry = r.entry(map, 'fid');
      if (!fidEntry) r.fail(value, "write-ef needs 'fid'");
      const fid = r.hexTemplate(fidEntry.value, 'write-ef fid', fidCheck);
      const fileEntry = r.entry(map, 'file');
      const hexEntry = r.entry(map, 'hex');
      if ((fileEntry === undefined) === (hexEntry === undefined)) r.fail(value, "write-ef needs exactly one of 'file' or 'hex'");
      if (hexEntry) return { kind: 'write-ef', fid, content: r.hexTemplate(hexEntry.value, 'write-ef hex'), source: 'inline hex' };
      const relative = r.text(fileEntry!.value, 'write-ef file');
      const resolved = path.resolve(baseDir, relative);
      const content = new Uint8Array(
        readWholeFile(
          resolved,
          (reason) => new ScriptError(r.position(fileEntry!.value), `write-ef file: cannot ` + `read '${resolved}': ${reason}`),
        ),
      );
      return { kind: 'write-ef', fid, content: { text: relative, constant: content }, source: relative };
    }
    case 'reset': {
      const mode = r.text(value, 'reset');
      if (mode !== 'warm' && mode !== 'cold') r.fail(value, `reset: expected 'warm' or 'cold', got '${mode}'`);
      return { kind: 'reset', cold: mode === 'cold' };
    }
    case 'power-cycle':
      if (!r.bool(value, 'power-cycle')) r.fail(value, 'power-cycle: write power-cycle: true (or the bare word power-cycle)');
      return { kind: 'reset', cold: true };
    case 'verify-pin': {
      const pin = r.textTemplate(value, 'verify-pin', true);
      if (pin.constant !== undefined && !/^[0-9]{0,16}$/.test(pin.constant)) {
        r.fail(value, 'verify-pin: the PIN is decimal digits (4 for JPKI user authentication), or empty to ask for the tries left');
      }
      return { kind: 'verify-pin', pin };
    }
    case 'sign':
      return parseSign(r, value);
    case 'echo':
      return { kind: 'echo', message: r.textTemplate(value, 'echo', true) };
    case 'delay':
      return { kind: 'delay', milliseconds: r.integer(value, 'delay (milliseconds)') };
    default:
      throw new Error(`unreachable action ${kind}`);
  }
}

function parseSign(r: NodeReader, value: Node | null): StepAction {
  const map = r.map(value, 'sign', SIGN_KEYS);
  const hashEntry = r.entry(map, 'hash');
  const digestEntry = r.entry(map, 'digest');
  const messageEntry = r.entry(map, 'message');
  const infoEntry = r.entry(map, 'digest-info');
  const given = [digestEntry, messageEntry, infoEntry].filter((e) => e !== undefined).length;
  if (given !== 1) r.fail(value, "sign needs exactly one of 'digest' (hex, with 'hash'), 'message' (text, with 'hash') or 'digest-info' (hex)");
  if (infoEntry) {
    if (hashEntry) r.fail(hashEntry.pair.key, "sign: 'hash' goes with 'digest' or 'message', not with 'digest-info'");
    return { kind: 'sign', digestInfo: r.hexTemplate(infoEntry.value, 'sign digest-info') };
  }
  if (!hashEntry) return r.fail(value, `sign needs 'hash' (${HASHES.join(', ')})`);
  const hashText = r.text(hashEntry.value, 'sign hash').toLowerCase().replace('-', '');
  if (!(HASHES as readonly string[]).includes(hashText))
    r.fail(hashEntry.value, `sign hash: expected one of ${HASHES.join(', ')}, got ` + `'${hashText}'`);
  const hash = hashText as HashName;
  if (messageEntry) return { kind: 'sign', hash, message: r.textTemplate(messageEntry.value, 'sign message', true) };
  const digest = r.hexTemplate(digestEntry!.value, 'sign digest', (b) =>
    b.length !== DIGEST_LENGTHS[hash] ? `a ${hash} digest has ${DIGEST_LENGTHS[hash]} bytes, got ${b.length}` : undefined,
  );
  return { kind: 'sign', hash, digest };
}

function parseSwList(r: NodeReader, node: Node | null): SwPattern[] {
  const nodes: (Node | null)[] = isSeq(node) ? (node.items as Node[]) : [node];
  if (nodes.length === 0) r.fail(node, 'expect sw: the list is empty');
  return nodes.map((n) => {
    const text = r.text(n, 'expect sw');
    const pattern = parseSwPattern(text);
    if (!pattern) r.fail(n, `expect sw: '${text}' is not a status word pattern (four hex digits, x for any nibble: 9000, 63Cx)`);
    return pattern;
  });
}

function parseExpect(r: NodeReader, node: Node | null): Expectation {
  if (isScalar(node) || isSeq(node)) return { sw: parseSwList(r, node) };
  const map = r.map(node, 'expect', EXPECT_KEYS);
  const swEntry = r.entry(map, 'sw');
  const dataEntry = r.entry(map, 'data');
  const regexEntry = r.entry(map, 'regex');
  const lengthEntry = r.entry(map, 'length');
  let data: Template<BytePattern> | undefined;
  if (dataEntry) {
    const text = r.text(dataEntry.value, 'expect data');
    if (hasReferences(text)) data = { text };
    else {
      const pattern = parseMaskedHex(text);
      if (!pattern) r.fail(dataEntry.value, `expect data: '${text}' is not hex (x for any nibble)`);
      data = { text, constant: pattern };
    }
  }
  let dataRegex;
  if (regexEntry) {
    const text = r.text(regexEntry.value, 'expect regex');
    try {
      dataRegex = new RegExp(text, 'i');
    } catch (e) {
      r.fail(regexEntry.value, `expect regex: ${(e as Error).message}`);
    }
  }
  return {
    sw: swEntry ? parseSwList(r, swEntry.value) : OK,
    ...(data ? { data } : {}),
    ...(dataRegex ? { dataRegex } : {}),
    ...(lengthEntry ? { length: r.integer(lengthEntry.value, 'expect length') } : {}),
  };
}

const CAPTURE_SOURCE = /^(data|sw|atr)(?:\[(\d*):(\d*)\])?$/;

function parseCapture(r: NodeReader, node: Node | null): Capture[] {
  if (isScalar(node)) {
    const name = r.text(node, 'capture');
    if (!VAR_NAME.test(name)) r.fail(node, `capture: '${name}' is not a variable name`);
    return [{ name, from: 'data' }];
  }
  if (!isMap(node)) return r.fail(node, 'capture must be a variable name or a mapping name: data | data[start:end] | sw | atr');
  return (node.items as Pair<Node, Node>[]).map((pair) => {
    const name = r.keyText(pair);
    if (!VAR_NAME.test(name)) r.fail(pair.key, `capture: '${name}' is not a variable name (letters, digits, _ . -)`);
    const source = r.text(pair.value, `capture ${name}`);
    const m = CAPTURE_SOURCE.exec(source.replace(/\s/g, ''));
    if (!m) return r.fail(pair.value, `capture ${name}: expected data, data[start:end] (byte offsets), sw or atr; got '${source}'`);
    const from = m[1] as Capture['from'];
    if (from === 'sw' && m[2] !== undefined) r.fail(pair.value, `capture ${name}: sw takes no byte range`);
    const start = m[2] ? Number(m[2]) : undefined;
    const end = m[3] ? Number(m[3]) : undefined;
    if (start !== undefined && end !== undefined && end < start) r.fail(pair.value, `capture ${name}: the range ends before it starts`);
    return { name, from, ...(start !== undefined ? { start } : {}), ...(end !== undefined ? { end } : {}) };
  });
}

function defaultName(action: StepAction): string {
  switch (action.kind) {
    case 'send':
      return `send ${action.apdu.constant ? Buffer.from(action.apdu.constant.subarray(0, 4)).toString('hex').toUpperCase() : action.apdu.text}`;
    case 'select':
      return `select ${action.aid.text.replace(/\s/g, '').toUpperCase()}`;
    case 'select-ef':
    case 'read-ef':
      return `${action.kind} ${action.fid.text.toUpperCase()}`;
    case 'write-ef':
      return `write-ef ${action.fid.text.toUpperCase()} from ${action.source}`;
    case 'reset':
      return `${action.cold ? 'cold' : 'warm'} reset`;
    case 'verify-pin':
      return action.pin.constant === '' ? 'verify PIN (tries left)' : 'verify PIN';
    case 'sign':
      return action.digestInfo ? 'sign DigestInfo' : `sign ${action.hash} digest`;
    case 'echo':
      return 'echo';
    case 'secure-channel':
      if (!action.options) return 'end secure channel';
      if (action.options.scp !== undefined) return `open secure channel (SCP0${action.options.scp})`;
      return `open secure channel (${action.options.profile !== undefined ? path.basename(String(action.options.profile)) : 'SCP0?'})`;
    case 'delay':
      return `delay ${action.milliseconds} ms`;
  }
}
