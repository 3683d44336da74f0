/**
 * The package root (where package.json and build.xml are): found upwards from this module, so it is the
 * same from harness/src and from dist/harness/src. A module of its own because commands that only need a
 * path under the root should not load the simulator's process handling (child_process, net) with it.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export function packageRoot(): string {
  const here = path.dirname(fileURLToPath(import.meta.url));
  let dir = here;
  for (let i = 0; i < 6; i++) {
    if (existsSync(path.join(dir, 'package.json')) && existsSync(path.join(dir, 'build.xml'))) return dir;
    dir = path.dirname(dir);
  }
  return process.cwd();
}
