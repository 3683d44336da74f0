import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ScriptError } from '../src/errors.js';
import { loadScenario, parseScenario } from '../src/script/parser.js';
import { parseApdutool } from '../src/script/apdutool.js';
import { expandScriptPaths, globToRegExp, loadScripts } from '../src/script/load.js';
import { toHex } from '../src/apdu/hex.js';
import { vector } from './support.js';

function scriptError(fn: () => unknown): ScriptError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ScriptError) return e;
    throw e;
  }
  throw new Error('expected a ScriptError');
}

const parse = (text: string, file = 'f.yaml') => parseScenario(text, file);

describe('variables and captures', () => {
  test('hex with ${...} is kept as a template; without, it is parsed now', () => {
    const s = parse('name: t\nvars: {X: "00"}\nsteps:\n  - send: 00B0${X}0004\n  - send: 00B0000004\n');
    const [a, b] = s.steps.map((x) => x.action);
    expect(a!.kind === 'send' && a.apdu.constant).toBeUndefined();
    expect(b!.kind === 'send' && toHex(b.apdu.constant!)).toBe('00B0000004');
    expect(s.vars).toEqual({ X: '00' });
  });
  test('non-hex text around a reference is refused at parse time', () => {
    expect(scriptError(() => parse('name: t\nsteps:\n  - send: 00ZZ${X}\n')).message).toMatch(/^f\.yaml:3:11: send: not hex outside/);
  });
  test('a malformed reference is refused', () => {
    expect(scriptError(() => parse('name: t\nsteps:\n  - send: 00B0${1bad}\n')).message).toMatch(/malformed variable reference/);
  });
  test('capture forms: a name, data ranges, sw, atr', () => {
    const s = parse(
      'name: t\nsteps:\n  - send: 00B00000\n    capture: all\n  - send: 00B00000\n    capture: {a: "data[0:2]", b: "data[2:]", c: sw, d: atr}\n',
    );
    expect(s.steps[0]!.capture).toEqual([{ name: 'all', from: 'data' }]);
    expect(s.steps[1]!.capture).toEqual([
      { name: 'a', from: 'data', start: 0, end: 2 },
      { name: 'b', from: 'data', start: 2 },
      { name: 'c', from: 'sw' },
      { name: 'd', from: 'atr' },
    ]);
  });
  test('a bad capture source names its position', () => {
    const e = scriptError(() => parse('name: t\nsteps:\n  - send: 00B00000\n    capture: {a: body}\n'));
    expect(e.position.line).toBe(4);
    expect(e.reason).toMatch(/expected data, data\[start:end\]/);
  });
});

describe('structure: repeat, include, tags, resets', () => {
  test('repeat expands its steps; copies share the key of their source step', () => {
    const s = parse('name: t\nsteps:\n  - repeat: 3\n    steps:\n      - send: 00A4040C\n      - send: 00B00000\n  - send: 00C00000\n');
    expect(s.steps).toHaveLength(7);
    expect(new Set(s.steps.map((x) => x.key)).size).toBe(3);
  });
  test('repeat needs steps and a count ≥ 1', () => {
    expect(scriptError(() => parse('name: t\nsteps:\n  - repeat: 0\n    steps: [{send: 00A4040C}]\n')).reason).toMatch(
      /repeat must be an integer ≥ 1/,
    );
    expect(scriptError(() => parse('name: t\nsteps:\n  - repeat: 2\n')).reason).toMatch(/needs 'steps'/);
    expect(scriptError(() => parse('name: t\nsteps:\n  - repeat: 2\n    send: 00A4040C\n    steps: [{send: 00A4040C}]\n')).reason).toMatch(
      /unknown key 'send' in a repeat block/,
    );
  });
  test('include inlines a scenario or a list of steps, with their tags and vars; errors point into the included file', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'jpki-include-'));
    writeFileSync(path.join(dir, 'select.yaml'), 'name: sel\ntags: [common]\nvars: {AID: D392F000260100000001}\nsteps:\n  - select: ${AID}\n');
    writeFileSync(path.join(dir, 'list.yaml'), '- send: 00B00000\n- reset\n');
    writeFileSync(
      path.join(dir, 'main.yaml'),
      'name: main\nsteps:\n  - include: select.yaml\n  - include: list.yaml\n    tags: [read]\n  - send: 00A4040C\n',
    );
    const s = loadScenario(path.join(dir, 'main.yaml'));
    expect(s.steps.map((x) => x.action.kind)).toEqual(['select', 'send', 'reset', 'send']);
    expect(s.steps[0]!.tags).toEqual(['common']);
    expect(s.steps[1]!.tags).toEqual(['read']);
    expect(s.steps[0]!.position.file).toBe(path.join(dir, 'select.yaml'));
    expect(s.vars).toEqual({ AID: 'D392F000260100000001' });
    writeFileSync(path.join(dir, 'broken.yaml'), '- send: 00GG\n');
    writeFileSync(path.join(dir, 'main2.yaml'), 'name: m\nsteps:\n  - include: broken.yaml\n');
    expect(scriptError(() => loadScenario(path.join(dir, 'main2.yaml'))).message).toMatch(new RegExp(`^${path.join(dir, 'broken.yaml')}:1:9: `));
  });
  test('an include cycle and a missing include are errors at the include', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'jpki-include-'));
    writeFileSync(path.join(dir, 'a.yaml'), 'name: a\nsteps:\n  - include: b.yaml\n');
    writeFileSync(path.join(dir, 'b.yaml'), 'name: b\nsteps:\n  - include: a.yaml\n');
    expect(scriptError(() => loadScenario(path.join(dir, 'a.yaml'))).reason).toMatch(/include cycle: a\.yaml → b\.yaml → a\.yaml/);
    writeFileSync(path.join(dir, 'c.yaml'), 'name: c\nsteps:\n  - include: nowhere.yaml\n');
    const e = scriptError(() => loadScenario(path.join(dir, 'c.yaml')));
    expect([e.position.line, e.position.column]).toEqual([3, 14]);
  });
  test('tags on scenario and steps; a bare reset or power-cycle is a step', () => {
    const s = parse('name: t\ntags: [smoke]\nsteps:\n  - send: 00A4040C\n    tags: [fast]\n  - power-cycle\n  - reset\n  - power-cycle: true\n');
    expect(s.tags).toEqual(['smoke']);
    expect(s.steps[0]!.tags).toEqual(['fast']);
    expect(s.steps.slice(1).map((x) => x.action)).toEqual([
      { kind: 'reset', cold: true },
      { kind: 'reset', cold: false },
      { kind: 'reset', cold: true },
    ]);
  });
  test('a bare word that is not a reset is refused', () => {
    expect(scriptError(() => parse('name: t\nsteps:\n  - selcet\n')).reason).toMatch(/'selcet' is not a step/);
  });
});

describe('high-level steps', () => {
  test('verify-pin is always secret and takes digits or empty', () => {
    const s = parse('name: t\nsteps:\n  - verify-pin: "1234"\n  - verify-pin: ""\n  - verify-pin: ${PIN}\n');
    expect(s.steps.every((x) => x.secret)).toBe(true);
    expect(s.steps[1]!.name).toMatch(/tries left/);
    expect(s.steps.map((x) => x.name).join(' ')).not.toContain('1234');
    expect(scriptError(() => parse('name: t\nsteps:\n  - verify-pin: "12a4"\n')).position.line).toBe(3);
    expect(scriptError(() => parse('name: t\nsteps:\n  - verify-pin: "1234"\n    secret: false\n')).reason).toMatch(/always secret/);
  });
  test('sign: hash and digest, message, or digest-info; checked', () => {
    const ok = parse(
      `name: t\nsteps:\n  - sign: {hash: SHA-256, digest: ${'00'.repeat(32)}}\n  - sign: {hash: sha1, message: hi}\n  - sign: {digest-info: 3021}\n`,
    );
    expect(ok.steps.map((x) => x.action.kind)).toEqual(['sign', 'sign', 'sign']);
    expect(scriptError(() => parse(`name: t\nsteps:\n  - sign: {hash: sha256, digest: ${'00'.repeat(20)}}\n`)).reason).toMatch(
      /sha256 digest has 32 bytes, got 20/,
    );
    expect(scriptError(() => parse('name: t\nsteps:\n  - sign: {hash: md5, digest: 00}\n')).reason).toMatch(
      /expected one of sha1, sha256, sha384, sha512/,
    );
    expect(scriptError(() => parse('name: t\nsteps:\n  - sign: {digest: 00}\n')).reason).toMatch(/needs 'hash'/);
    expect(scriptError(() => parse('name: t\nsteps:\n  - sign: {hash: sha1, digest: 00, message: x}\n')).reason).toMatch(/exactly one of/);
    expect(scriptError(() => parse('name: t\nsteps:\n  - sign: {hash: sha1, digets: 00}\n')).reason).toMatch(/unknown key 'digets' in sign/);
  });
});

describe('apdutool import', () => {
  test('the shipped apdutool script becomes reset, echo, three APDUs and a delay', () => {
    const [s] = loadScripts([vector('apdutool', 'read-token.scr')]);
    expect(s!.steps.map((x) => x.action.kind)).toEqual(['reset', 'echo', 'send', 'send', 'send', 'delay']);
    const apdus = s!.steps.filter((x) => x.action.kind === 'send').map((x) => (x.action.kind === 'send' ? toHex(x.action.apdu.constant!) : ''));
    expect(apdus).toEqual(['00A4040C0AD392F0002601000000017F', '00A4020C0200067F', '00B0000020']);
    expect(s!.steps[2]!.position.line).toBe(5);
    expect(s!.steps[4]!.position.line).toBe(9);
  });
  test('decimal bytes, expectations on request', async () => {
    const { parseSwPattern } = await import('../src/apdu/patterns.js');
    const s = parseApdutool('0 164 4 0 0 0;', 'x.scr', { expectSw: [parseSwPattern('9000')!] });
    expect(s.steps[0]!.expect.sw.map((p) => p.text)).toEqual(['9000']);
  });
  test('errors name file:line:column', () => {
    expect(scriptError(() => parseApdutool('powerup;\n  0x00 0xA4 0x04 0x00 0x02 0xAA 0x00;\n', 'v.scr')).message).toBe(
      'v.scr:2:3: LC is 2, so the APDU has 8 bytes (CLA INS P1 P2 LC data LE), got 7',
    );
    expect(scriptError(() => parseApdutool('0x00 0xA4 0x04 0x00 0x00 0x100;', 'v.scr')).reason).toMatch(/'0x100' is not a byte/);
    expect(scriptError(() => parseApdutool('powerup;\nselect foo;\n', 'v.scr')).message).toMatch(/^v\.scr:2:1: unknown apdutool statement 'select'/);
    expect(scriptError(() => parseApdutool('powerup', 'v.scr')).reason).toMatch(/does not end with ';'/);
    expect(scriptError(() => parseApdutool('echo hello;', 'v.scr')).reason).toMatch(/quoted string/);
  });
});

describe('script paths', () => {
  test('folders expand to their scripts, sorted; globs match', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'jpki-paths-'));
    for (const f of ['b.yaml', 'a.yml', 'c.scr', 'notes.txt']) writeFileSync(path.join(dir, f), '');
    expect(expandScriptPaths([dir]).map((f) => path.basename(f))).toEqual(['a.yml', 'b.yaml', 'c.scr']);
    expect(expandScriptPaths([`${dir}/*.yaml`]).map((f) => path.basename(f))).toEqual(['b.yaml']);
    expect(() => expandScriptPaths([`${dir}/*.json`])).toThrow(/no scenario matches/);
    expect(() => expandScriptPaths([path.join(dir, 'missing.yaml')])).toThrow(/no such scenario file or folder/);
  });
  test('globToRegExp: * stays in a folder, ** crosses folders', () => {
    expect(globToRegExp('a/*.yaml').test('a/b.yaml')).toBe(true);
    expect(globToRegExp('a/*.yaml').test('a/x/b.yaml')).toBe(false);
    expect(globToRegExp('a/**/*.yaml').test('a/x/y/b.yaml')).toBe(true);
    expect(globToRegExp('a/**/*.yaml').test('a/b.yaml')).toBe(true);
  });
});
