/**
 * The top-level `--help` page, kept once rendered. Building it means loading commander and defining every
 * command (two thirds of the CLI's start-up); the page only changes when the CLI's own modules do, and
 * with the width it is wrapped to. So the first `--help` at a width stores the page beside the modules,
 * and later ones print it as long as it is newer than every module of the CLI. Where the folder is not
 * writable, nothing is stored and the page is rendered each time.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const cliDirectory = path.dirname(fileURLToPath(import.meta.url));
const cacheDirectory = path.join(cliDirectory, '.help');

/** The width commander wraps help to on this stdout (its own rule: the terminal's columns, else 80). */
export function helpWidth(): number {
  return process.stdout.isTTY ? process.stdout.columns : 80;
}

function cacheFile(width: number): string {
  return path.join(cacheDirectory, `top-level-${width}.txt`);
}

/** The newest modification time of the CLI's modules: a page older than that is stale. */
function newestModule(): number {
  let newest = 0;
  for (const name of readdirSync(cliDirectory)) if (name.endsWith('.js')) newest = Math.max(newest, statSync(path.join(cliDirectory, name)).mtimeMs);
  return newest;
}

export function cachedHelp(width: number): string | undefined {
  try {
    const file = cacheFile(width);
    if (statSync(file).mtimeMs < newestModule()) return undefined;
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

export function storeHelp(width: number, page: string): void {
  try {
    mkdirSync(cacheDirectory, { recursive: true });
    const file = cacheFile(width);
    const partial = `${file}.${process.pid}`;
    writeFileSync(partial, page);
    // Renamed into place so a concurrent reader never sees half a page.
    renameSync(partial, file);
  } catch {
    // a read-only installation: render each time
  }
}
