#!/usr/bin/env node
/**
 * The jpki-harness executable. It answers `--version` itself and loads the command line (program.ts)
 * for anything else, so that the cheapest question costs no more than starting Node.
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Kept equal to package.json and program.ts VERSION (a test checks both). */
const VERSION = '0.1.0';

/**
 * `jpki-harness … | head` closes the pipe after a few lines; the next write then fails with EPIPE.
 * The reader has all it wanted, so end at once and quietly, as a command-line tool does on SIGPIPE.
 * Any other write error is a real failure and stays one.
 */
function endQuietlyWhenTheReaderGoes(stream: NodeJS.WriteStream): void {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    process.exit(typeof process.exitCode === 'number' ? process.exitCode : 0);
  });
}

/**
 * The PC/SC binding can, rarely, leave a reader's monitor handle open after the reader is closed
 * (transport/pcsc-monitor.ts says when, and how the transport avoids it). Nothing else can close
 * that handle, and the process would wait on it for ever once the command is done: end it.
 */
async function endDespiteALeakedReaderMonitor(): Promise<void> {
  const { leakedMonitors } = await import('../transport/pcsc-monitor.js');
  if (leakedMonitors() === 0) return;
  process.stderr.write('jpki-harness: warning: the PC/SC binding left a reader monitor open; ending the process\n');
  process.exit(typeof process.exitCode === 'number' ? process.exitCode : 0);
}

function invokedDirectly(): boolean {
  try {
    return process.argv[1] !== undefined && realpathSync(process.argv[1]) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (invokedDirectly()) {
  endQuietlyWhenTheReaderGoes(process.stdout);
  endQuietlyWhenTheReaderGoes(process.stderr);
  const args = process.argv.slice(2);
  if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
    process.stdout.write(`${VERSION}\n`);
  } else if (args.length === 1 && (args[0] === '--help' || args[0] === '-h')) {
    // The top-level page, kept once rendered (help-cache.ts): what commander prints for --help.
    const { cachedHelp, helpWidth, storeHelp } = await import('./help-cache.js');
    const width = helpWidth();
    let page = cachedHelp(width);
    if (page === undefined) {
      page = await (await import('./program.js')).topLevelHelp(width);
      storeHelp(width, page);
    }
    process.stdout.write(page);
  } else {
    const { main } = await import('./program.js');
    await main();
    await endDespiteALeakedReaderMonitor();
  }
}
