// required_state of simplified sliding sync (MSC4186 in Synapse's form): wildcards, $ME, $LAZY,
// and combining the configs of several lists and subscriptions.
import { describe, expect, it } from 'vitest';
import { combine, fromPairs, isLazy, matches, sameRequiredState, selectionOf } from '../../../src/services/sliding-sync/required-state';

const ME = '@me:example.org';

describe('required_state', () => {
  it('matches exact pairs, $ME and wildcards', () => {
    const rs = fromPairs([['m.room.name', ''], ['m.room.member', '$ME'], ['m.space.child', '*'], ['*', 'k']]);
    expect(matches(rs, 'm.room.name', '', ME)).toBe(true);
    expect(matches(rs, 'm.room.name', 'x', ME)).toBe(false);
    expect(matches(rs, 'm.room.member', ME, ME)).toBe(true);
    expect(matches(rs, 'm.room.member', '@other:example.org', ME)).toBe(false);
    expect(matches(rs, 'm.space.child', '!a:b', ME)).toBe(true);
    expect(matches(rs, 'org.example.any', 'k', ME)).toBe(true);
    expect(matches(rs, 'm.room.topic', '', ME)).toBe(false);
  });

  it('with $LAZY, ["*", "*"] matches every state event but members', () => {
    const rs = fromPairs([['*', '*'], ['m.room.member', '$LAZY'], ['m.room.member', '$ME']]);
    expect(isLazy(rs)).toBe(true);
    expect(matches(rs, 'm.room.topic', '', ME)).toBe(true);
    expect(matches(rs, 'm.room.member', '@other:example.org', ME)).toBe(false);
    expect(matches(rs, 'm.room.member', ME, ME)).toBe(true);
    expect(selectionOf(rs, ME)).toEqual({ all: false, allButMembers: true, types: [], pairs: [['m.room.member', ME]], keys: [] });
    // Without it, every member.
    const all = fromPairs([['*', '*']]);
    expect(matches(all, 'm.room.member', '@other:example.org', ME)).toBe(true);
    expect(selectionOf(all, ME).all).toBe(true);
  });

  it('a wildcard over all members makes $LAZY moot', () => {
    const rs = fromPairs([['m.room.member', '$LAZY'], ['m.room.member', '*']]);
    expect(isLazy(rs)).toBe(false);
    expect(rs).toEqual({ 'm.room.member': ['*'] });
  });

  it('has one canonical form, so configs compare by value', () => {
    const a = fromPairs([['b', ''], ['a', 'y'], ['a', 'x'], ['a', 'x']]);
    const b = fromPairs([['a', 'x'], ['a', 'y'], ['b', '']]);
    expect(sameRequiredState(a, b)).toBe(true);
    expect(JSON.stringify(a)).toBe('{"a":["x","y"],"b":[""]}');
  });

  it('combines configs into their union', () => {
    const a = fromPairs([['m.room.name', '']]);
    const b = fromPairs([['m.room.topic', ''], ['m.room.member', '$LAZY']]);
    const both = combine(a, b);
    expect(both).toEqual({ 'm.room.member': ['$LAZY'], 'm.room.name': [''], 'm.room.topic': [''] });
    expect(sameRequiredState(combine(both, a), both)).toBe(true);
    expect(sameRequiredState(combine(a, b), a)).toBe(false);
  });
});
