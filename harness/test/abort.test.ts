import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CardRemovedError } from '../src/errors.js';
import { parseScenario } from '../src/script/parser.js';
import { runSuite } from '../src/runner/runner.js';
import { ReportFiles } from '../src/report/files.js';
import type { Report } from '../src/report/model.js';
import { SimTransport } from '../src/transport/sim.js';
import { packageRoot } from '../src/package-root.js';
import { junitSchemaErrors, reportSchemaErrors } from './validate.js';
import { announceSkip, simulatorJarBuilt } from './support.js';

const ready = simulatorJarBuilt();
if (!ready) announceSkip('reports after a lost card or a killed harness', 'build/jpki-simulator.jar is missing (run ant simulator)');
const maybe = ready ? describe : describe.skip;

const LONG = [
  'name: long',
  'steps:',
  '  - select: D392F000260100000001',
  '  - select-ef: "0006"',
  '  - repeat: 20000',
  '    steps:',
  '      - name: read the token',
  '        send: 00B0000020',
  '',
].join('\n');

maybe('a run that loses its card mid-way still leaves valid reports', () => {
  test('killing the simulator aborts the run with a card error (exit code 3); JSON, JUnit and HTML stay valid', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'jpki-abort-'));
    const json = path.join(dir, 'r.json');
    const junit = path.join(dir, 'r.xml');
    const html = path.join(dir, 'r.html');
    const transport = await SimTransport.open();
    const pid = transport.simulatorPid!;
    expect(pid).toBeGreaterThan(0);
    let steps = 0;
    const files = new ReportFiles({ json, junit, html, intervalMs: 20 });
    try {
      const result = await runSuite([parseScenario(LONG, 'long.yaml')], transport, {
        listeners: [
          files,
          {
            step: () => {
              if (++steps === 200) process.kill(pid, 'SIGKILL');
            },
          },
        ],
      });
      expect(result.aborted).toBeInstanceOf(CardRemovedError);
      expect(result.exitCode).toBe(3);
      expect(steps).toBeGreaterThanOrEqual(200);
      expect(steps).toBeLessThan(20002);
    } finally {
      await transport.close();
    }
    const report = JSON.parse(readFileSync(json, 'utf8')) as Report;
    expect(reportSchemaErrors(report)).toEqual([]);
    expect(report.status).toBe('aborted');
    expect(report.exitCode).toBe(3);
    expect(report.aborted).toMatch(/disconnected/);
    expect(report.totals.passed).toBeGreaterThanOrEqual(199);
    expect(report.totals.notRun).toBeGreaterThan(0);
    const xml = readFileSync(junit, 'utf8');
    expect(await junitSchemaErrors(xml)).toEqual([]);
    expect(xml).toContain('<error message="the simulated card disconnected');
    expect(readFileSync(html, 'utf8')).toContain('<span class="status aborted">aborted</span>');
  });

  test('a harness killed with SIGKILL leaves the last report it wrote, complete and valid (status running)', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'jpki-crash-'));
    const scenario = path.join(dir, 'long.yaml');
    writeFileSync(scenario, LONG);
    const json = path.join(dir, 'r.json');
    const junit = path.join(dir, 'r.xml');
    const cli = path.join(packageRoot(), 'dist', 'harness', 'src', 'cli', 'main.js');
    const child = spawn(process.execPath, [cli, 'run', '-q', '--report-json', json, '--junit', junit, '--no-report-apdus', scenario], {
      stdio: 'ignore',
    });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
    try {
      const deadline = Date.now() + 20000;
      for (;;) {
        if (existsSync(json) && existsSync(junit)) {
          const report = JSON.parse(readFileSync(json, 'utf8')) as Report;
          if (report.totals.passed >= 50 && readFileSync(junit, 'utf8').includes('<testcase')) break;
        }
        if (Date.now() > deadline) throw new Error('the harness wrote no report with 50 steps within 20 s');
        await new Promise((r) => setTimeout(r, 50));
      }
      child.kill('SIGKILL');
      expect(await exited).toBe('SIGKILL');
    } finally {
      child.kill('SIGKILL');
    }
    const report = JSON.parse(readFileSync(json, 'utf8')) as Report;
    expect(reportSchemaErrors(report)).toEqual([]);
    expect(report.status).toBe('running');
    expect(report.finishedAt).toBeUndefined();
    expect(report.scenarios[0]!.runs[0]!.complete).toBe(false);
    const xml = readFileSync(junit, 'utf8');
    expect(await junitSchemaErrors(xml)).toEqual([]);
    expect(xml).toContain('not run: the report was written before the run ended');
  });

  test('SIGINT ends the run cleanly: reports say interrupted, exit code 130', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'jpki-int-'));
    const scenario = path.join(dir, 'long.yaml');
    writeFileSync(scenario, LONG);
    const json = path.join(dir, 'r.json');
    const cli = path.join(packageRoot(), 'dist', 'harness', 'src', 'cli', 'main.js');
    const child = spawn(process.execPath, [cli, 'run', '-q', '--report-json', json, '--no-report-apdus', scenario], { stdio: 'ignore' });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const deadline = Date.now() + 20000;
    while (!existsSync(json) || (JSON.parse(readFileSync(json, 'utf8')) as Report).totals.passed < 20) {
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error('no report within 20 s');
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    const report = JSON.parse(readFileSync(json, 'utf8')) as Report;
    expect(reportSchemaErrors(report)).toEqual([]);
    expect(report.status).toBe('interrupted');
    expect(report.exitCode).toBe(130);
  });
});
