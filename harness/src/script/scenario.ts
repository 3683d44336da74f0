import type { HashName } from '../apdu/digest-info.js';
import type { BytePattern, SwPattern } from '../apdu/patterns.js';

export type { BytePattern, SwPattern } from '../apdu/patterns.js';
export { bytesMatch, swMatches } from '../apdu/patterns.js';
import type { SourcePosition } from '../errors.js';

/**
 * Text from the scenario that may hold `${name}` references, resolved when the step runs.
 * `constant` is the parsed value when the text holds no reference (decided at parse time).
 */
export interface Template<T> {
  readonly text: string;
  readonly constant?: T;
}

export interface Expectation {
  /** Any of these status words passes; empty means "not checked". */
  readonly sw: readonly SwPattern[];
  /** Exact or masked data; a template when it holds `${...}`. */
  readonly data?: Template<BytePattern>;
  /** Tested against the response data as upper-case hex. */
  readonly dataRegex?: RegExp;
  readonly length?: number;
}

export type StepAction =
  | { readonly kind: 'send'; readonly apdu: Template<Uint8Array> }
  | { readonly kind: 'select'; readonly aid: Template<Uint8Array> }
  | { readonly kind: 'select-ef'; readonly fid: Template<Uint8Array> }
  | { readonly kind: 'read-ef'; readonly fid: Template<Uint8Array> }
  | { readonly kind: 'write-ef'; readonly fid: Template<Uint8Array>; readonly content: Template<Uint8Array>; readonly source: string }
  | { readonly kind: 'reset'; readonly cold: boolean }
  /** VERIFY 00 20 00 80 with the PIN as ASCII digits; an empty PIN sends no data (asks for tries left). */
  | { readonly kind: 'verify-pin'; readonly pin: Template<string> }
  /** COMPUTE DIGITAL SIGNATURE 80 2A 00 80 <DigestInfo> 00. */
  | {
      readonly kind: 'sign';
      readonly hash?: HashName;
      /** The digest in hex, or the message whose digest is taken, or a ready DigestInfo. */
      readonly digest?: Template<Uint8Array>;
      readonly message?: Template<string>;
      readonly digestInfo?: Template<Uint8Array>;
    }
  | { readonly kind: 'echo'; readonly message: Template<string> }
  | { readonly kind: 'delay'; readonly milliseconds: number }
  /**
   * Opens a GlobalPlatform secure channel (SELECT, INITIALIZE UPDATE, EXTERNAL AUTHENTICATE); every
   * following step is wrapped and every response unwrapped and checked, until `secure-channel: end`
   * or a reset. `options` undefined ends the session.
   */
  | { readonly kind: 'secure-channel'; readonly options?: SecureChannelSpec };

/** The keys a `secure-channel:` mapping may have. */
export const SECURE_CHANNEL_STEP_KEYS = ['profile', 'scp', 'i', 'level', 'kvn', 'key', 'enc', 'mac', 'dek', 'diversification', 'sd'] as const;

/**
 * A `secure-channel:` step as the script writes it, and nothing more: the profile is not read, `env:`
 * keys are not looked up and the level is not decoded until the step runs (runner/secure-channel.ts),
 * so a parsed scenario holds no key material and does not depend on the GlobalPlatform layer.
 * `profile` is made absolute against the scenario's folder; numbers are as written (0x30 or 48).
 */
export type SecureChannelSpec = { readonly [K in (typeof SECURE_CHANNEL_STEP_KEYS)[number]]?: string | number };

export type StepKind = StepAction['kind'];

/** Where a captured variable's value comes from: the response data (a byte range of it), the SW or the ATR. */
export interface Capture {
  readonly name: string;
  readonly from: 'data' | 'sw' | 'atr';
  readonly start?: number;
  readonly end?: number;
}

export interface Step {
  readonly name: string;
  readonly action: StepAction;
  readonly expect: Expectation;
  readonly capture: readonly Capture[];
  /** Whether the step's content is secret (PINs, keys): redacted in every output. */
  readonly secret: boolean;
  readonly tags: readonly string[];
  readonly position: SourcePosition;
  /** Identifies the step for timing statistics: repeated or included copies of one step share it. */
  readonly key: string;
}

export interface Scenario {
  readonly file: string;
  readonly name: string;
  readonly description?: string;
  readonly tags: readonly string[];
  /** Default values of variables; the command line and captures override them. */
  readonly vars: Readonly<Record<string, string>>;
  readonly steps: readonly Step[];
}

/** Keeps the steps a tag filter selects: a step's tags are its own plus its scenario's. */
export function filterByTags(scenario: Scenario, include: readonly string[], exclude: readonly string[] = []): Scenario {
  if (include.length === 0 && exclude.length === 0) return scenario;
  const steps = scenario.steps.filter((step) => {
    const tags = new Set([...scenario.tags, ...step.tags]);
    if (exclude.some((t) => tags.has(t))) return false;
    return include.length === 0 || include.some((t) => tags.has(t));
  });
  return { ...scenario, steps };
}
