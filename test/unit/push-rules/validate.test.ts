import { describe, expect, it } from 'vitest';
import { MatrixError } from '../../../src/matrix/errors';
import { checkNewRuleId, hasNul, parseActions, parseEnabled, parseNewRule } from '../../../src/matrix/push-rules/validate';

function errcodeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    if (e instanceof MatrixError) return `${e.status} ${e.errcode}`;
    throw e;
  }
  return undefined;
}

describe('rule ids clients may create', () => {
  it('refuses server-default ids, slashes and backslashes', () => {
    expect(errcodeOf(() => checkNewRuleId('override', '.m.rule.mine'))).toBe('400 M_INVALID_PARAM');
    expect(errcodeOf(() => checkNewRuleId('content', 'a/b'))).toBe('400 M_INVALID_PARAM');
    expect(errcodeOf(() => checkNewRuleId('content', 'a\\b'))).toBe('400 M_INVALID_PARAM');
    expect(errcodeOf(() => checkNewRuleId('content', 'nocake'))).toBeUndefined();
  });
  it('requires room IDs for room rules and user IDs for sender rules', () => {
    expect(errcodeOf(() => checkNewRuleId('room', '!abc:example.org'))).toBeUndefined();
    expect(errcodeOf(() => checkNewRuleId('room', 'abc'))).toBe('400 M_INVALID_PARAM');
    expect(errcodeOf(() => checkNewRuleId('sender', '@spam:example.org'))).toBeUndefined();
    expect(errcodeOf(() => checkNewRuleId('sender', '!abc:example.org'))).toBe('400 M_INVALID_PARAM');
  });
});

describe('actions', () => {
  it('accepts notify and tweaks; accepts and drops the historical actions', () => {
    expect(parseActions(['notify', 'dont_notify', 'coalesce', { set_tweak: 'sound', value: 'x' }, { set_tweak: 'custom' }])).toEqual([
      'notify', { set_tweak: 'sound', value: 'x' }, { set_tweak: 'custom' },
    ]);
    expect(parseActions(['dont_notify'])).toEqual([]);
    expect(parseActions([])).toEqual([]);
  });
  it('refuses missing, non-array, unknown and malformed actions', () => {
    expect(errcodeOf(() => parseActions(undefined))).toBe('400 M_MISSING_PARAM');
    expect(errcodeOf(() => parseActions('notify'))).toBe('400 M_BAD_JSON');
    expect(errcodeOf(() => parseActions(['shout']))).toBe('400 M_INVALID_PARAM');
    expect(errcodeOf(() => parseActions([{ value: 'x' }]))).toBe('400 M_BAD_JSON');
    expect(errcodeOf(() => parseActions([{ set_tweak: 5 }]))).toBe('400 M_BAD_JSON');
    expect(errcodeOf(() => parseActions([1]))).toBe('400 M_BAD_JSON');
    expect(errcodeOf(() => parseActions([{ set_tweak: 'sound', value: 'a\u0000b' }]))).toBe('400 M_BAD_JSON');
  });
});

describe('new rules', () => {
  it('override/underride take conditions (none means always), content takes a pattern', () => {
    expect(parseNewRule('override', { actions: [] })).toEqual({ actions: [], conditions: [] });
    expect(parseNewRule('underride', { actions: ['notify'], conditions: [{ kind: 'room_member_count', is: '<=10' }], pattern: 'ignored' })).toEqual({
      actions: ['notify'],
      conditions: [{ kind: 'room_member_count', is: '<=10' }],
    });
    expect(parseNewRule('content', { actions: ['notify'], pattern: 'cake*lie', conditions: 'ignored' })).toEqual({ actions: ['notify'], pattern: 'cake*lie' });
    expect(parseNewRule('room', { actions: [] })).toEqual({ actions: [] });
    expect(parseNewRule('sender', { actions: [], pattern: 'x' })).toEqual({ actions: [] });
  });
  it('keeps conditions of unknown kinds', () => {
    expect(parseNewRule('override', { actions: [], conditions: [{ kind: 'org.example.future', x: 1 }] }).conditions).toEqual([{ kind: 'org.example.future', x: 1 }]);
  });
  it('refuses malformed conditions and patterns', () => {
    const bad = (conditions: unknown) => errcodeOf(() => parseNewRule('override', { actions: [], conditions }));
    expect(bad('x')).toBe('400 M_BAD_JSON');
    expect(bad(['x'])).toBe('400 M_BAD_JSON');
    expect(bad([{}])).toBe('400 M_BAD_JSON');
    expect(bad([{ kind: 'event_match', key: 'type' }])).toBe('400 M_BAD_JSON');
    expect(bad([{ kind: 'event_match', pattern: 'x' }])).toBe('400 M_BAD_JSON');
    expect(bad([{ kind: 'event_property_is', key: 'content.x' }])).toBe('400 M_BAD_JSON');
    expect(bad([{ kind: 'event_property_is', key: 'content.x', value: 1.5 }])).toBe('400 M_BAD_JSON');
    expect(bad([{ kind: 'event_property_contains', key: 'content.x', value: ['a'] }])).toBe('400 M_BAD_JSON');
    expect(bad([{ kind: 'room_member_count', is: 'many' }])).toBe('400 M_BAD_JSON');
    expect(bad([{ kind: 'sender_notification_permission' }])).toBe('400 M_BAD_JSON');
    expect(bad([{ kind: 'event_match', key: 'type', pattern: 'a\u0000' }])).toBe('400 M_BAD_JSON');
    expect(bad([{ kind: 'event_property_is', key: 'content.x', value: null }])).toBeUndefined();
    expect(bad([{ kind: 'contains_display_name' }])).toBeUndefined();
    expect(errcodeOf(() => parseNewRule('content', { actions: [] }))).toBe('400 M_MISSING_PARAM');
    expect(errcodeOf(() => parseNewRule('content', { actions: [], pattern: 5 }))).toBe('400 M_BAD_JSON');
    expect(errcodeOf(() => parseNewRule('room', {}))).toBe('400 M_MISSING_PARAM');
  });
  it('enabled must be a boolean', () => {
    expect(parseEnabled({ enabled: false })).toBe(false);
    expect(errcodeOf(() => parseEnabled({}))).toBe('400 M_MISSING_PARAM');
    expect(errcodeOf(() => parseEnabled({ enabled: 'true' }))).toBe('400 M_BAD_JSON');
  });
  it('finds NUL in keys and values', () => {
    expect(hasNul({ a: ['x', { 'k\u0000': 1 }] })).toBe(true);
    expect(hasNul({ a: ['x', { k: 'v' }] })).toBe(false);
  });
});
