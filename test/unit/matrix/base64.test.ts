import { describe, expect, it } from 'vitest';
import {
  Base64Error,
  decodeBase64,
  decodeBase64Url,
  encodeBase64,
  encodeBase64Url,
  isUnpaddedBase64,
  isUnpaddedBase64Url,
} from '../../../src/matrix/base64';
import { vectorsOfKind } from './spec-vectors';

const utf8 = new TextEncoder();
const text = new TextDecoder();

describe('unpadded base64 (spec vectors)', () => {
  for (const v of vectorsOfKind('unpadded_base64')) {
    it(v.name, () => {
      expect(encodeBase64(utf8.encode(v.input.utf8))).toBe(v.expected);
      expect(text.decode(decodeBase64(v.expected))).toBe(v.input.utf8);
    });
  }
});

describe('base64', () => {
  const all = Uint8Array.from({ length: 256 }, (_, i) => i);

  it('round-trips every byte value and every length mod 3, both alphabets', () => {
    for (let n = 0; n <= 256; n++) {
      const bytes = all.subarray(0, n);
      expect(decodeBase64(encodeBase64(bytes))).toEqual(bytes);
      expect(decodeBase64Url(encodeBase64Url(bytes))).toEqual(bytes);
    }
  });

  it('matches Node Buffer output (standard unpadded and base64url)', () => {
    for (let n = 0; n <= 64; n++) {
      const bytes = all.subarray(256 - n);
      expect(encodeBase64(bytes)).toBe(Buffer.from(bytes).toString('base64').replace(/=+$/, ''));
      expect(encodeBase64Url(bytes)).toBe(Buffer.from(bytes).toString('base64url'));
    }
  });

  it('accepts padded input for the standard alphabet', () => {
    expect(decodeBase64('Zg==')).toEqual(utf8.encode('f'));
    expect(decodeBase64('Zm8=')).toEqual(utf8.encode('fo'));
  });

  it('tolerates non-zero spare bits (the spec test seed ends in one)', () => {
    expect(decodeBase64('Zh')).toEqual(utf8.encode('f'));
    expect(decodeBase64('YJDBA9Xnr2sVqXD9Vj7XVUnmFZcZrlw8Md7kMW+3XA1')).toHaveLength(32);
  });

  it.each([
    ['invalid character', 'Zm9v!'],
    ['URL-safe character in standard', 'ab-_'],
    ['impossible length', 'Zm9vY'],
    ['padding in the middle', 'Zg==Zg=='],
    ['non-ASCII', 'Zé9v'],
  ])('standard decoder rejects %s', (_label, s) => {
    expect(() => decodeBase64(s)).toThrow(Base64Error);
  });

  it.each([
    ['standard-only character +', 'ab+c'],
    ['standard-only character /', 'ab/c'],
    ['padding', 'Zg=='],
  ])('URL-safe decoder rejects %s', (_label, s) => {
    expect(() => decodeBase64Url(s)).toThrow(Base64Error);
  });

  it('format predicates follow mx-unpadded-base64 and mx-urlsafe-unpadded-base64', () => {
    expect(isUnpaddedBase64('abc+/0')).toBe(true);
    expect(isUnpaddedBase64('abc=')).toBe(false);
    expect(isUnpaddedBase64('ab-_')).toBe(false);
    expect(isUnpaddedBase64('abcde')).toBe(false);
    expect(isUnpaddedBase64Url('ab-_')).toBe(true);
    expect(isUnpaddedBase64Url('ab+/')).toBe(false);
  });
});
