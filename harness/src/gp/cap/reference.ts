/**
 * The reference CAP of this repository's applet (test-vectors/cap/jpki-applet.cap) and whether it is
 * stale relative to applet/src. The hash is the one scripts/cap-reference.sh computes: SHA-256 over the
 * `sha256sum` lines ("<hex>  ./<path>\n") of every file under applet/src, paths sorted bytewise.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

function listFiles(root: string, rel = '.'): string[] {
  const out: string[] = [];
  for (const name of readdirSync(path.join(root, rel))) {
    const r = `${rel}/${name}`;
    if (statSync(path.join(root, r)).isDirectory()) out.push(...listFiles(root, r));
    else out.push(r);
  }
  return out;
}

export function appletSourceHash(sourceDir: string): string {
  const files = listFiles(sourceDir).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  const lines = files
    .map(
      (f) =>
        `${createHash('sha256')
          .update(readFileSync(path.join(sourceDir, f)))
          .digest('hex')}  ${f}\n`,
    )
    .join('');
  return createHash('sha256').update(lines).digest('hex');
}

export interface ReferenceCapStatus {
  readonly cap: string;
  readonly present: boolean;
  readonly current: boolean;
  readonly recordedHash?: string;
  readonly sourceHash: string;
}

export function referenceCapStatus(repoRoot: string): ReferenceCapStatus {
  const cap = path.join(repoRoot, 'test-vectors', 'cap', 'jpki-applet.cap');
  const meta = `${cap}.json`;
  const sourceHash = appletSourceHash(path.join(repoRoot, 'applet', 'src'));
  if (!existsSync(cap) || !existsSync(meta)) return { cap, present: false, current: false, sourceHash };
  const recorded = (JSON.parse(readFileSync(meta, 'utf8')) as { sourceHash?: string }).sourceHash;
  return { cap, present: true, current: recorded === sourceHash, ...(recorded !== undefined ? { recordedHash: recorded } : {}), sourceHash };
}
