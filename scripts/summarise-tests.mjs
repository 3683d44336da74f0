// Sums JUnit XML reports (a directory) and a Jest --json result file into the final line
// "N passed, N failed[, N skipped]". Exits 1 when anything failed or nothing ran.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const [junitDir, jestFile] = process.argv.slice(2);
let passed = 0;
let failed = 0;
let skipped = 0;
const sources = [];

if (junitDir && existsSync(junitDir)) {
  let tests = 0, failures = 0, errors = 0, skips = 0;
  for (const name of readdirSync(junitDir).filter((n) => n.endsWith('.xml'))) {
    const xml = readFileSync(path.join(junitDir, name), 'utf8');
    // Only the top-level <testsuite> elements carry the totals we need.
    for (const match of xml.matchAll(/<testsuite\b([^>]*)>/g)) {
      const attr = (key) => Number(new RegExp(`\\b${key}="(\\d+)"`).exec(match[1])?.[1] ?? 0);
      tests += attr('tests');
      failures += attr('failures');
      errors += attr('errors');
      skips += attr('skipped');
    }
  }
  passed += tests - failures - errors - skips;
  failed += failures + errors;
  skipped += skips;
  sources.push(`applet (JUnit): ${tests - failures - errors - skips} passed, ${failures + errors} failed, ${skips} skipped`);
} else {
  failed += 1;
  sources.push('applet (JUnit): no reports found — counted as one failure');
}

if (jestFile && existsSync(jestFile)) {
  const jest = JSON.parse(readFileSync(jestFile, 'utf8'));
  const suiteErrors = jest.numRuntimeErrorTestSuites ?? 0;
  passed += jest.numPassedTests;
  failed += jest.numFailedTests + suiteErrors;
  skipped += jest.numPendingTests + (jest.numTodoTests ?? 0);
  sources.push(`harness (Jest): ${jest.numPassedTests} passed, ${jest.numFailedTests + suiteErrors} failed, ${jest.numPendingTests} skipped`);
} else {
  failed += 1;
  sources.push('harness (Jest): no results found — counted as one failure');
}

for (const line of sources) console.log(`  ${line}`);
console.log(`${passed} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
