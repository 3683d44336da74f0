import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { loadProfile } from '../../src/gp/profile.js';
import { citedSources, listProfiles, placeholderEnv, renderProfileList } from '../../src/compat/profile-list.js';
import { vector } from '../support.js';

/**
 * Every profile in test-vectors/profiles parses, and every real-card profile (real-*.yaml) is honest about what it
 * is: sources cited, guesses named, marked untested until someone runs it, and no key in the file.
 */
const directory = vector('profiles');
const files = readdirSync(directory)
  .filter((f) => f.endsWith('.yaml'))
  .sort();
const realCards = files.filter((f) => f.startsWith('real-'));

describe('the profiles in test-vectors/profiles', () => {
  test.each(files)('%s parses (env: keys given placeholders)', (file) => {
    const text = readFileSync(path.join(directory, file), 'utf8');
    const profile = loadProfile(path.join(directory, file), placeholderEnv(text));
    expect(profile.name).toBe(file.replace(/\.yaml$/, ''));
  });

  test('there are real-card profiles for several vendors', () => {
    expect(realCards.length).toBeGreaterThanOrEqual(8);
  });

  test.each(realCards)('%s names its sources and guesses, is untested, and holds no key', (file) => {
    const text = readFileSync(path.join(directory, file), 'utf8');
    expect(citedSources(text).length).toBeGreaterThanOrEqual(1);
    for (const source of citedSources(text)) expect(source.length).toBeGreaterThan(20);
    expect(text).toMatch(/^# Guesses/m);
    expect(text).toMatch(/UNTESTED/);
    expect(text).toMatch(/^ {2}status: untested$/m);
    expect(text).not.toMatch(/^\s+persona:/m);
    // Keys of real cards come from the environment only.
    for (const m of text.matchAll(/^\s+(enc|mac|dek|master):\s*(\S+)/gm)) expect(m[2]).toMatch(/^env:[A-Z_]+$/);
    const atr = loadProfile(path.join(directory, file), placeholderEnv(text)).atr;
    if (atr !== undefined) expect(atr).toMatch(/^3B([0-9A-FX]{2}){1,32}$/);
  });

  test('the listing (compat --list) shows every profile, the real cards as untested real cards', () => {
    const listings = listProfiles(directory);
    expect(listings.map((l) => path.basename(l.file))).toEqual(files);
    for (const l of listings.filter((x) => path.basename(x.file).startsWith('real-'))) {
      expect(l.kind).toBe('real card');
      expect(l.status).toBe('untested');
    }
    for (const l of listings.filter((x) => path.basename(x.file).startsWith('persona-'))) expect(l.kind).toBe('persona');
    const text = renderProfileList(listings);
    for (const f of realCards) expect(text).toContain(f.replace(/\.yaml$/, ''));
    expect(text).toMatch(/real cards \(untested until run with -r\)/);
  });

  test('sources are read from the comment list, continuation lines joined', () => {
    const text = '# Sources:\n#  - first, on\n#    two lines;\n#  - second\n# Guesses: none\nname: x\n';
    expect(citedSources(text)).toEqual(['first, on two lines;', 'second']);
    expect(citedSources('name: x\n')).toEqual([]);
  });
});
