// Canonical JSON (spec appendix "Canonical JSON"): the byte-exact form that is hashed
// and signed. Keys sorted by Unicode code point, no insignificant whitespace, integers
// only in [-(2^53)+1, 2^53-1], no floats, strings as UTF-8 with minimal escaping.

/** A value that has no canonical JSON form (float, out-of-range integer, non-plain object…). */
export class CanonicalJsonError extends Error {
  override name = 'CanonicalJsonError';
  constructor(message: string, readonly path: string) {
    super(path ? `${message} at ${path}` : message);
  }
}

export const MAX_SAFE_INT = Number.MAX_SAFE_INTEGER; // 2^53 - 1
export const MIN_SAFE_INT = -Number.MAX_SAFE_INTEGER; // -(2^53) + 1

// In a `u`-flag character class, surrogate pairs are one code point, so this matches only
// lone surrogates, which have no UTF-8 encoding and so no canonical form.
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;
const HAS_SURROGATE = /[\uD800-\uDFFF]/;
const AT_OR_ABOVE_D800 = /[\uD800-\uFFFF]/;

/**
 * Orders strings by Unicode code point. JS's default sort compares UTF-16 code units,
 * which puts astral characters (surrogates D800–DFFF) before U+E000–U+FFFF; remapping
 * the code units around that block restores code point order.
 */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x !== y) {
      if (x >= 0xd800 && y >= 0xd800) {
        x = x >= 0xe000 ? x - 0x800 : x + 0x2000;
        y = y >= 0xe000 ? y - 0x800 : y + 0x2000;
      }
      return x - y;
    }
  }
  return a.length - b.length;
}

function sortKeys(keys: string[]): string[] {
  // Fast path: with no key at or above U+D800, UTF-16 order equals code point order.
  for (const k of keys) {
    if (AT_OR_ABOVE_D800.test(k)) return keys.sort(compareCodePoints);
  }
  return keys.sort();
}

function encodeString(s: string, path: string): string {
  if (HAS_SURROGATE.test(s) && LONE_SURROGATE.test(s)) {
    throw new CanonicalJsonError('string contains a lone surrogate', path);
  }
  // JSON.stringify escapes exactly what the spec's grammar requires: `"`, `\`, and
  // U+0000–U+001F (short forms \b \f \n \r \t, others \u00xx lowercase), nothing else.
  return JSON.stringify(s);
}

function isPlainObject(v: object): boolean {
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

function encode(value: unknown, path: string, stack: Set<object>): string {
  switch (typeof value) {
    case 'string':
      return encodeString(value, path);
    case 'number':
      if (!Number.isFinite(value)) throw new CanonicalJsonError(`${value} is not allowed`, path);
      if (!Number.isInteger(value)) throw new CanonicalJsonError(`float ${value} is not allowed`, path);
      if (value > MAX_SAFE_INT || value < MIN_SAFE_INT) {
        throw new CanonicalJsonError(`integer ${value} is out of range`, path);
      }
      return value === 0 ? '0' : String(value); // -0 is printed as 0
    case 'bigint':
      if (value > BigInt(MAX_SAFE_INT) || value < BigInt(MIN_SAFE_INT)) {
        throw new CanonicalJsonError(`integer ${value} is out of range`, path);
      }
      return value.toString();
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object': {
      if (value === null) return 'null';
      if (stack.has(value)) throw new CanonicalJsonError('cyclic structure', path);
      stack.add(value);
      let out: string;
      if (Array.isArray(value)) {
        const parts: string[] = new Array(value.length);
        for (let i = 0; i < value.length; i++) {
          const item = value[i];
          if (item === undefined) throw new CanonicalJsonError('undefined array element', `${path}[${i}]`);
          parts[i] = encode(item, `${path}[${i}]`, stack);
        }
        out = '[' + parts.join(',') + ']';
      } else {
        if (!isPlainObject(value)) {
          throw new CanonicalJsonError(`${value.constructor?.name ?? 'object'} is not a plain object`, path);
        }
        const obj = value as Record<string, unknown>;
        const parts: string[] = [];
        for (const key of sortKeys(Object.keys(obj))) {
          const v = obj[key];
          // Absent and undefined properties are the same thing for a JSON object.
          if (v === undefined) continue;
          parts.push(encodeString(key, path) + ':' + encode(v, `${path}.${key}`, stack));
        }
        out = '{' + parts.join(',') + '}';
      }
      stack.delete(value);
      return out;
    }
    default:
      throw new CanonicalJsonError(`${typeof value} is not a JSON value`, path);
  }
}

/** Canonical JSON text of a JSON value; throws CanonicalJsonError if it has none. */
export function canonicalJson(value: unknown): string {
  return encode(value, '', new Set());
}

const encoder = new TextEncoder();

/** Canonical JSON as UTF-8 bytes, the input of hashes and signatures. */
export function canonicalJsonBytes(value: unknown): Uint8Array {
  return encoder.encode(canonicalJson(value));
}
