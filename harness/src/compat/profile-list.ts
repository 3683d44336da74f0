/**
 * `compat --list`: every profile in a directory with what kind of card it describes (a simulated persona, a real
 * card described from public sources, or a plain reader profile), its status, secure channel and ISD, and for a
 * real card the sources its comment cites. Real cards' keys are `env:` references that are usually not set when
 * listing, so each referenced variable is given a placeholder here: the listing never uses a key.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { toHex } from '../apdu/hex.js';
import { loadTarget } from './target.js';

export type ProfileKind = 'persona' | 'real card' | 'reader';

export interface ProfileListing {
  readonly file: string;
  readonly name: string;
  readonly kind: ProfileKind;
  readonly status: 'tested' | 'untested';
  readonly description?: string;
  readonly scp: string;
  readonly isd: string;
  readonly atr?: string;
  /** The `# Sources:` list of the profile's leading comment (real-card profiles must have one). */
  readonly sources: readonly string[];
}

/** Placeholder values for every `env:NAME` the profile text references: enough to parse it, never a key to use. */
export function placeholderEnv(text: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const m of text.matchAll(/env:([A-Za-z_][A-Za-z0-9_]*)/g)) env[m[1]!] = '00'.repeat(16);
  return env;
}

/** The items of the `# Sources:` list in a profile's comments: lines `#  - …`, continuation lines joined. */
export function citedSources(text: string): string[] {
  const lines = text.split('\n');
  const start = lines.findIndex((l) => /^#\s*Sources:\s*$/.test(l));
  if (start < 0) return [];
  const items: string[] = [];
  for (const line of lines.slice(start + 1)) {
    const item = /^#\s+-\s+(.*)$/.exec(line);
    const more = /^#\s{3,}(\S.*)$/.exec(line);
    if (item) items.push(item[1]!.trim());
    else if (more && items.length > 0) items.push(`${items.pop() ?? ''} ${more[1]!.trim()}`);
    else break;
  }
  return items;
}

/** Lists the profiles of a directory, in name order; a profile that does not parse throws (file:line:column). */
export function listProfiles(directory: string): ProfileListing[] {
  return readdirSync(directory)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => listProfile(path.join(directory, f)));
}

export function listProfile(file: string): ProfileListing {
  const text = readFileSync(file, 'utf8');
  const env = placeholderEnv(text);
  const hasCompat = /^compat:/m.test(text);
  const persona = /^\s+persona:/m.test(text);
  // Without a persona the target needs a reader to load; any name does, nothing is opened.
  const target = loadTarget(file, persona ? undefined : 'listing', env);
  const p = target.profile;
  return {
    file,
    name: p.name,
    kind: persona ? 'persona' : hasCompat ? 'real card' : 'reader',
    status: target.status,
    ...(p.description !== undefined ? { description: p.description } : {}),
    scp: `SCP0${p.scp} i=${p.i.toString(16).padStart(2, '0')}`,
    isd: toHex(p.isdAid),
    ...(p.atr !== undefined ? { atr: p.atr } : {}),
    sources: citedSources(text),
  };
}

/** One line per profile, then for real cards the number of sources cited. */
export function renderProfileList(listings: readonly ProfileListing[]): string {
  const width = Math.max(...listings.map((l) => l.name.length));
  const lines = listings.map((l) => {
    const cited = l.kind === 'real card' ? `, ${l.sources.length} source${l.sources.length === 1 ? '' : 's'} cited` : '';
    return `${l.name.padEnd(width)}  ${l.kind.padEnd(9)}  ${l.status.padEnd(8)}  ${l.scp}  ISD ${l.isd}  ${path.basename(l.file)}${cited}`;
  });
  return [
    ...lines,
    `${listings.length} profiles: ${listings.filter((l) => l.kind === 'persona').length} personas, ` +
      `${listings.filter((l) => l.kind === 'real card').length} real cards (untested until run with -r), ` +
      `${listings.filter((l) => l.kind === 'reader').length} reader profiles`,
  ].join('\n');
}
