import type { Report } from './model.js';

export function escapeXml(text: string): string {
  return (
    text
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      .replace(/"/g, '&quot;')
      // XML 1.0 has no way to write these control characters, not even as references: they are dropped.
      // eslint-disable-next-line no-control-regex
      .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F]/g, '')
  );
}

const seconds = (ms: number): string => (ms / 1000).toFixed(6);

/**
 * JUnit XML (docs/junit.xsd): one <testsuite> per measured iteration of each scenario, one
 * <testcase> per step. Steps a run never reached are <skipped>; an aborted step is an <error>.
 */
export function renderJUnit(report: Report): string {
  const suites: string[] = [];
  let tests = 0;
  let failures = 0;
  let errors = 0;
  let skipped = 0;
  let total = 0;
  for (const scenario of report.scenarios) {
    for (const run of scenario.runs.filter((r) => !r.warmup)) {
      const name = report.repeat > 1 ? `${scenario.name} [run ${run.iteration}]` : scenario.name;
      const cases: string[] = [];
      let sFailures = 0;
      let sErrors = 0;
      let sTime = 0;
      for (const step of run.steps) {
        sTime += step.milliseconds;
        const attrs =
          `name="${escapeXml(step.name)}" classname="${escapeXml(scenario.name)}" file="${escapeXml(scenario.file)}" ` +
          `line="${step.line}" time="${seconds(step.milliseconds)}"`;
        if (step.passed) cases.push(`    <testcase ${attrs}/>`);
        else if (run.aborted !== undefined && step === run.steps[run.steps.length - 1]) {
          sErrors++;
          cases.push(`    <testcase ${attrs}>\n      <error message="${escapeXml(step.failure ?? 'aborted')}" type="aborted"/>\n    </testcase>`);
        } else {
          sFailures++;
          cases.push(
            `    <testcase ${attrs}>\n      <failure message="${escapeXml(step.failure ?? 'failed')}" type="expectation">` +
              `${escapeXml(`SW ${step.sw ?? '—'}: ${step.failure ?? ''}`)}</failure>\n    </testcase>`,
          );
        }
      }
      const why =
        run.aborted !== undefined
          ? 'not run: the run was aborted'
          : run.complete
            ? 'not run: stopped at the first failure'
            : 'not run: the report was written before the run ended';
      for (let i = 0; i < run.notRun; i++) {
        cases.push(
          `    <testcase name="${escapeXml(`step ${run.steps.length + i + 1}`)}" classname="${escapeXml(scenario.name)}" time="0">\n     ` +
            ` <skipped message="${escapeXml(why)}"/>\n    </testcase>`,
        );
      }
      const sTests = run.steps.length + run.notRun;
      tests += sTests;
      failures += sFailures;
      errors += sErrors;
      skipped += run.notRun;
      total += sTime;
      suites.push(
        `  <testsuite name="${escapeXml(name)}" tests="${sTests}" failures="${sFailures}" errors="${sErrors}" skipped="${run.notRun}" ` +
          `time="${seconds(sTime)}" timestamp="${report.startedAt.replace(/\.\d+Z$/, '')}">\n` +
          `    <properties>\n      <property name="transport" value="${escapeXml(report.transport)}"/>\n      <property name="atr" ` +
          `value="${report.atr}"/>\n      <property name="status" value="${report.status}"/>\n    </properties>\n` +
          cases.join('\n') +
          (cases.length ? '\n' : '') +
          '  </testsuite>',
      );
    }
  }
  return (
    `<?xml version="1.0" encoding="UTF-8"?>\n` +
    `<testsuites name="jpki-harness" tests="${tests}" failures="${failures}" errors="${errors}" skipped="${skipped}" time="${seconds(total)}">\n` +
    suites.join('\n') +
    (suites.length ? '\n' : '') +
    `</testsuites>\n`
  );
}
