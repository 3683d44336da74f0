/**
 * Runs an external program (OpenSC's tools, openssl) as an independent client or witness: argv only, no
 * shell, so nothing is re-parsed and nothing lands in a shell history. The caller names the secrets that
 * may be in the program's output; they are replaced before any text leaves this module.
 */
import { execFile } from 'node:child_process';
import { HarnessError, ToolMissingError } from '../../errors.js';

export interface ToolRun {
  readonly stdout: string;
  readonly stderr: string;
  /** The program's exit code; 0 is success. */
  readonly code: number;
}

export interface ToolOptions {
  /** Extra environment (a PIN handed over as `env:NAME` stays off the command line). */
  readonly env?: Readonly<Record<string, string>>;
  /** Strings replaced by `****` in the output handed back. */
  readonly secrets?: readonly string[];
  readonly timeoutMs?: number;
  /** How to install the program, for the error when it is missing. */
  readonly installHint: string;
}

/** Replaces every secret in `text`; empty secrets are ignored (they would match everywhere). */
export function redact(text: string, secrets: readonly string[] = []): string {
  let out = text;
  for (const secret of secrets) if (secret.length > 0) out = out.split(secret).join('****');
  return out;
}

/**
 * Runs `program` and answers its output and exit code; a non-zero exit is not an error here (openssl
 * verify answers 2 for a revoked certificate, which is a verdict). Only a missing program, a timeout or a
 * signal throw. The thrown messages never carry the command line: execFile's own message would.
 */
export function runTool(program: string, args: readonly string[], options: ToolOptions): Promise<ToolRun> {
  const clean = (text: string): string => redact(text, options.secrets);
  return new Promise((resolve, reject) => {
    execFile(
      program,
      [...args],
      { env: { ...process.env, ...(options.env ?? {}) }, timeout: options.timeoutMs ?? 60_000, maxBuffer: 4 * 1024 * 1024, encoding: 'utf8' },
      (error, stdout, stderr) => {
        const failure = error as (NodeJS.ErrnoException & { code?: string | number; killed?: boolean; signal?: string | null }) | null;
        if (!failure) resolve({ stdout: clean(stdout), stderr: clean(stderr), code: 0 });
        else if (failure.code === 'ENOENT') reject(new ToolMissingError(program, options.installHint));
        else if (typeof failure.code === 'number') resolve({ stdout: clean(stdout), stderr: clean(stderr), code: failure.code });
        else {
          const why = failure.killed || failure.signal ? `stopped (${failure.signal ?? 'timeout'})` : 'could not be run';
          reject(new ExternalToolError(program, `${program} ${why}: ${clean(stderr).trim().slice(-500)}`));
        }
      },
    );
  });
}

/**
 * An external program ran but did not do what it was asked (the card refused, the reader was gone): a
 * reader or card error as far as the CLI is concerned, exit code 3. The message is already redacted.
 */
export class ExternalToolError extends HarnessError {
  readonly exitCode = 3;
  constructor(
    readonly program: string,
    message: string,
  ) {
    super(message);
  }
}
