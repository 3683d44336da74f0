import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { packageRoot } from '../src/package-root.js';
import { runShell, shellLineToYaml } from '../src/cli/shell.js';
import { TraceTransport } from '../src/transport/trace.js';
import { reportSchemaErrors } from './validate.js';
import { vector } from './support.js';

const CLI = path.join(packageRoot(), 'dist', 'harness', 'src', 'cli', 'main.js');

function cli(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { ...process.env, FORCE_COLOR: '0' }, timeout: 30000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const trace = vector('traces', 'pin-and-sign.trace');
const scenario = vector('traces', 'pin-and-sign.yaml');

describe('jpki-harness exit codes (on a replayed trace)', () => {
  test('0 when every step passes; the PIN never appears', () => {
    const r = cli('run', '-v', '-t', 'trace', '--trace', trace, '--var', 'PIN=8642', scenario);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('14 passed, 0 failed');
    expect(r.stdout).toContain('=> 0020008004********');
    expect(r.stdout).not.toContain('38363432');
  });

  test('1 when an expectation fails', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'jpki-cli-'));
    const file = path.join(dir, 'fail.yaml');
    writeFileSync(file, 'name: f\nsteps:\n  - select: D392F000260100000001\n    expect: {sw: 6A82}\n');
    const t = path.join(dir, 'x.trace');
    writeFileSync(t, '=> 00A4040C0AD392F000260100000001\n<= 9000\n');
    const r = cli('run', '-t', 'trace', '--trace', t, file);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('SW 9000, expected 6A82');
  });

  test('2 for a script error, with file:line:column', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'jpki-cli-'));
    const file = path.join(dir, 'bad.yaml');
    writeFileSync(file, 'name: b\nsteps:\n  - sned: 00A4040C\n');
    const r = cli('run', file);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${file}:3:5: unknown key 'sned'`);
  });

  test('2 for a usage error', () => {
    expect(cli('run', '--repeat', '0', scenario).code).toBe(2);
    expect(cli('run', '--frobnicate', scenario).code).toBe(2);
    expect(cli('run', '-t', 'trace', scenario).code).toBe(2);
  });

  test('3 for a card error: a trace that does not match', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'jpki-cli-'));
    const t = path.join(dir, 'x.trace');
    writeFileSync(t, '=> 00A4040C0AD392F000260100000002\n<= 9000\n');
    const r = cli('run', '-t', 'trace', '--trace', t, scenario);
    expect(r.code).toBe(3);
    expect(r.stdout).toContain(`${t}:1: command mismatch (first difference at byte 14)`);
  });

  test('--help on every command shows examples and exits 0', () => {
    for (const command of [[], ['run'], ['bench'], ['shell'], ['send'], ['readers'], ['sim'], ['sim', 'start']]) {
      const r = cli(...command, '--help');
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/Examples?:/);
    }
  });

  test('--json prints a report valid against the schema', () => {
    const r = cli('run', '--json', '-t', 'trace', '--trace', trace, scenario);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout) as unknown;
    expect(reportSchemaErrors(report)).toEqual([]);
  });

  test('--record then replay: the recorded trace reproduces the run', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'jpki-cli-'));
    const recorded = path.join(dir, 'rec.trace');
    expect(cli('run', '-q', '-t', 'trace', '--trace', trace, '--record', recorded, scenario).code).toBe(0);
    const text = readFileSync(recorded, 'utf8');
    expect(text).toContain('=> 0020008004********');
    expect(cli('run', '-q', '-t', 'trace', '--trace', recorded, scenario).code).toBe(0);
  });

  test('--tag runs only the tagged steps (and then the trace is not used up: exit 3 names the missing command)', () => {
    const r = cli('run', '-q', '--tag', 'sign', '-t', 'trace', '--trace', trace, scenario);
    expect(r.code).toBe(3);
    expect(r.stdout + r.stderr).toMatch(/command mismatch|missing command/);
  });
});

describe('console output', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'jpki-console-'));
  const file = path.join(dir, 'sel.yaml');
  writeFileSync(file, 'name: sel\nsteps:\n  - name: select it\n    send: 00A4040C\n  - echo: done\n');
  const t = path.join(dir, 'sel.trace');
  writeFileSync(t, '=> 00A4040C\n<= 9000\n'.repeat(4));

  test('bench prints per-step statistics over the measured iterations only', () => {
    const r = cli('bench', '-n', '3', '-w', '1', '-t', 'trace', '--trace', t, file);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/step\s+count\s+min\s+median\s+p95\s+max/);
    expect(r.stdout).toMatch(/select it\s+3\s/);
    expect(r.stdout).toContain('6 passed, 0 failed — 4 scenario runs, 4 APDUs');
  });

  test('--quiet prints the summary line only; echo output is silenced', () => {
    const r = cli('run', '-q', '-n', '4', '-t', 'trace', '--trace', t, file);
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split('\n')).toEqual(['8 passed, 0 failed — 4 scenario runs, 4 APDUs']);
  });

  test('a single run prints the step table and echo output', () => {
    const one = path.join(dir, 'one.trace');
    writeFileSync(one, '=> 00A4040C\n<= 9000\n');
    const r = cli('run', '-t', 'trace', '--trace', one, file);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('done');
    expect(r.stdout).toMatch(/1\s+select it\s+9000\s+pass\s+1/);
  });
});

describe('shell', () => {
  test('a line is an APDU or a step', () => {
    expect(shellLineToYaml('00 A4 04 0C')).toContain('send: 00 A4 04 0C');
    expect(shellLineToYaml('read-ef 000A')).toContain('read-ef: 000A');
    expect(shellLineToYaml('verify-pin:')).toContain('verify-pin: ""');
    expect(shellLineToYaml('power-cycle')).toContain('- power-cycle');
    expect(shellLineToYaml('send 00B0000004 capture=len')).toContain('capture: len');
    expect(shellLineToYaml('frobnicate 1')).toBeUndefined();
  });

  test('runs steps on the card, hides the PIN in output and history, keeps captures', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'jpki-shell-'));
    const historyFile = path.join(dir, 'history');
    const transport = TraceTransport.fromText(
      'atr 3B00\n=> 00A4040C0AD392F000260100000001\n<= 9000\n=> 002000800431323334\n<= 63C2\n' +
        '=> 00B0000004\n<= 308203B89000\n=> 00B00004B8\n<= 9000\nreset warm\natr 3B01\n',
    );
    const input = new PassThrough();
    const output = new PassThrough();
    let text = '';
    output.on('data', (chunk: Buffer) => (text += chunk.toString()));
    const done = runShell({ transport, input, output, historyFile });
    input.end(
      [
        'select D392F000260100000001',
        'verify-pin 1234',
        'send 00B0000004 capture=hdr',
        '.set X 1',
        '00B00004B8',
        'nonsense',
        '.vars',
        'reset',
        '.quit',
      ].join('\n') + '\n',
    );
    await done;
    expect(text).toContain('=> 0020008004********');
    expect(text).toContain('<= 63C2');
    expect(text).not.toContain('31323334');
    expect(text).toContain("not an APDU or a step: 'nonsense'");
    expect(text).toContain('hdr = 308203B8');
    expect(text).toContain('X = 1');
    expect(text).toContain('ATR 3B01');
    const history = readFileSync(historyFile, 'utf8');
    expect(history).toContain('select D392F000260100000001');
    expect(history).not.toContain('1234');
    transport.assertConsumed();
  });
});

describe('the top-level --help page, kept once rendered', () => {
  const cache = path.join(path.dirname(CLI), '.help', 'top-level-80.txt');
  const help = (): string => {
    const r = spawnSync(process.execPath, [CLI, '--help'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    return r.stdout;
  };

  test('is what commander prints for --help, rendered or kept, and a page older than the CLI is rendered again', async () => {
    const { main } = await import('../src/cli/program.js');
    let live = '';
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = (chunk: string | Uint8Array) => {
      live += chunk.toString();
      return true;
    };
    try {
      await main(['node', 'jpki-harness', '--help']);
    } finally {
      process.stdout.write = write;
    }
    expect(live).toContain('Exit codes:');
    const { rmSync, utimesSync } = await import('node:fs');
    rmSync(cache, { force: true });
    expect(help()).toBe(live); // rendered, then kept
    expect(readFileSync(cache, 'utf8')).toBe(live);
    expect(help()).toBe(live); // from the kept page
    // A stale page (older than the modules, as after a rebuild) is not used.
    writeFileSync(cache, 'stale page\n');
    utimesSync(cache, new Date(0), new Date(0));
    expect(help()).toBe(live);
  });
});

describe('a command defines only its own group', () => {
  test('each group defines exactly the commands it is listed with, and the groups together define every command', async () => {
    const { COMMAND_GROUPS, buildCli } = await import('../src/cli/program.js');
    const { Command } = await import('../src/cli/commander.js');
    for (const group of COMMAND_GROUPS) {
      const program = new Command('jpki-harness');
      (await group.load())(program);
      expect(program.commands.map((c) => c.name())).toEqual(group.commands);
    }
    const all = (await buildCli()).commands.map((c) => c.name());
    expect(all).toEqual(COMMAND_GROUPS.flatMap((g) => g.commands));
  });

  test('install defines itself only; a mistyped name defines them all, so commander can suggest one', async () => {
    const { buildCli } = await import('../src/cli/program.js');
    expect((await buildCli('install')).commands.map((c) => c.name())).toEqual(['install']);
    expect((await buildCli('gp')).commands.map((c) => c.name())).toEqual(['cap', 'gp']);
    expect((await buildCli('instal')).commands.length).toBeGreaterThan(20);
    const r = spawnSync(process.execPath, [CLI, 'instal'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('Did you mean install?');
  });
});
