import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as lib from '../src/index.js';
import { packageRoot } from '../src/package-root.js';

describe('the library exports what the CLI uses', () => {
  test.each([
    'executeRun',
    'runSuite',
    'runScenario',
    'openCard',
    'openTransport',
    'PcscTransport',
    'SimTransport',
    'TraceTransport',
    'TraceRecorder',
    'IsoTransport',
    'ChainingTransport',
    'LoggingTransport',
    'TimingTransport',
    'standardStack',
    'parseScenario',
    'loadScripts',
    'parseApdutool',
    'ReportBuilder',
    'ReportFiles',
    'renderJUnit',
    'renderHtml',
    'renderJson',
    'ConsoleReporter',
    'runShell',
    'buildCli',
    'listReaders',
    'startBackgroundSimulator',
    'digestInfo',
    'verifyPinCommand',
    'signCommand',
  ])('%s', (name) => {
    expect(typeof (lib as Record<string, unknown>)[name]).toBe('function');
  });

  test('buildCli registers every command', async () => {
    const names = (await lib.buildCli()).commands.map((c) => c.name());
    expect(names).toEqual(expect.arrayContaining(['readers', 'send', 'shell', 'run', 'bench', 'sim']));
  });

  test('--version: the executable, the command line and package.json agree', async () => {
    const root = packageRoot();
    const version = (JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string }).version;
    const cli = path.join(root, 'dist', 'harness', 'src', 'cli', 'main.js');
    expect(spawnSync(process.execPath, [cli, '--version'], { encoding: 'utf8' }).stdout.trim()).toBe(version);
    expect((await lib.buildCli()).version()).toBe(version);
  });
});
