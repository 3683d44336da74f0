/**
 * A card the compatibility suite runs against: a harness profile (how to reach and manage the card) and,
 * for a simulated vendor persona, the persona file the simulator plays. The profile's `compat` section
 * says what the card can do, so cases it cannot run are reported not applicable instead of failing.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { isMap, isScalar, parseDocument, type Node, type YAMLMap } from 'yaml';
import { ScriptError } from '../errors.js';
import type { CardProfile } from '../gp/card-profile.js';
import { loadProfile } from '../gp/profile.js';

/** What a card can do, as far as the suite's applicability rules ask. */
export interface Capabilities {
  /** RSA-2048 key pairs generated on the card (GENERATE KEY PAIR). */
  readonly onCardKeyGeneration: boolean;
  /** Largest certificate (bytes) the card's memory holds for the applet; the applet's own limit is 4096. */
  readonly maxContent: number;
  /** Extended-length APDUs (from the profile's transport section). */
  readonly extendedLength: boolean;
}

export interface CompatTarget {
  /** Short name shown as the matrix column. */
  readonly name: string;
  readonly profile: CardProfile;
  readonly profileFile: string;
  /** Absolute path of the simulated persona, when the card is simulated. */
  readonly persona?: string;
  /** PC/SC reader (name, substring or index) for a real card. */
  readonly reader?: string;
  readonly capabilities: Capabilities;
  /** Free text: where the profile's facts come from; "untested" until someone has run it. */
  readonly status: 'tested' | 'untested';
}

const COMPAT_KEYS = ['persona', 'status', 'capabilities'];
const CAPABILITY_KEYS = ['on-card-key-generation', 'max-content'];

function scalarText(node: Node | null | undefined): string | undefined {
  return isScalar(node) ? String(node.value) : undefined;
}

function fail(file: string, what: string): never {
  throw new ScriptError({ file, line: 1, column: 1 }, what);
}

/**
 * Reads a profile and its `compat` section; `reader` makes it a real-card target. `env` resolves the profile's
 * `env:NAME` keys (the listing passes placeholders: it shows a profile without the card's keys at hand).
 */
export function loadTarget(profileFile: string, reader?: string, env: NodeJS.ProcessEnv = process.env): CompatTarget {
  const profile = loadProfile(profileFile, env);
  const doc = parseDocument(readFileSync(profileFile, 'utf8'));
  const top = doc.contents as YAMLMap | null;
  const compatNode = isMap(top) ? (top.get('compat', true) as Node | undefined) : undefined;
  const compat = new Map<string, Node>();
  if (compatNode !== undefined) {
    if (!isMap(compatNode)) fail(profileFile, 'compat must be a mapping');
    for (const pair of compatNode.items) {
      const key = scalarText(pair.key as Node) ?? '';
      if (!COMPAT_KEYS.includes(key)) fail(profileFile, `unknown key '${key}' in compat (expected one of: ${COMPAT_KEYS.join(', ')})`);
      compat.set(key, pair.value as Node);
    }
  }
  const caps = new Map<string, string>();
  const capsNode = compat.get('capabilities');
  if (capsNode !== undefined) {
    if (!isMap(capsNode)) fail(profileFile, 'compat.capabilities must be a mapping');
    for (const pair of capsNode.items) {
      const key = scalarText(pair.key as Node) ?? '';
      if (!CAPABILITY_KEYS.includes(key)) fail(profileFile, `unknown capability '${key}' (expected one of: ${CAPABILITY_KEYS.join(', ')})`);
      caps.set(key, scalarText(pair.value as Node) ?? '');
    }
  }
  const keygen = caps.get('on-card-key-generation') ?? 'true';
  if (keygen !== 'true' && keygen !== 'false') fail(profileFile, 'compat.capabilities.on-card-key-generation must be true or false');
  const maxContent = Number(caps.get('max-content') ?? '4096');
  if (!Number.isInteger(maxContent) || maxContent <= 0) fail(profileFile, 'compat.capabilities.max-content must be a positive integer');
  const personaText = scalarText(compat.get('persona'));
  const status = scalarText(compat.get('status')) ?? (personaText !== undefined ? 'tested' : 'untested');
  if (status !== 'tested' && status !== 'untested') fail(profileFile, "compat.status must be 'tested' or 'untested'");
  const persona = reader === undefined && personaText !== undefined ? path.resolve(path.dirname(profileFile), personaText) : undefined;
  if (reader === undefined && persona === undefined) {
    fail(profileFile, 'this profile names no simulated persona (compat.persona): give the reader it is in, READER=PROFILE');
  }
  return {
    name: reader === undefined ? profile.name.replace(/^persona-/, '') : `${profile.name}@${reader}`,
    profile,
    profileFile,
    ...(persona !== undefined ? { persona } : {}),
    ...(reader !== undefined ? { reader } : {}),
    capabilities: { onCardKeyGeneration: keygen === 'true', maxContent, extendedLength: profile.transport.extendedLength },
    status,
  };
}
