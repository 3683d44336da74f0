/** Status-word patterns and masked hex: how scenarios, expectations and the CLI match card answers. */

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
