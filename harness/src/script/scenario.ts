import type { SourcePosition } from '../errors.js';

/** A status-word pattern such as 9000, 63Cx or 61xx: `sw & mask === value`. */
export interface SwPattern {
  readonly text: string;
  readonly value: number;
  readonly mask: number;
}

/** A byte-string pattern written as hex where an `x` nibble matches anything. */
export interface BytePattern {
  readonly text: string;
  readonly value: Uint8Array;
  readonly mask: Uint8Array;
}

export interface Expectation {
  /** Any of these status words passes; empty means "not checked". */
  readonly sw: readonly SwPattern[];
  readonly data?: BytePattern;
  /** Tested against the response data as upper-case hex. */
  readonly dataRegex?: RegExp;
  readonly length?: number;
}

export type StepAction =
  | { readonly kind: 'send'; readonly apdu: Uint8Array }
  | { readonly kind: 'select'; readonly aid: Uint8Array }
  | { readonly kind: 'select-ef'; readonly fid: Uint8Array }
  | { readonly kind: 'read-ef'; readonly fid: Uint8Array }
  | { readonly kind: 'write-ef'; readonly fid: Uint8Array; readonly content: Uint8Array; readonly source: string }
  | { readonly kind: 'reset'; readonly cold: boolean };

export type StepKind = StepAction['kind'];

export interface Step {
  readonly name: string;
  readonly action: StepAction;
  readonly expect: Expectation;
  /** Whether the step's content is secret (PINs, keys): redacted in every output. */
  readonly secret: boolean;
  readonly position: SourcePosition;
}

export interface Scenario {
  readonly file: string;
  readonly name: string;
  readonly description?: string;
  readonly steps: readonly Step[];
}

export function swMatches(pattern: SwPattern, sw: number): boolean {
  return (sw & pattern.mask) === pattern.value;
}

export function bytesMatch(pattern: BytePattern, data: Uint8Array): boolean {
  if (data.length !== pattern.value.length) return false;
  for (let i = 0; i < data.length; i++) {
    if ((data[i]! & pattern.mask[i]!) !== pattern.value[i]) return false;
  }
  return true;
}
