import * as lib from '../src/index.js';

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

  test('buildCli registers every command', () => {
    const names = lib.buildCli().commands.map((c) => c.name());
    expect(names).toEqual(expect.arrayContaining(['readers', 'send', 'shell', 'run', 'bench', 'sim']));
  });
});
