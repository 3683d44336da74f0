/**
 * Typed errors of the harness. Each carries the CLI exit code it maps to, so the
 * CLI never has to guess: 1 expectations failed, 2 usage or script error,
 * 3 reader or card error.
 */
export abstract class HarnessError extends Error {
  abstract readonly exitCode: number;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Where in a scenario file something is: 1-based line and column. */
export interface SourcePosition {
  readonly file: string;
  readonly line: number;
  readonly column: number;
}

export function formatPosition(pos: SourcePosition): string {
  return `${pos.file}:${pos.line}:${pos.column}`;
}

/** A scenario that cannot be parsed or validated; the message starts with file:line:column. */
export class ScriptError extends HarnessError {
  readonly exitCode = 2;
  constructor(
    readonly position: SourcePosition,
    readonly reason: string,
  ) {
    super(`${formatPosition(position)}: ${reason}`);
  }
}

export class UsageError extends HarnessError {
  readonly exitCode = 2;
}

/** Anything that went wrong between the harness and the card: reader, link, simulator. */
export class TransportError extends HarnessError {
  readonly exitCode = 3;
}

export class ReaderNotFoundError extends TransportError {}

export class CardAbsentError extends TransportError {}

/** The card or reader went away while a command was in flight. */
export class CardRemovedError extends TransportError {}

export class SimulatorError extends TransportError {}

/**
 * The card refused a command: the command's name and the status word it answered, with what the
 * status word means where the caller knows (the GlobalPlatform layer adds the GP meaning). A card
 * error: exit code 3. The one status-word error of the harness, for JPKI and GP commands alike.
 */
export class CardStatusError extends HarnessError {
  readonly exitCode: number = 3;
  constructor(
    readonly command: string,
    readonly sw: number,
    readonly meaning?: string,
  ) {
    super(`${command} failed: SW ${sw.toString(16).padStart(4, '0').toUpperCase()}${meaning !== undefined ? ` (${meaning})` : ''}`);
  }
}

/** A replayed trace and the run disagree: a different command, an extra one, or one the run never sent. */
export class TraceMismatchError extends TransportError {
  constructor(
    message: string,
    /** 1-based line in the trace file the run disagreed with, when there is one. */
    readonly traceLine?: number,
  ) {
    super(message);
  }
}

/**
 * An external program the harness drives as an independent client or witness (OpenSC, openssl) is not
 * installed, or its PKCS#11 module is not where it was looked for. Usage error: exit code 2.
 */
export class ToolMissingError extends HarnessError {
  readonly exitCode = 2;
  constructor(
    readonly tool: string,
    readonly hint: string,
  ) {
    super(`${tool} is not available: ${hint}`);
  }
}
