import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadScenario, parseScenario } from '../src/script/parser.js';
import { runSuite } from '../src/runner/runner.js';
import { TraceTransport } from '../src/transport/trace.js';
import { standardStack } from '../src/transport/wrappers.js';
import { ReportBuilder, type Report } from '../src/report/model.js';
import { ReportFiles, renderJson } from '../src/report/files.js';
import { renderJUnit } from '../src/report/junit.js';
import { renderHtml } from '../src/report/html.js';
import { ConsoleReporter } from '../src/report/console.js';
import { junitSchemaErrors, reportSchemaErrors } from './validate.js';
import { vector } from './support.js';

async function pinRun(options: { showSecrets?: boolean; repeat?: number } = {}) {
  const repeat = options.repeat ?? 1;
  const text = readFileSync(vector('traces', 'pin-and-sign.trace'), 'utf8');
  // the trace once per iteration: the ATR line only at the start
  const body = text
    .split('\n')
    .filter((l) => !l.startsWith('atr ') || false)
    .join('\n');
  const trace = TraceTransport.fromText(`atr 3B8880014A504B492D53494D6B\n${body}`.repeat(1) + '\n' + body.repeat(repeat - 1));
  const builder = new ReportBuilder({ showSecrets: options.showSecrets ?? false });
  const consoleLines: string[] = [];
  const consoleReporter = new ConsoleReporter({
    verbose: true,
    showSecrets: options.showSecrets ?? false,
    progress: false,
    write: (t) => consoleLines.push(t),
  });
  const suite = await runSuite([loadScenario(vector('traces', 'pin-and-sign.yaml'))], standardStack(trace), {
    repeat,
    listeners: [builder, consoleReporter],
    vars: { PIN: '4321' },
  });
  return { suite, report: builder.snapshot(), console: consoleLines.join('\n') };
}

describe('JSON report', () => {
  test('a passing run is valid against docs/report-schema.json and carries per-step statistics', async () => {
    const { report, suite } = await pinRun({ repeat: 2 });
    expect(suite.exitCode).toBe(0);
    expect(reportSchemaErrors(JSON.parse(renderJson(report)))).toEqual([]);
    expect(report.status).toBe('passed');
    expect(report.totals.passed).toBe(2 * 14);
    const sign = report.stats.find((s) => s.name === 'Sign a SHA-256 digest')!;
    expect(sign.count).toBe(2);
    expect(sign.samples).toHaveLength(2);
  });

  test('the schema rejects what it should (so validation means something)', () => {
    const builder = new ReportBuilder();
    const report = builder.snapshot();
    expect(reportSchemaErrors(report)).toEqual([]);
    expect(reportSchemaErrors({ ...report, status: 'done' })).not.toEqual([]);
    expect(reportSchemaErrors({ ...report, extra: 1 })).not.toEqual([]);
    const { totals: _t, ...withoutTotals } = report;
    expect(reportSchemaErrors(withoutTotals)).not.toEqual([]);
  });

  test('a failing run reports status failed, exit code 1 and the failure text', async () => {
    const trace = TraceTransport.fromText('=> 00A4040C\n<= 6A82\n=> 00A4040C\n<= 9000\n');
    const builder = new ReportBuilder();
    await runSuite([parseScenario('name: t\nsteps:\n  - send: 00A4040C\n  - send: 00A4040C\n', 'f.yaml')], trace, { listeners: [builder] });
    const report = builder.snapshot();
    expect(reportSchemaErrors(report)).toEqual([]);
    expect([report.status, report.exitCode, report.totals.failed]).toEqual(['failed', 1, 1]);
    expect(report.scenarios[0]!.runs[0]!.steps[0]!.failure).toBe('SW 6A82, expected 9000');
  });
});

describe('secrets are redacted in every output unless shown', () => {
  test('JSON, JUnit, HTML and the verbose console never contain the PIN', async () => {
    const { report, console } = await pinRun();
    const pinHex = '34333231'; // "4321"
    for (const output of [renderJson(report), renderJUnit(report), renderHtml(report), console]) {
      expect(output).not.toContain(pinHex);
    }
    const verify = report.scenarios[0]!.runs[0]!.steps.find((s) => s.name === 'Right PIN')!;
    expect(verify.secret).toBe(true);
    expect(verify.exchanges![0]!.command).toBe('0020008004********');
    expect(console).toContain('=> 0020008004********');
  });

  test('--show-secrets shows them, and says so in the report', async () => {
    const { report, console } = await pinRun({ showSecrets: true });
    expect(report.secretsShown).toBe(true);
    expect(renderJson(report)).toContain('002000800434333231');
    expect(console).toContain('=> 002000800434333231');
  });
});

describe('JUnit XML report', () => {
  test('valid against docs/junit.xsd, one testsuite per measured iteration', async () => {
    const { report } = await pinRun({ repeat: 2 });
    const xml = renderJUnit(report);
    expect(await junitSchemaErrors(xml)).toEqual([]);
    expect(xml.match(/<testsuite /g)).toHaveLength(2);
    expect(xml).toContain('tests="28" failures="0" errors="0" skipped="0"');
  });

  test('the XSD rejects malformed reports (so validation means something)', async () => {
    expect(await junitSchemaErrors('<testsuites name="x"/>')).not.toEqual([]);
    expect(await junitSchemaErrors('<testsuites name="x" tests="1" failures="0" errors="0" skipped="0" time="-1"/>')).not.toEqual([]);
  });

  test('failures, an abort and unreached steps become failure, error and skipped', async () => {
    const trace = TraceTransport.fromText('=> 00A4040C\n<= 6A82\n');
    const builder = new ReportBuilder();
    const scenario = parseScenario('name: t & <co>\nsteps:\n  - send: 00A4040C\n  - send: 00B00000\n  - send: 00B00000\n', 'x.yaml');
    await runSuite([scenario], trace, { listeners: [builder] });
    const xml = renderJUnit(builder.snapshot());
    expect(await junitSchemaErrors(xml)).toEqual([]);
    expect(xml).toContain('<failure message="SW 6A82, expected 9000"');
    expect(xml).toContain('<error message="trace: unexpected extra command');
    expect(xml).toContain('<skipped message="not run: the run was aborted"/>');
    expect(xml).toContain('name="t &amp; &lt;co&gt;');
  });
});

describe('HTML report', () => {
  test('self-contained, with one timing chart per timed step', async () => {
    const { report } = await pinRun({ repeat: 3 });
    const html = renderHtml(report);
    expect(html).toMatch(/^<!DOCTYPE html>/);
    expect(html).not.toMatch(/<script|<link|src="http/);
    expect(html.match(/<svg class="chart"/g)).toHaveLength(report.stats.length);
    expect(report.stats.length).toBe(13);
    expect(html).toContain('<polyline class="samples"');
  });
});

describe('reports on disk are valid at every moment', () => {
  test('files written while the run goes on parse and validate; the final write says passed', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'jpki-reports-'));
    const files = new ReportFiles({ json: path.join(dir, 'r.json'), junit: path.join(dir, 'r.xml'), html: path.join(dir, 'r.html'), intervalMs: 0 });
    const snapshots: Report[] = [];
    const trace = TraceTransport.fromText('=> 00A4040C\n<= 9000\n'.repeat(3));
    await runSuite([parseScenario('name: t\nsteps:\n  - send: 00A4040C\n  - send: 00A4040C\n  - send: 00A4040C\n', 't.yaml')], trace, {
      listeners: [
        files,
        {
          step: () => {
            snapshots.push(JSON.parse(readFileSync(path.join(dir, 'r.json'), 'utf8')) as Report);
          },
        },
      ],
    });
    expect(snapshots.map((s) => s.status)).toEqual(['running', 'running', 'running']);
    expect(snapshots.map((s) => s.scenarios[0]!.runs[0]!.steps.length)).toEqual([1, 2, 3]);
    for (const s of snapshots) expect(reportSchemaErrors(s)).toEqual([]);
    const final = JSON.parse(readFileSync(path.join(dir, 'r.json'), 'utf8')) as Report;
    expect(final.status).toBe('passed');
    expect(await junitSchemaErrors(readFileSync(path.join(dir, 'r.xml'), 'utf8'))).toEqual([]);
  });
});
