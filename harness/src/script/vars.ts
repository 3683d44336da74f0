import { HexFormatError, parseHex } from '../apdu/hex.js';
import { ScriptError, type SourcePosition } from '../errors.js';
import type { Template } from './scenario.js';

/** Variable values by name. */
export type Variables = Map<string, string>;

const REFERENCE = /\$\{([A-Za-z_][A-Za-z0-9_.-]*)\}/g;
const ANY_REFERENCE = /\$\{/;

export function hasReferences(text: string): boolean {
  return ANY_REFERENCE.test(text);
}

/** Names referenced as `${name}` in the text. */
export function referencedNames(text: string): string[] {
  return [...text.matchAll(REFERENCE)].map((m) => m[1]!);
}

/** Replaces every `${name}`; an unknown name is a ScriptError at the step. */
export function substitute(text: string, vars: Variables, position: SourcePosition): string {
  if (!hasReferences(text)) return text;
  const replaced = text.replace(REFERENCE, (_, name: string) => {
    const value = vars.get(name);
    if (value === undefined) {
      const known = [...vars.keys()];
      throw new ScriptError(
        position,
        `variable '${name}' is not defined (defined: ${known.length ? known.join(', ') : 'none'}; set it with vars:, capture: or --var)`,
      );
    }
    return value;
  });
  if (hasReferences(replaced)) throw new ScriptError(position, `malformed variable reference in '${text}' (write \${name})`);
  return replaced;
}

export function resolveHex(template: Template<Uint8Array>, vars: Variables, position: SourcePosition, what: string): Uint8Array {
  if (template.constant !== undefined) return template.constant;
  const text = substitute(template.text, vars, position);
  try {
    return parseHex(text);
  } catch (e) {
    if (e instanceof HexFormatError) throw new ScriptError(position, `${what}: ${e.message} in '${text}' (from '${template.text}')`);
    throw e;
  }
}

export function resolveText(template: Template<string>, vars: Variables, position: SourcePosition): string {
  return template.constant ?? substitute(template.text, vars, position);
}
