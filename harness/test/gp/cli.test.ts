/** The gp CLI commands as a user runs them: a child process, its output and its exit code. */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { packageRoot } from '../../src/package-root.js';
import { vector } from '../support.js';

const cli = path.join(packageRoot(), 'dist', 'harness', 'src', 'cli', 'main.js');
const run = (...args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', timeout: 30000 });

describe('jpki-harness cap / gp', () => {
  test('cap info --json describes the reference CAP', () => {
    const r = run('cap', 'info', '--json', vector('cap', 'jpki-applet.cap'));
    expect(r.status).toBe(0);
    const info = JSON.parse(r.stdout) as { package: { aid: string }; applets: string[]; loadOrder: string[] };
    expect(info.package.aid).toBe('D392F0002601000000');
    expect(info.applets).toEqual(['D392F000260100000001']);
    expect(info.loadOrder[0]).toBe('Header');
  });
  test('cap info on a file that is not a CAP: exit 2 and a clear message', () => {
    const r = run('cap', 'info', vector('profiles', 'simulator-scp03.yaml'));
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/not a ZIP file/);
  });
  test('a profile mistake is exit 2 with file:line:column', () => {
    const r = run('gp', 'list', '-p', vector('gp', 'README.md'));
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/README\.md:\d+:\d+/);
  });
  test('a bad AID is a usage error before any card is touched', () => {
    const r = run('gp', 'delete', '0102');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/AID of 5\.\.16 bytes/);
  });
});
