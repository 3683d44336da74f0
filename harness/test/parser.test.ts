import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ScriptError } from '../src/errors.js';
import { loadScenario, parseScenario } from '../src/script/parser.js';
import { vector } from './support.js';

function parseError(text: string, file = 'bad.yaml'): ScriptError {
  try {
    parseScenario(text, file);
  } catch (error) {
    if (error instanceof ScriptError) return error;
    throw error;
  }
  throw new Error('expected a ScriptError');
}

describe('scenario parser', () => {
  test('loads the shipped scenario', () => {
    const scenario = loadScenario(vector('scenarios', 'read-certificate.yaml'));
    expect(scenario.name).toMatch(/certificate/i);
    expect(scenario.steps.length).toBeGreaterThanOrEqual(10);
  });

  test('file IDs written as 0006 stay hex, not the number 6', () => {
    const scenario = parseScenario('name: t\nsteps:\n  - select-ef: 0006\n', 't.yaml');
    const action = scenario.steps[0]!.action;
    expect(action.kind).toBe('select-ef');
    expect(action.kind === 'select-ef' && Array.from(action.fid.constant!)).toEqual([0x00, 0x06]);
  });

  test('a step expects 9000 unless told otherwise', () => {
    const scenario = parseScenario('name: t\nsteps:\n  - send: 00A4040C\n  - send: 00B00000\n    expect: {sw: 6Axx}\n', 't.yaml');
    expect(scenario.steps[0]!.expect.sw.map((p) => p.text)).toEqual(['9000']);
    expect(scenario.steps[1]!.expect.sw.map((p) => p.text)).toEqual(['6Axx']);
  });

  test('a malformed APDU names file:line:column', () => {
    const error = parseError('name: t\nsteps:\n  - name: ok\n    send: 00A4040C\n  - name: broken\n    send: 00A4ZZ\n', 'scen.yaml');
    expect(error.position).toEqual({ file: 'scen.yaml', line: 6, column: 11 });
    expect(error.message).toMatch(/^scen\.yaml:6:11: /);
  });

  test('an unknown key is an error at its line, listing the allowed keys', () => {
    const error = parseError('name: t\nsteps:\n  - sned: 00A4040C\n');
    expect(error.position.line).toBe(3);
    expect(error.message).toMatch(/unknown key 'sned'.*send/);
  });

  test('a step with two actions is refused', () => {
    expect(parseError('name: t\nsteps:\n  - send: 00A4040C\n    reset: warm\n').position.line).toBe(4);
  });

  test('an invalid status-word pattern is refused at its line', () => {
    expect(parseError('name: t\nsteps:\n  - send: 00A4040C\n    expect:\n      sw: 9G00\n').position.line).toBe(5);
  });

  test('YAML syntax errors carry the position too', () => {
    const error = parseError('name: t\nsteps:\n  - send: [00A4\n');
    expect(error.position.file).toBe('bad.yaml');
    expect(error.position.line).toBeGreaterThanOrEqual(3);
  });

  test('loadScenario reports the real path of the file', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'jpki-parser-'));
    const file = path.join(dir, 'broken.yaml');
    writeFileSync(file, 'name: t\nsteps:\n  - select-ef: 12345\n');
    expect(() => loadScenario(file)).toThrow(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:3:`));
  });

  test('write-ef needs exactly one of file or hex', () => {
    expect(parseError('name: t\nsteps:\n  - write-ef: {fid: 000A}\n').position.line).toBe(3);
  });

  test('secure-channel steps: plain data as written, mistakes found at parse time at their line', () => {
    const ok = parseScenario(
      'name: t\nsteps:\n  - secure-channel: { scp: 3, key: 404142434445464748494A4B4C4D4E4F, level: cmac+cdec }\n  - secure-channel: end\n',
      't.yaml',
    );
    const open = ok.steps[0]!.action;
    expect(open.kind === 'secure-channel' && open.options).toEqual({ scp: '3', key: '404142434445464748494A4B4C4D4E4F', level: 'cmac+cdec' });
    expect(ok.steps[1]!.action.kind === 'secure-channel' && ok.steps[1]!.action.options).toBeUndefined();
    expect(parseError('name: t\nsteps:\n  - send: 00A4040C\n  - secure-channel: { scp: 3, colour: blue }\n').position.line).toBe(4);
    expect(parseError('name: t\nsteps:\n  - secure-channel: { scp: 3, key: 4041 }\n').message).toMatch(/^bad\.yaml:3:/);
  });
});
