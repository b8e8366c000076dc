import { describe, expect, it } from 'vitest';
import { containsWords, globMatches, globRegExp } from '../../../src/matrix/push-rules/glob';
import { parsePropertyPath, propertyAt } from '../../../src/matrix/push-rules/property-path';

describe('glob-style matching of whole values (spec appendices, event_match)', () => {
  it('matches the spec example lunc?* case-insensitively, and not the spec counter-examples', () => {
    for (const v of ['Lunch plans', 'LUNCH', 'lunch']) expect(globMatches('lunc?*', v, 'whole'), v).toBe(true);
    for (const v of [' lunch', 'lunc']) expect(globMatches('lunc?*', v, 'whole'), v).toBe(false);
  });

  it('? matches exactly one character (a code point), * any run including none and newlines', () => {
    expect(globMatches('a?c', 'abc', 'whole')).toBe(true);
    expect(globMatches('a?c', 'ac', 'whole')).toBe(false);
    expect(globMatches('a?c', 'abbc', 'whole')).toBe(false);
    expect(globMatches('a?c', 'a😀c', 'whole')).toBe(true);
    expect(globMatches('a*c', 'ac', 'whole')).toBe(true);
    expect(globMatches('a*c', 'a\nb\nc', 'whole')).toBe(true);
    expect(globMatches('*', '', 'whole')).toBe(true);
    expect(globMatches('', '', 'whole')).toBe(true);
    expect(globMatches('', 'x', 'whole')).toBe(false);
  });

  it('treats every other character literally (regex syntax, brackets, backslashes)', () => {
    expect(globMatches('m.notice', 'm.notice', 'whole')).toBe(true);
    expect(globMatches('m.notice', 'mXnotice', 'whole')).toBe(false);
    expect(globMatches('[a]+(b)|$^{1}\\-/', '[a]+(b)|$^{1}\\-/', 'whole')).toBe(true);
    expect(globMatches('[ab]', 'a', 'whole')).toBe(false);
  });

  it('matches with several stars, segments in order', () => {
    expect(globMatches('a*b*c', 'axxbyyc', 'whole')).toBe(true);
    expect(globMatches('a*b*c', 'acb', 'whole')).toBe(false);
    expect(globMatches('a**b', 'ab', 'whole')).toBe(true);
    expect(globMatches('*a*', 'bab', 'whole')).toBe(true);
    expect(globMatches('a*a', 'a', 'whole')).toBe(false);
    expect(globMatches('a*a', 'aa', 'whole')).toBe(true);
    expect(globMatches('ab*ba', 'aba', 'whole')).toBe(false);
  });

  it('does not blow up on patterns with many stars against long values', () => {
    const value = 'a'.repeat(20000);
    expect(globMatches('*a*a*a*a*a*a*b', value, 'whole')).toBe(false);
    expect(globMatches('*a*a*a*a*a*a*b', value, 'words')).toBe(false);
    expect(globMatches('a*a*a*a*a*a', value, 'words')).toBe(true);
  });

  it('compiles each pattern once', () => {
    expect(globRegExp('cake*lie', 'words')).toBe(globRegExp('cake*lie', 'words'));
    expect(globRegExp('cake*lie', 'whole')).not.toBe(globRegExp('cake*lie', 'words'));
  });
});

describe('word-boundary matching of content.body (spec: event_match special case)', () => {
  it('matches the spec example ex*ple', () => {
    for (const v of ['An example event.', 'exple', 'An exciting triple-whammy']) expect(globMatches('ex*ple', v, 'words'), v).toBe(true);
  });

  it('requires a boundary at both ends; [A-Za-z0-9_] are not boundaries', () => {
    expect(globMatches('cake', 'I like cake!', 'words')).toBe(true);
    expect(globMatches('cake', 'CAKE', 'words')).toBe(true);
    expect(globMatches('cake', 'cakes', 'words')).toBe(false);
    expect(globMatches('cake', 'pancake', 'words')).toBe(false);
    expect(globMatches('cake', 'cake_', 'words')).toBe(false);
    expect(globMatches('cake', '9cake', 'words')).toBe(false);
    expect(globMatches('cake', 'é-cake-é', 'words')).toBe(true);
    expect(globMatches('cake*', 'cakes', 'words')).toBe(true);
    expect(globMatches('*cake', 'pancake', 'words')).toBe(true);
    expect(globMatches('ca?e', 'a cafe', 'words')).toBe(true);
  });

  it('finds a match after a failed earlier candidate', () => {
    expect(globMatches('foo*bar', 'xfoo foo bar', 'words')).toBe(true);
    expect(globMatches('foo*bar', 'foo barx', 'words')).toBe(false);
    expect(globMatches('foo*bar', 'foo barx bar', 'words')).toBe(true);
    expect(globMatches('@room', 'hey @room!', 'words')).toBe(true);
    expect(globMatches('@room', 'x@room', 'words')).toBe(false);
  });

  it('containsWords treats the text literally', () => {
    expect(containsWords('Hi Al*ce!', 'al*ce')).toBe(true);
    expect(containsWords('Hi Alice!', 'al*ce')).toBe(false);
    expect(containsWords('Hi Alice!', 'Al?ce')).toBe(false);
    expect(containsWords('Alice', 'alice')).toBe(true);
    expect(containsWords('Alicent', 'alice')).toBe(false);
  });
});

describe('dot-separated property paths (spec appendices)', () => {
  it('splits on unescaped dots; \\. and \\\\ are literal; other escapes stay as they are', () => {
    expect(parsePropertyPath('content.body')).toEqual(['content', 'body']);
    expect(parsePropertyPath('content.m\\.relates_to.rel_type')).toEqual(['content', 'm.relates_to', 'rel_type']);
    expect(parsePropertyPath('content.m\\\\foo')).toEqual(['content', 'm\\foo']);
    expect(parsePropertyPath('content.m\\x')).toEqual(['content', 'm\\x']);
    expect(parsePropertyPath('type')).toEqual(['type']);
  });

  it('looks up nested values and stops at non-objects', () => {
    const e = { content: { 'm.relates_to': { rel_type: 'm.replace' }, a: [1], s: 'x' } };
    expect(propertyAt(e, 'content.m\\.relates_to.rel_type')).toBe('m.replace');
    expect(propertyAt(e, 'content.m.relates_to.rel_type')).toBeUndefined();
    expect(propertyAt(e, 'content.a.0')).toBeUndefined();
    expect(propertyAt(e, 'content.s.length')).toBeUndefined();
    expect(propertyAt(e, 'content.toString')).toBeUndefined();
  });
});
