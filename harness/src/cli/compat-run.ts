/** `jpki-harness compat`'s work, loaded only when the command runs: the suite, the personas, the renderers. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { X509Certificate } from 'node:crypto';
import { UsageError } from '../errors.js';
import { writeAtomically } from '../report/files.js';
import { packageRoot } from '../package-root.js';
import { compareWithBaseline, loadBaseline, renderFindings } from '../compat/baseline.js';
import { loadCases, type ConformanceCase } from '../compat/cases.js';
import { renderCompatHtml } from '../compat/html.js';
import { renderCompatJUnit } from '../compat/junit.js';
import { listProfile, listProfiles, renderProfileList } from '../compat/profile-list.js';
import { renderConsole, renderJson, reportExitCode } from '../compat/report.js';
import { defaultJobs, MatrixProgress, personaTargets, runMatrix } from '../compat/run-matrix.js';
import { loadTarget, type CompatTarget } from '../compat/target.js';
import { EXIT } from './options.js';

export interface CompatCliOptions {
  suite: string;
  reader: string[];
  case: string[];
  jobs?: string;
  latencyScale: string;
  json?: string;
  junit?: string;
  html?: string;
  saveBaseline?: string;
  baseline?: string;
  thresholdRatio: string;
  thresholdMs: string;
  quiet?: boolean;
  progress: boolean;
  cardAuthority?: string;
  list?: boolean;
}

function number(name: string, text: string, min: number, max: number): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n < min || n > max) throw new UsageError(`${name} needs a number ${min}..${max}, got '${text}'`);
  return n;
}

function selectCases(all: ConformanceCase[], filters: readonly string[]): ConformanceCase[] {
  if (filters.length === 0) return all;
  const chosen = all.filter((c) => filters.some((f) => c.id === f || c.id.startsWith(f.endsWith('-') ? f : `${f}-`)));
  if (chosen.length === 0) throw new UsageError(`no case matches ${filters.join(', ')}`);
  return chosen;
}

export async function compat(profiles: string[], o: CompatCliOptions): Promise<void> {
  const root = packageRoot();
  if (o.list) {
    const listings = profiles.length > 0 ? profiles.map((p) => listProfile(p)) : listProfiles(path.join(root, 'test-vectors', 'profiles'));
    console.log(renderProfileList(listings));
    return;
  }
  const cases = selectCases(loadCases(o.suite), o.case);
  const targets: CompatTarget[] = profiles.map((p) => loadTarget(p));
  for (const r of o.reader) {
    const at = r.lastIndexOf('=');
    if (at <= 0) throw new UsageError(`-r needs READER=PROFILE (the profile says how to manage the card), got '${r}'`);
    targets.push(loadTarget(r.slice(at + 1), r.slice(0, at)));
  }
  if (profiles.length === 0 && o.reader.length === 0) targets.push(...personaTargets(path.join(root, 'test-vectors', 'profiles')));
  if (targets.length === 0) throw new UsageError('no cards: give profiles with a persona, or -r READER=PROFILE');
  const jobs = o.jobs !== undefined ? number('--jobs', o.jobs, 1, 64) : defaultJobs();
  const latencyScale = number('--latency-scale', o.latencyScale, 0, 100);
  const progress =
    o.progress && !o.quiet && process.stderr.isTTY
      ? new MatrixProgress(
          process.stderr,
          targets.map((t) => t.name),
        )
      : undefined;
  const report = await runMatrix(targets, cases, {
    jobs,
    latencyScale,
    ...(o.cardAuthority !== undefined ? { cardAuthorityRoot: readRoot(o.cardAuthority) } : {}),
    onCase: (card, index, total, id) => progress?.update(card, `${index + 1}/${total} ${id}`),
    onCardDone: (run) => {
      const fails = run.outcomes.filter((x) => x.verdict === 'fail').length;
      const line =
        `${run.outcomes.filter((x) => x.verdict === 'pass').length} passed, ${fails} failed, ` +
        `${run.outcomes.filter((x) => x.verdict === 'n/a').length} n/a (${(run.wallMilliseconds / 1000).toFixed(1)} s)`;
      if (progress) progress.update(run.card, line);
      else if (!o.quiet) process.stderr.write(`${run.card}: ${line}\n`);
    },
  });
  if (o.json) writeAtomically(o.json, renderJson(report));
  if (o.junit) writeAtomically(o.junit, renderCompatJUnit(report));
  if (o.html) writeAtomically(o.html, renderCompatHtml(report));
  if (o.saveBaseline) writeAtomically(o.saveBaseline, renderJson(report));
  const text = renderConsole(report);
  console.log(o.quiet ? text.split('\n').at(-1) : text);
  let code = reportExitCode(report);
  if (o.baseline) {
    const findings = compareWithBaseline(loadBaseline(o.baseline), report, {
      ratio: number('--threshold-ratio', o.thresholdRatio, 1, 1000),
      milliseconds: number('--threshold-ms', o.thresholdMs, 0, 1e6),
    });
    console.log(renderFindings(findings));
    if (findings.length > 0) code = EXIT.failed;
  }
  process.exitCode = code;
}

/** The card authority root certificate, DER or PEM, as DER. */
function readRoot(file: string): Uint8Array {
  try {
    return new Uint8Array(new X509Certificate(readFileSync(file)).raw);
  } catch (e) {
    throw new UsageError(`--card-authority-root '${file}': not a certificate (${(e as Error).message})`);
  }
}
