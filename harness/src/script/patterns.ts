import type { BytePattern, SwPattern } from './scenario.js';

/** Parses hex where each `x`/`X` nibble is a wildcard; returns undefined when malformed. */
export function parseMaskedHex(text: string): BytePattern | undefined {
  const compact = text.replace(/\s/g, '');
  if (!/^[0-9a-fA-FxX]*$/.test(compact) || compact.length % 2 !== 0) return undefined;
  const value = new Uint8Array(compact.length / 2);
  const mask = new Uint8Array(compact.length / 2);
  for (let i = 0; i < compact.length; i++) {
    const c = compact[i]!;
    const shift = i % 2 === 0 ? 4 : 0;
    if (c === 'x' || c === 'X') continue;
    value[i >> 1]! |= parseInt(c, 16) << shift;
    mask[i >> 1]! |= 0xf << shift;
  }
  return { text: compact.toUpperCase(), value, mask };
}

/** Parses a status-word pattern: four hex digits, `x` for any nibble (63Cx, 61xx). */
export function parseSwPattern(text: string): SwPattern | undefined {
  const compact = text.replace(/\s/g, '');
  if (compact.length !== 4) return undefined;
  const bytes = parseMaskedHex(compact);
  if (!bytes) return undefined;
  return {
    text: compact.toUpperCase().replace(/X/g, 'x'),
    value: (bytes.value[0]! << 8) | bytes.value[1]!,
    mask: (bytes.mask[0]! << 8) | bytes.mask[1]!,
  };
}
