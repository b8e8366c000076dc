import { describe, expect, it } from 'vitest';
import { canonicalJson, CanonicalJsonError, compareCodePoints } from '../../../src/matrix/canonical-json';
import { vectorsOfKind } from './spec-vectors';

describe('canonical JSON (spec vectors)', () => {
  for (const v of vectorsOfKind('canonical_json')) {
    it(v.name, () => {
      expect(canonicalJson(JSON.parse(v.input))).toBe(v.expected);
    });
  }
});

describe('canonical JSON', () => {
  it('sorts keys by code point, not UTF-16 code unit', () => {
    // U+1F600 (surrogates D83D DE00) is above U+FFFD by code point, below it by code unit.
    const obj = { '\u{1F600}': 1, '\uFFFD': 2, a: 3 };
    expect(canonicalJson(obj)).toBe('{"a":3,"\uFFFD":2,"\u{1F600}":1}');
    expect(compareCodePoints('\u{1F600}', '\uFFFD')).toBeGreaterThan(0);
    expect(compareCodePoints('a', 'ab')).toBeLessThan(0);
  });

  it('sorts nested objects and keeps array order', () => {
    expect(canonicalJson({ b: [3, { d: 1, c: 2 }], a: true })).toBe('{"a":true,"b":[3,{"c":2,"d":1}]}');
  });

  it('escapes only quote, backslash and control characters', () => {
    expect(canonicalJson('"\\/')).toBe('"\\"\\\\/"');
    expect(canonicalJson('\b\f\n\r\t')).toBe('"\\b\\f\\n\\r\\t"');
    expect(canonicalJson('\u0000\u0001\u000b\u001f')).toBe('"\\u0000\\u0001\\u000b\\u001f"');
    expect(canonicalJson('\u007f\u2028é\u{1F600}')).toBe('"\u007f\u2028é\u{1F600}"');
  });

  it('writes integers at the bounds and -0 as 0', () => {
    expect(canonicalJson([2 ** 53 - 1, -(2 ** 53) + 1, -0, 0])).toBe('[9007199254740991,-9007199254740991,0,0]');
    expect(canonicalJson(123n)).toBe('123');
  });

  it('omits undefined object members', () => {
    expect(canonicalJson({ a: undefined, b: 1 })).toBe('{"b":1}');
  });

  it.each<[string, unknown]>([
    ['a float', { a: 1.5 }],
    ['NaN', [NaN]],
    ['Infinity', Infinity],
    ['an integer above 2^53-1', 2 ** 53],
    ['an integer below -(2^53)+1', -(2 ** 53)],
    ['an out-of-range bigint', 2n ** 53n],
    ['undefined in an array', [1, undefined]],
    ['undefined at top level', undefined],
    ['a function', { f: () => 1 }],
    ['a symbol', Symbol('x')],
    ['a Date', new Date(0)],
    ['a Map', new Map()],
    ['a typed array', new Uint8Array(1)],
    ['a lone surrogate in a value', '\uD800'],
    ['a lone surrogate in a key', { '\uDC00x': 1 }],
  ])('rejects %s', (_label, value) => {
    expect(() => canonicalJson(value)).toThrow(CanonicalJsonError);
  });

  it('rejects cycles and names the path of the bad value', () => {
    const a: Record<string, unknown> = {};
    a.self = a;
    expect(() => canonicalJson(a)).toThrow(CanonicalJsonError);
    expect(() => canonicalJson({ x: [0, { y: 0.5 }] })).toThrow(/at \.x\[1\]\.y/);
  });

  it('accepts null-prototype objects', () => {
    const o = Object.create(null);
    o.z = 1;
    o.a = null;
    expect(canonicalJson(o)).toBe('{"a":null,"z":1}');
  });
});
