import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { UsageError } from '../errors.js';
import { loadApdutool, type ApdutoolOptions } from './apdutool.js';
import { loadScenario } from './parser.js';
import type { Scenario } from './scenario.js';

/** Extensions the loader recognises: YAML scenarios and apdutool scripts. */
export const SCENARIO_EXTENSIONS = ['.yaml', '.yml'] as const;
export const APDUTOOL_EXTENSIONS = ['.scr', '.apdu'] as const;

function isScript(file: string): boolean {
  const ext = path.extname(file).toLowerCase();
  return (SCENARIO_EXTENSIONS as readonly string[]).includes(ext) || (APDUTOOL_EXTENSIONS as readonly string[]).includes(ext);
}

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...walk(full));
    else if (entry.isFile() && isScript(full)) out.push(full);
  }
  return out;
}

/** A glob (`*`, `?`, `**`) as a regular expression over '/'-separated paths. */
export function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*' && glob[i + 1] === '*') {
      re += glob[i + 2] === '/' ? '(?:.*/)?' : '.*';
      i += glob[i + 2] === '/' ? 2 : 1;
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/**
 * Expands files, folders (every .yaml/.yml/.scr/.apdu under them, sorted) and globs (for shells
 * that do not expand them) into script paths, in the order given, without duplicates.
 */
export function expandScriptPaths(inputs: readonly string[]): string[] {
  const out: string[] = [];
  for (const input of inputs) {
    let found: string[];
    if (/[*?]/.test(input)) {
      const firstWild = input.search(/[*?]/);
      const base = input.slice(0, input.lastIndexOf('/', firstWild) + 1) || '.';
      const re = globToRegExp(path.posix.normalize(input));
      let candidates: string[] = [];
      try {
        candidates = walk(base);
      } catch {
        candidates = [];
      }
      found = candidates.filter((f) => re.test(path.posix.normalize(base === '.' ? path.relative('.', f) : f)));
      if (found.length === 0) throw new UsageError(`no scenario matches '${input}'`);
    } else {
      let stat;
      try {
        stat = statSync(input);
      } catch {
        throw new UsageError(`no such scenario file or folder: '${input}'`);
      }
      found = stat.isDirectory() ? walk(input) : [input];
      if (found.length === 0) throw new UsageError(`no .yaml, .yml, .scr or .apdu files under '${input}'`);
    }
    for (const f of found) if (!out.includes(f)) out.push(f);
  }
  return out;
}

/** Loads one script: apdutool syntax for .scr/.apdu, the YAML format otherwise. */
export function loadScript(file: string, options: ApdutoolOptions = {}): Scenario {
  return (APDUTOOL_EXTENSIONS as readonly string[]).includes(path.extname(file).toLowerCase()) ? loadApdutool(file, options) : loadScenario(file);
}

/** Files, folders or globs → parsed scenarios (every parse error surfaces before anything runs). */
export function loadScripts(inputs: readonly string[], options: ApdutoolOptions = {}): Scenario[] {
  return expandScriptPaths(inputs).map((f) => loadScript(f, options));
}
