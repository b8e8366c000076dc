// Parsing JSON text with the checks the spec asks of request bodies and events: invalid
// JSON is M_NOT_JSON; from room version 6 numbers must be canonical (integers in
// [-(2^53)+1, 2^53-1], no fraction or exponent), which JSON.parse alone cannot tell
// (it reads 1.0 and 1e2 as integers), so the number tokens are checked in the text.

import { ErrCode, MatrixError } from './errors';

const MAX = BigInt(Number.MAX_SAFE_INTEGER);

/** The first number token in JSON text that is not a canonical integer, or undefined. */
export function findNonCanonicalNumber(text: string): string | undefined {
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      // Skip a string, honouring backslash escapes.
      for (i++; i < n; i++) {
        const d = text.charCodeAt(i);
        if (d === 0x5c) i++;
        else if (d === 0x22) break;
      }
    } else if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
      let j = i + 1;
      for (; j < n; j++) {
        const d = text.charCodeAt(j); // digits . e E + -
        if (!((d >= 0x30 && d <= 0x39) || d === 0x2e || d === 0x65 || d === 0x45 || d === 0x2b || d === 0x2d)) break;
      }
      const token = text.slice(i, j);
      if (!/^-?\d+$/.test(token)) return token;
      const v = BigInt(token);
      if (v > MAX || v < -MAX) return token;
      i = j - 1;
    }
  }
  return undefined;
}

export interface ParseJsonOptions {
  /** Reject floats, exponents and integers outside the canonical range (M_BAD_JSON). */
  canonicalNumbers?: boolean;
}

/** JSON.parse with Matrix errors: M_NOT_JSON for invalid JSON, M_BAD_JSON for non-canonical numbers. */
export function parseJson(text: string, options: ParseJsonOptions = {}): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new MatrixError(400, ErrCode.NOT_JSON, 'Content not JSON.');
  }
  if (options.canonicalNumbers) {
    const bad = findNonCanonicalNumber(text);
    if (bad !== undefined) throw new MatrixError(400, ErrCode.BAD_JSON, `Number ${bad} is not an integer in the canonical JSON range.`);
  }
  return value;
}

/** parseJson for a body that must be a JSON object (most Matrix request bodies). */
export function parseJsonObject(text: string, options: ParseJsonOptions = {}): Record<string, unknown> {
  const value = parseJson(text, options);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new MatrixError(400, ErrCode.BAD_JSON, 'Body must be a JSON object.');
  }
  return value as Record<string, unknown>;
}
