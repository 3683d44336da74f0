import { loadCases, parseCases, REQUIREMENTS } from '../../src/compat/cases.js';
import { loadTarget } from '../../src/compat/target.js';
import { notApplicable } from '../../src/compat/run-card.js';
import { commandName } from '../../src/apdu/command-name.js';
import { certificateOfSize } from '../../src/compat/certificates.js';
import { PROCEDURE_NAMES } from '../../src/compat/procedures.js';
import { ScriptError } from '../../src/errors.js';
import { parseHex } from '../../src/apdu/hex.js';
import { vector } from '../support.js';

describe('the conformance suite files', () => {
  const cases = loadCases(vector('conformance'));

  test('every case has an ID, a title, the requirement it checks, and something to run', () => {
    expect(cases.length).toBeGreaterThanOrEqual(40);
    for (const c of cases) {
      expect(c.id).toMatch(/^(UI|AD|GP)-[A-Z]+-\d\d$/);
      expect(c.requirement.length).toBeGreaterThan(10);
      expect(c.procedure !== undefined || c.scenario !== undefined).toBe(true);
      if (c.procedure) expect(PROCEDURE_NAMES).toContain(c.procedure.name);
    }
  });

  test('the user interface, the administration interface and GlobalPlatform are covered', () => {
    const ids = cases.map((c) => c.id);
    for (const prefix of ['UI-SEL', 'UI-RB', 'UI-PIN', 'UI-CRD', 'UI-SIG', 'UI-CHL', 'UI-PWR', 'AD-PRS', 'AD-CRT', 'AD-PIN', 'GP-INS', 'GP-LOD']) {
      expect(ids.some((id) => id.startsWith(prefix))).toBe(true);
    }
  });

  test('format errors name the file and line', () => {
    expect(() => parseCases('group: g\ncases:\n  - id: X-1\n    title: t\n    requirement: r\n    steps: []\n', 'bad.yaml')).toThrow(ScriptError);
    expect(() =>
      parseCases(
        'group: g\ncases:\n  - id: UI-X-01\n    title: t\n    requirement: r\n    requires: [nfc]\n    steps:\n      - select: 00\n',
        'bad.yaml',
      ),
    ).toThrow(/bad\.yaml:6:.*unknown requirement 'nfc'/);
    expect(() => parseCases('group: g\ncases:\n  - id: UI-X-01\n    title: t\n    requirement: r\n', 'bad.yaml')).toThrow(
      /neither a procedure nor steps/,
    );
    expect(REQUIREMENTS).toContain('on-card-key-generation');
  });
});

describe('targets, applicability and timing names', () => {
  test('a persona profile names its persona and capabilities; a real-card profile needs a reader', () => {
    const t = loadTarget(vector('profiles', 'persona-no-rsa-keygen.yaml'));
    expect(t.name).toBe('no-rsa-keygen');
    expect(t.persona).toMatch(/personas\/no-rsa-keygen\.yaml$/);
    expect(notApplicable(t, 'on-card-key-generation')).toMatch(/no on-card RSA-2048 key generation/);
    expect(notApplicable(t, 'content-4096')).toBeUndefined();
    const small = loadTarget(vector('profiles', 'persona-scp03-only-small-memory.yaml'));
    expect(notApplicable(small, 'content-4096')).toMatch(/up to 2048 bytes/);
    const t0 = loadTarget(vector('profiles', 'persona-t0-short-only.yaml'));
    expect(notApplicable(t0, 'extended-length')).toMatch(/no extended-length/);
    expect(() => loadTarget(vector('profiles', 'simulator-scp03.yaml'))).toThrow(/READER=PROFILE/);
    expect(loadTarget(vector('profiles', 'simulator-scp03.yaml'), 'Virtual PCD 00 01').status).toBe('untested');
  });

  test('commands are named by header', () => {
    expect(commandName(parseHex('00A4040C0AD392F000260100000001'))).toBe('SELECT (AID)');
    expect(commandName(parseHex('802A0080'))).toBe('COMPUTE DIGITAL SIGNATURE');
    expect(commandName(parseHex('00840000 08'))).toBe('GET CHALLENGE');
    expect(commandName(parseHex('84DB0A00'))).toBe('PUT CONTENT');
    expect(commandName(parseHex('00C00000'))).toBeUndefined();
  });

  test('certificates of exactly 1, 2 and 4 KB', async () => {
    for (const size of [1024, 2048, 4096]) {
      const der = await certificateOfSize(size);
      expect(der.length).toBe(size);
      expect(der[0]).toBe(0x30);
    }
  });
});
