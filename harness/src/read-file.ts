/** The one whole-file reader of the harness: scenarios, apdutool scripts, profiles, traces and CAP files go through it. */
import { readFileSync } from 'node:fs';

/**
 * Reads a whole file. A file that cannot be read becomes the caller's own typed error (a scenario's
 * ScriptError at 1:1, a CAP file's CapFormatError, …), built by `fail` from the system's reason.
 */
export function readWholeFile(file: string, fail: (reason: string) => Error): Buffer {
  try {
    return readFileSync(file);
  } catch (e) {
    throw fail((e as Error).message);
  }
}

/** readWholeFile, as UTF-8 text. */
export function readTextFile(file: string, fail: (reason: string) => Error): string {
  return readWholeFile(file, fail).toString('utf8');
}
