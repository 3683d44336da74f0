import { readFileSync } from 'node:fs';
import path from 'node:path';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node, type Pair, type YAMLMap } from 'yaml';
import { ScriptError, type SourcePosition } from '../errors.js';
import { HexFormatError, parseHex } from '../apdu/hex.js';
import { parseMaskedHex, parseSwPattern } from './patterns.js';
import type { Expectation, Scenario, Step, StepAction, SwPattern } from './scenario.js';

const SCENARIO_KEYS = ['name', 'description', 'steps'] as const;
const ACTION_KEYS = ['send', 'select', 'select-ef', 'read-ef', 'write-ef', 'reset'] as const;
const STEP_KEYS = ['name', 'expect', 'secret', ...ACTION_KEYS] as const;
const EXPECT_KEYS = ['sw', 'data', 'regex', 'length'] as const;
const WRITE_EF_KEYS = ['fid', 'file', 'hex'] as const;

const OK: readonly SwPattern[] = [parseSwPattern('9000')!];

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
  text(node: Node | null | undefined, what: string): string {
    if (!isScalar(node)) this.fail(node, `${what} must be a single value`);
    if (node.value === null) this.fail(node, `${what} is empty`);
    return typeof node.source === 'string' && typeof node.value !== 'string' ? node.source : String(node.value);
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

  bool(node: Node | null | undefined, what: string): boolean {
    if (!isScalar(node) || typeof node.value !== 'boolean') this.fail(node, `${what} must be true or false`);
    return node.value;
  }

  integer(node: Node | null | undefined, what: string): number {
    if (!isScalar(node) || typeof node.value !== 'number' || !Number.isInteger(node.value) || node.value < 0) {
      this.fail(node, `${what} must be a non-negative integer`);
    }
    return node.value;
  }
}

/** Parses scenario text. `file` names it in errors and anchors relative paths. */
export function parseScenario(text: string, file: string): Scenario {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const error = doc.errors[0]!;
    const pos = error.linePos?.[0] ?? lines.linePos(error.pos[0]);
    throw new ScriptError({ file, line: pos.line, column: pos.col }, `YAML syntax: ${error.message.split('\n')[0]}`);
  }
  const r = new NodeReader(file, lines);
  const root = doc.contents as Node | null;
  if (root === null) throw new ScriptError({ file, line: 1, column: 1 }, 'the scenario is empty (expected name and steps)');
  const top = r.map(root, 'the scenario', SCENARIO_KEYS);
  const nameEntry = r.entry(top, 'name');
  const stepsEntry = r.entry(top, 'steps');
  if (!stepsEntry) return r.fail(top, "the scenario has no 'steps'");
  const stepList = stepsEntry.value;
  if (!isSeq(stepList) || stepList.items.length === 0) {
    return r.fail(stepList ?? (stepsEntry.pair.key as Node), "'steps' must be a non-empty list");
  }
  const descriptionEntry = r.entry(top, 'description');
  const steps = (stepList.items as Node[]).map((node, i) => parseStep(r, node, i + 1, path.dirname(file)));
  return {
    file,
    name: nameEntry ? r.text(nameEntry.value, 'name') : path.basename(file),
    ...(descriptionEntry ? { description: r.text(descriptionEntry.value, 'description') } : {}),
    steps,
  };
}

export function loadScenario(file: string): Scenario {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ScriptError({ file, line: 1, column: 1 }, `cannot read the scenario: ${(e as Error).message}`);
  }
  return parseScenario(text, file);
}

function parseStep(r: NodeReader, node: Node, index: number, baseDir: string): Step {
  const map = r.map(node, `step ${index}`, STEP_KEYS);
  const actions = map.items.filter((p) => ACTION_KEYS.includes(r.keyText(p) as (typeof ACTION_KEYS)[number]));
  if (actions.length !== 1) {
    r.fail(actions[1]?.key ?? node, `step ${index} needs exactly one action (${ACTION_KEYS.join(', ')}), found ${actions.length}`);
  }
  const actionPair = actions[0]!;
  const action = parseAction(r, r.keyText(actionPair), actionPair.value, baseDir);
  const nameEntry = r.entry(map, 'name');
  const expectEntry = r.entry(map, 'expect');
  const secretEntry = r.entry(map, 'secret');
  return {
    name: nameEntry ? r.text(nameEntry.value, 'name') : `${index}. ${defaultName(action)}`,
    action,
    expect: expectEntry ? parseExpect(r, expectEntry.value) : { sw: action.kind === 'reset' ? [] : OK },
    secret: secretEntry ? r.bool(secretEntry.value, 'secret') : false,
    position: r.position(node),
  };
}

function parseAction(r: NodeReader, kind: string, value: Node | null, baseDir: string): StepAction {
  switch (kind) {
    case 'send': {
      const apdu = r.hex(value, 'send');
      if (apdu.length < 4) r.fail(value, `send: a command APDU has at least 4 bytes (CLA INS P1 P2), got ${apdu.length}`);
      return { kind: 'send', apdu };
    }
    case 'select': {
      const aid = r.hex(value, 'select');
      if (aid.length < 5 || aid.length > 16) r.fail(value, `select: an AID has 5 to 16 bytes, got ${aid.length}`);
      return { kind: 'select', aid };
    }
    case 'select-ef':
    case 'read-ef': {
      const fid = r.hex(value, kind);
      if (fid.length !== 2) r.fail(value, `${kind}: a file identifier has 2 bytes (4 hex digits), got ${fid.length}`);
      return { kind, fid };
    }
    case 'write-ef': {
      const map = r.map(value, 'write-ef', WRITE_EF_KEYS);
      const fidEntry = r.entry(map, 'fid');
      if (!fidEntry) r.fail(value, "write-ef needs 'fid'");
      const fid = r.hex(fidEntry.value, 'write-ef fid');
      if (fid.length !== 2) r.fail(fidEntry.value, 'write-ef fid: a file identifier has 2 bytes');
      const fileEntry = r.entry(map, 'file');
      const hexEntry = r.entry(map, 'hex');
      if ((fileEntry === undefined) === (hexEntry === undefined)) r.fail(value, "write-ef needs exactly one of 'file' or 'hex'");
      if (hexEntry) return { kind: 'write-ef', fid, content: r.hex(hexEntry.value, 'write-ef hex'), source: 'inline hex' };
      const relative = r.text(fileEntry!.value, 'write-ef file');
      const resolved = path.resolve(baseDir, relative);
      try {
        return { kind: 'write-ef', fid, content: new Uint8Array(readFileSync(resolved)), source: relative };
      } catch (e) {
        r.fail(fileEntry!.value, `write-ef file: cannot read '${resolved}': ${(e as Error).message}`);
      }
    }
    // eslint-disable-next-line no-fallthrough
    case 'reset': {
      const mode = r.text(value, 'reset');
      if (mode !== 'warm' && mode !== 'cold') r.fail(value, `reset: expected 'warm' or 'cold', got '${mode}'`);
      return { kind: 'reset', cold: mode === 'cold' };
    }
    default:
      throw new Error(`unreachable action ${kind}`);
  }
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
  let data;
  if (dataEntry) {
    const text = r.text(dataEntry.value, 'expect data');
    data = parseMaskedHex(text);
    if (!data) r.fail(dataEntry.value, `expect data: '${text}' is not hex (x for any nibble)`);
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

function defaultName(action: StepAction): string {
  switch (action.kind) {
    case 'send':
      return `send ${Buffer.from(action.apdu.subarray(0, 4)).toString('hex').toUpperCase()}`;
    case 'select':
      return `select ${Buffer.from(action.aid).toString('hex').toUpperCase()}`;
    case 'select-ef':
    case 'read-ef':
      return `${action.kind} ${Buffer.from(action.fid).toString('hex').toUpperCase()}`;
    case 'write-ef':
      return `write-ef ${Buffer.from(action.fid).toString('hex').toUpperCase()} from ${action.source}`;
    case 'reset':
      return `${action.cold ? 'cold' : 'warm'} reset`;
  }
}
