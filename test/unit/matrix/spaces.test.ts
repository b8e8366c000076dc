import { describe, expect, it } from 'vitest';
import { compareChildren, hasValidVia, isSuggested, validOrder, type SpaceChild } from '../../../src/matrix/spaces';

const child = (stateKey: string, originServerTs: number, content: Record<string, unknown>): SpaceChild => ({ stateKey, originServerTs, content: { via: ['example.org'], ...content } });

describe('space children', () => {
  it('orders the spec example: valid orders by code point, then timestamps', () => {
    const children = [
      child('!b:example.org', 1640341000000, { order: ' ' }),
      child('!a:example.org', 1640141000000, { order: 'aaaa' }),
      child('!c:example.org', 1640841000000, { order: 'first' }),
      child('!e:example.org', 1640641000000, {}),
      child('!d:example.org', 1640741000000, {}),
    ];
    const shuffled = [children[3], children[2], children[4], children[0], children[1]];
    expect(shuffled.sort(compareChildren).map((c) => c.stateKey)).toEqual(['!b:example.org', '!a:example.org', '!c:example.org', '!e:example.org', '!d:example.org']);
  });

  it('breaks ties by timestamp, then room id, and treats invalid orders as none', () => {
    const sorted = [
      child('!z:x', 5, { order: 'same' }),
      child('!y:x', 3, { order: 'same' }),
      child('!b:x', 1, {}),
      child('!a:x', 1, {}),
      child('!w:x', 0, { order: 'x'.repeat(51) }),
      child('!v:x', 0, { order: 'é' }),
      child('!u:x', 0, { order: 7 }),
    ].sort(compareChildren);
    expect(sorted.map((c) => c.stateKey)).toEqual(['!y:x', '!z:x', '!u:x', '!v:x', '!w:x', '!a:x', '!b:x']);
  });

  it('reads order, via and suggested as the schema defines them', () => {
    expect(validOrder({ order: '~' })).toBe('~');
    expect(validOrder({ order: '' })).toBeUndefined();
    expect(validOrder({ order: 'tab\there' })).toBeUndefined();
    expect(hasValidVia({ via: ['a.org'] })).toBe(true);
    expect(hasValidVia({ via: [] })).toBe(false);
    expect(hasValidVia({ via: [1] })).toBe(false);
    expect(hasValidVia({})).toBe(false);
    expect(isSuggested({ suggested: true })).toBe(true);
    expect(isSuggested({ suggested: 'true' })).toBe(false);
  });
});
