/**
 * The conformance suite: cases with an ID, the requirement each checks, the card state it starts from,
 * what it needs from the card, an optional library procedure and scenario steps with their expectations
 * (test-vectors/conformance/*.yaml, format in docs/compat.md).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, stringify, type Node, type YAMLMap } from 'yaml';
import { ScriptError } from '../errors.js';
import { parseScenario } from '../script/parser.js';
import type { Scenario } from '../script/scenario.js';

/** The applet state a case starts from. */
export type CaseState = 'blank' | 'personalised' | 'any';

/** What a case may require of a card; anything else is a format error. */
export const REQUIREMENTS = ['on-card-key-generation', 'extended-length', 'content-1024', 'content-2048', 'content-4096'] as const;
export type Requirement = (typeof REQUIREMENTS)[number];

export interface ProcedureCall {
  readonly name: string;
  /** Named arguments (strings as written). */
  readonly args: Readonly<Record<string, string>>;
}

export interface ConformanceCase {
  readonly id: string;
  readonly title: string;
  /** The requirement checked: ISO 7816-4 / GP clause, JPKI client behaviour, source document item. */
  readonly requirement: string;
  readonly group: string;
  readonly file: string;
  readonly line: number;
  readonly state: CaseState;
  readonly requires: readonly Requirement[];
  /** The case leaves the applet in a state other than the one it started from. */
  readonly changesState: boolean;
  readonly procedure?: ProcedureCall;
  /** Scenario steps run after the procedure; undefined when the case is a procedure only. */
  readonly scenario?: Scenario;
}

const GROUP_KEYS = ['group', 'description', 'cases'];
const CASE_KEYS = ['id', 'title', 'requirement', 'state', 'requires', 'changes-state', 'procedure', 'steps'];

export function parseCases(text: string, file: string): ConformanceCase[] {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines });
  const at = (node: Node | null | undefined): { file: string; line: number; column: number } => {
    const { line, col } = lines.linePos(node?.range?.[0] ?? 0);
    return { file, line, column: col };
  };
  const fail = (node: Node | null | undefined, reason: string): never => {
    throw new ScriptError(at(node), reason);
  };
  if (doc.errors.length > 0) fail(doc.contents, `YAML: ${doc.errors[0]!.message.split('\n')[0]}`);
  const keysOf = (node: unknown, what: string, allowed: readonly string[]): Map<string, Node> => {
    if (!isMap(node)) fail(node as Node, `${what} must be a mapping`);
    const out = new Map<string, Node>();
    for (const pair of (node as YAMLMap).items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : '';
      if (!allowed.includes(key)) fail(pair.key as Node, `unknown key '${key}' in ${what} (expected one of: ${allowed.join(', ')})`);
      out.set(key, pair.value as Node);
    }
    return out;
  };
  const text1 = (node: Node | undefined, what: string, parent: Node | null | undefined): string => {
    if (node === undefined) fail(parent, `missing '${what}'`);
    if (!isScalar(node)) fail(node, `${what} must be text`);
    return String((node as { value: unknown }).value);
  };
  const top = keysOf(doc.contents, 'the suite file', GROUP_KEYS);
  const group = text1(top.get('group'), 'group', doc.contents);
  const casesNode = top.get('cases');
  if (!isSeq(casesNode)) fail(casesNode ?? doc.contents, 'cases must be a list');
  const out: ConformanceCase[] = [];
  for (const item of (casesNode as { items: Node[] }).items) {
    const c = keysOf(item, 'a case', CASE_KEYS);
    const id = text1(c.get('id'), 'id', item);
    if (!/^[A-Z]+(-[A-Z0-9]+)+$/.test(id)) fail(c.get('id'), `case id '${id}' must look like UI-PIN-03`);
    const stateText = c.has('state') ? text1(c.get('state'), 'state', item) : 'personalised';
    if (stateText !== 'blank' && stateText !== 'personalised' && stateText !== 'any')
      fail(c.get('state'), 'state must be blank, personalised or any');
    const state = stateText as CaseState;
    const requires: Requirement[] = [];
    const reqNode = c.get('requires');
    if (reqNode !== undefined) {
      if (!isSeq(reqNode)) fail(reqNode, 'requires must be a list');
      for (const r of (reqNode as { items: Node[] }).items) {
        const name = text1(r, 'requirement', reqNode);
        if (!(REQUIREMENTS as readonly string[]).includes(name)) fail(r, `unknown requirement '${name}' (known: ${REQUIREMENTS.join(', ')})`);
        requires.push(name as Requirement);
      }
    }
    let procedure: ProcedureCall | undefined;
    const procNode = c.get('procedure');
    if (procNode !== undefined) {
      if (isScalar(procNode)) procedure = { name: String(procNode.value), args: {} };
      else {
        const p = keysOf(procNode, 'procedure', ['name', 'size', 'pin']);
        const args: Record<string, string> = {};
        for (const [k, v] of p) if (k !== 'name') args[k] = text1(v, k, procNode);
        procedure = { name: text1(p.get('name'), 'name', procNode), args };
      }
    }
    let scenario: Scenario | undefined;
    const stepsNode = c.get('steps');
    if (stepsNode !== undefined) {
      // The steps are scenario steps: parse them with the scenario parser (positions then count from the case).
      const { line } = lines.linePos(stepsNode.range?.[0] ?? 0);
      const padding = '\n'.repeat(Math.max(0, line - 3));
      scenario = parseScenario(`${padding}name: ${JSON.stringify(id)}\nsteps:\n${indent(stringify(stepsNode.toJSON()))}`, file);
    }
    if (procedure === undefined && scenario === undefined) fail(item, `case ${id} has neither a procedure nor steps`);
    const changes = c.has('changes-state') ? text1(c.get('changes-state'), 'changes-state', item) : 'false';
    out.push({
      id,
      title: text1(c.get('title'), 'title', item),
      requirement: text1(c.get('requirement'), 'requirement', item),
      group,
      file,
      line: at(item).line,
      state,
      requires,
      changesState: changes === 'true',
      ...(procedure !== undefined ? { procedure } : {}),
      ...(scenario !== undefined ? { scenario } : {}),
    });
  }
  return out;
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((l) => (l.length > 0 ? `  ${l}` : l))
    .join('\n');
}

/** Every case in a file or a directory of *.yaml files (sorted by file name), IDs unique. */
export function loadCases(location: string): ConformanceCase[] {
  const files = statSync(location).isDirectory()
    ? readdirSync(location)
        .filter((f) => f.endsWith('.yaml') || f.endsWith('.yml'))
        .sort()
        .map((f) => path.join(location, f))
    : [location];
  const cases: ConformanceCase[] = [];
  const seen = new Map<string, string>();
  for (const file of files) {
    for (const c of parseCases(readFileSync(file, 'utf8'), file)) {
      const before = seen.get(c.id);
      if (before !== undefined) throw new ScriptError({ file, line: c.line, column: 1 }, `case id ${c.id} is already used in ${before}`);
      seen.set(c.id, file);
      cases.push(c);
    }
  }
  return cases;
}
