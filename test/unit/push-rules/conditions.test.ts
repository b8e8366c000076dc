import { describe, expect, it } from 'vitest';
import { conditionMatches, memberCountMatches } from '../../../src/matrix/push-rules/conditions';
import type { PushCondition, PushContext, PushEvent } from '../../../src/matrix/push-rules/types';

const ctx: PushContext = { userId: '@alice:example.org', displayName: 'Alice', memberCount: 5, senderPowerLevel: 0, notificationPowerLevels: {} };
const event = (over: Partial<PushEvent> = {}): PushEvent => ({
  type: 'm.room.message',
  sender: '@bob:example.org',
  room_id: '!room:example.org',
  event_id: '$e',
  content: { msgtype: 'm.text', body: 'hello world' },
  ...over,
});
const matches = (c: PushCondition, e: PushEvent = event(), x: Partial<PushContext> = {}) => conditionMatches(c, e, { ...ctx, ...x });

describe('event_match', () => {
  it('matches a whole property value, case-insensitively', () => {
    expect(matches({ kind: 'event_match', key: 'type', pattern: 'm.room.message' })).toBe(true);
    expect(matches({ kind: 'event_match', key: 'type', pattern: 'M.ROOM.*' })).toBe(true);
    expect(matches({ kind: 'event_match', key: 'type', pattern: 'm.room' })).toBe(false);
    expect(matches({ kind: 'event_match', key: 'content.topic', pattern: 'lunc?*' }, event({ type: 'm.room.topic', state_key: '', content: { topic: 'Lunch plans' } }))).toBe(true);
  });

  it('matches content.body at word boundaries', () => {
    expect(matches({ kind: 'event_match', key: 'content.body', pattern: 'world' })).toBe(true);
    expect(matches({ kind: 'event_match', key: 'content.body', pattern: 'wor' })).toBe(false);
    // Other keys match whole values only.
    expect(matches({ kind: 'event_match', key: 'content.msgtype', pattern: 'text' })).toBe(false);
  });

  it('does not match an absent or non-string property, even with *', () => {
    expect(matches({ kind: 'event_match', key: 'content.missing', pattern: '*' })).toBe(false);
    expect(matches({ kind: 'event_match', key: 'content.n', pattern: '*' }, event({ content: { n: 1 } }))).toBe(false);
    expect(matches({ kind: 'event_match', key: 'content.n', pattern: '*' }, event({ content: { n: null } }))).toBe(false);
    expect(matches({ kind: 'event_match', key: 'content', pattern: '*' })).toBe(false);
  });

  it('matches state_key "" only on state events (no implicit state_key condition)', () => {
    expect(matches({ kind: 'event_match', key: 'state_key', pattern: '' }, event({ state_key: '' }))).toBe(true);
    expect(matches({ kind: 'event_match', key: 'state_key', pattern: '' })).toBe(false);
  });

  it('uses escaped dots in keys', () => {
    const e = event({ content: { 'm.relates_to': { rel_type: 'm.thread' } } });
    expect(matches({ kind: 'event_match', key: 'content.m\\.relates_to.rel_type', pattern: 'm.thread' }, e)).toBe(true);
  });

  it('never matches without a string key and pattern', () => {
    expect(matches({ kind: 'event_match', key: 'type' })).toBe(false);
    expect(matches({ kind: 'event_match', pattern: '*' })).toBe(false);
  });
});

describe('event_property_is', () => {
  const e = event({ type: 'm.room.create', state_key: '', content: { 'm.federate': true, n: 3, s: '3', z: null, o: {}, f: 1.5 } });
  it('matches exact non-compound values of the same type (spec example: content.m\\.federate)', () => {
    expect(matches({ kind: 'event_property_is', key: 'content.m\\.federate', value: true }, e)).toBe(true);
    expect(matches({ kind: 'event_property_is', key: 'content.m\\.federate', value: 'true' }, e)).toBe(false);
    expect(matches({ kind: 'event_property_is', key: 'content.m\\.federate', value: 1 }, e)).toBe(false);
    expect(matches({ kind: 'event_property_is', key: 'content.n', value: 3 }, e)).toBe(true);
    expect(matches({ kind: 'event_property_is', key: 'content.n', value: '3' }, e)).toBe(false);
    expect(matches({ kind: 'event_property_is', key: 'content.s', value: '3' }, e)).toBe(true);
    expect(matches({ kind: 'event_property_is', key: 'content.z', value: null }, e)).toBe(true);
  });
  it('does not match absent properties, compound or float values', () => {
    expect(matches({ kind: 'event_property_is', key: 'content.absent', value: null }, e)).toBe(false);
    expect(matches({ kind: 'event_property_is', key: 'content.o', value: null }, e)).toBe(false);
    expect(matches({ kind: 'event_property_is', key: 'content.f', value: 1.5 }, e)).toBe(false);
    expect(matches({ kind: 'event_property_is', key: 'content.n' }, e)).toBe(false);
  });
});

describe('event_property_contains', () => {
  const e = event({ type: 'm.room.canonical_alias', state_key: '', content: { alt_aliases: ['#somewhere:example.org', '#myroom:example.com', 7, null, { x: 1 }], s: '#myroom:example.com' } });
  it('matches when the array holds the value exactly (spec example)', () => {
    expect(matches({ kind: 'event_property_contains', key: 'content.alt_aliases', value: '#myroom:example.com' }, e)).toBe(true);
    expect(matches({ kind: 'event_property_contains', key: 'content.alt_aliases', value: 7 }, e)).toBe(true);
    expect(matches({ kind: 'event_property_contains', key: 'content.alt_aliases', value: null }, e)).toBe(true);
  });
  it('does not match partial values, non-arrays, absent properties', () => {
    expect(matches({ kind: 'event_property_contains', key: 'content.alt_aliases', value: ':example.com' }, e)).toBe(false);
    expect(matches({ kind: 'event_property_contains', key: 'content.alt_aliases', value: '7' }, e)).toBe(false);
    expect(matches({ kind: 'event_property_contains', key: 'content.s', value: '#myroom:example.com' }, e)).toBe(false);
    expect(matches({ kind: 'event_property_contains', key: 'content.none', value: 'x' }, e)).toBe(false);
  });
});

describe('contains_display_name', () => {
  it('matches the display name as whole words in content.body, case-insensitively', () => {
    expect(matches({ kind: 'contains_display_name' }, event({ content: { body: 'hi alice, how are you' } }))).toBe(true);
    expect(matches({ kind: 'contains_display_name' }, event({ content: { body: 'hi Alicent' } }))).toBe(false);
  });
  it('does not match without a display name or body, and treats glob characters literally', () => {
    expect(matches({ kind: 'contains_display_name' }, event({ content: { body: 'alice' } }), { displayName: null })).toBe(false);
    expect(matches({ kind: 'contains_display_name' }, event({ content: { body: 'alice' } }), { displayName: '' })).toBe(false);
    expect(matches({ kind: 'contains_display_name' }, event({ content: {} }))).toBe(false);
    expect(matches({ kind: 'contains_display_name' }, event({ content: { body: 'hi abc' } }), { displayName: 'a*' })).toBe(false);
    expect(matches({ kind: 'contains_display_name' }, event({ content: { body: 'hi a* there' } }), { displayName: 'a*' })).toBe(true);
  });
});

describe('room_member_count', () => {
  it('compares with ==, <, >, <=, >= and defaults to ==', () => {
    const table: [string, number, boolean][] = [
      ['2', 2, true], ['2', 3, false], ['==2', 2, true], ['==2', 1, false],
      ['<3', 2, true], ['<3', 3, false], ['>3', 4, true], ['>3', 3, false],
      ['<=3', 3, true], ['<=3', 4, false], ['>=3', 3, true], ['>=3', 2, false],
    ];
    for (const [is, n, want] of table) expect(memberCountMatches(is, n), `${is} vs ${n}`).toBe(want);
    expect(matches({ kind: 'room_member_count', is: '5' })).toBe(true);
  });
  it('never matches a malformed or missing `is`', () => {
    for (const is of ['', '=2', '=<2', '2.0', ' 2', 'two', '-1']) expect(memberCountMatches(is, 2), is).toBe(false);
    expect(matches({ kind: 'room_member_count' })).toBe(false);
  });
});

describe('sender_notification_permission', () => {
  it("compares the sender's level with notifications[key], 50 when absent", () => {
    const c: PushCondition = { kind: 'sender_notification_permission', key: 'room' };
    expect(matches(c, event(), { senderPowerLevel: 50 })).toBe(true);
    expect(matches(c, event(), { senderPowerLevel: 49 })).toBe(false);
    expect(matches(c, event(), { senderPowerLevel: 0, notificationPowerLevels: { room: 0 } })).toBe(true);
    expect(matches(c, event(), { senderPowerLevel: 99, notificationPowerLevels: { room: 100 } })).toBe(false);
    expect(matches(c, event(), { senderPowerLevel: Infinity, notificationPowerLevels: { room: 100 } })).toBe(true);
    expect(matches({ kind: 'sender_notification_permission' }, event(), { senderPowerLevel: 100 })).toBe(false);
  });
});

describe('unknown conditions', () => {
  it('never match', () => {
    expect(matches({ kind: 'org.example.always' })).toBe(false);
    expect(matches({ kind: 'related_event_match', key: 'type', pattern: '*' })).toBe(false);
  });
});
