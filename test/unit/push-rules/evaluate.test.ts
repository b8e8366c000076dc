import { describe, expect, it } from 'vitest';
import { defaultRules, isPredefinedRule } from '../../../src/matrix/push-rules/defaults';
import { evaluate, firstMatch, outcomeOf } from '../../../src/matrix/push-rules/evaluate';
import { buildRuleset } from '../../../src/matrix/push-rules/ruleset';
import type { PushContext, PushEvent, PushRule, PushRuleset } from '../../../src/matrix/push-rules/types';

const ALICE = '@alice:example.org';
const BOB = '@bob:example.org';
const ctx: PushContext = { userId: ALICE, displayName: 'Alice', memberCount: 5, senderPowerLevel: 0, notificationPowerLevels: {} };
const defaults = buildRuleset(ALICE, {});
const msg = (content: Record<string, unknown> = { msgtype: 'm.text', body: 'hello' }, over: Partial<PushEvent> = {}): PushEvent => ({
  type: 'm.room.message',
  sender: BOB,
  room_id: '!room:example.org',
  event_id: '$e',
  content,
  ...over,
});
const matched = (e: PushEvent, x: Partial<PushContext> = {}, rules: PushRuleset = defaults) => firstMatch(e, rules, { ...ctx, ...x })?.rule.rule_id;
const run = (e: PushEvent, x: Partial<PushContext> = {}, rules: PushRuleset = defaults) => evaluate(e, rules, { ...ctx, ...x });

describe('the predefined rules of v1.19', () => {
  it('are the spec list, in the spec order, with the user ID filled in', () => {
    expect(defaults.override.map((r) => r.rule_id)).toEqual([
      '.m.rule.master', '.m.rule.suppress_notices', '.m.rule.invite_for_me', '.m.rule.member_event', '.m.rule.is_user_mention',
      '.m.rule.is_room_mention', '.m.rule.tombstone', '.m.rule.reaction', '.m.rule.room.server_acl', '.m.rule.suppress_edits',
    ]);
    expect(defaults.content).toEqual([]);
    expect(defaults.room).toEqual([]);
    expect(defaults.sender).toEqual([]);
    expect(defaults.underride.map((r) => r.rule_id)).toEqual(['.m.rule.call', '.m.rule.encrypted_room_one_to_one', '.m.rule.room_one_to_one', '.m.rule.message', '.m.rule.encrypted']);
    for (const r of [...defaults.override, ...defaults.underride]) {
      expect(r.default).toBe(true);
      expect(r.enabled).toBe(r.rule_id !== '.m.rule.master');
    }
    expect(defaults.override[2].conditions![2]).toEqual({ kind: 'event_match', key: 'state_key', pattern: ALICE });
    expect(defaults.override[4]).toEqual({
      rule_id: '.m.rule.is_user_mention', default: true, enabled: true,
      conditions: [{ kind: 'event_property_contains', key: 'content.m\\.mentions.user_ids', value: ALICE }],
      actions: ['notify', { set_tweak: 'sound', value: 'default' }, { set_tweak: 'highlight' }],
    });
    expect(isPredefinedRule('override', '.m.rule.master')).toBe(true);
    expect(isPredefinedRule('underride', '.m.rule.master')).toBe(false);
    // Removed in v1.17.
    expect(isPredefinedRule('override', '.m.rule.roomnotif')).toBe(false);
    expect(isPredefinedRule('content', '.m.rule.contains_user_name')).toBe(false);
  });

  it('gives each user a fresh copy', () => {
    const a = defaultRules('override', ALICE);
    a[0].actions.push('notify');
    expect(defaultRules('override', ALICE)[0].actions).toEqual([]);
  });

  it('.m.rule.master: disabled, so it matches nothing; enabled, it silences everything', () => {
    expect(matched(msg())).toBe('.m.rule.message');
    const muted = buildRuleset(ALICE, {}, [{ kind: 'override', ruleId: '.m.rule.master', enabled: true }]);
    expect(matched(msg(), {}, muted)).toBe('.m.rule.master');
    expect(run(msg({ body: 'hi', 'm.mentions': { user_ids: [ALICE] } }), {}, muted).notify).toBe(false);
  });

  it('.m.rule.suppress_notices: notices do not notify, text does', () => {
    expect(matched(msg({ msgtype: 'm.notice', body: 'bot' }))).toBe('.m.rule.suppress_notices');
    expect(run(msg({ msgtype: 'm.notice', body: 'bot' })).notify).toBe(false);
    expect(matched(msg({ msgtype: 'm.text', body: 'bot' }))).toBe('.m.rule.message');
  });

  it(".m.rule.invite_for_me: the user's own invite notifies with the default sound; another's does not", () => {
    const invite = (target: string) => msg({ membership: 'invite' }, { type: 'm.room.member', state_key: target });
    expect(matched(invite(ALICE))).toBe('.m.rule.invite_for_me');
    expect(run(invite(ALICE))).toEqual({ actions: ['notify', { set_tweak: 'sound', value: 'default' }], notify: true, highlight: false, sound: 'default' });
    expect(matched(invite('@carol:example.org'))).toBe('.m.rule.member_event');
    expect(run(invite('@carol:example.org')).notify).toBe(false);
  });

  it('.m.rule.member_event: other membership changes do not notify', () => {
    const join = msg({ membership: 'join' }, { type: 'm.room.member', state_key: BOB });
    expect(matched(join)).toBe('.m.rule.member_event');
    expect(run(join).notify).toBe(false);
    expect(matched(msg({ membership: 'join' }, { type: 'm.room.name', state_key: '' }))).toBeUndefined();
  });

  it('.m.rule.is_user_mention: a mention of the user highlights; of someone else, it is a plain message', () => {
    const mention = msg({ msgtype: 'm.text', body: 'hey', 'm.mentions': { user_ids: [BOB, ALICE] } });
    expect(matched(mention)).toBe('.m.rule.is_user_mention');
    expect(run(mention)).toMatchObject({ notify: true, highlight: true, sound: 'default' });
    const other = msg({ msgtype: 'm.text', body: 'hey alice', 'm.mentions': { user_ids: ['@carol:example.org'] } });
    expect(matched(other)).toBe('.m.rule.message');
    expect(run(other)).toMatchObject({ notify: true, highlight: false });
  });

  it('.m.rule.is_room_mention: @room from a sender with the room notification level highlights', () => {
    const room = msg({ msgtype: 'm.text', body: 'all', 'm.mentions': { room: true } });
    expect(matched(room, { senderPowerLevel: 50 })).toBe('.m.rule.is_room_mention');
    expect(run(room, { senderPowerLevel: 50 })).toMatchObject({ notify: true, highlight: true });
    expect(matched(room, { senderPowerLevel: 0 })).toBe('.m.rule.message');
    expect(matched(room, { senderPowerLevel: 0, notificationPowerLevels: { room: 0 } })).toBe('.m.rule.is_room_mention');
    expect(matched(msg({ body: 'all', 'm.mentions': { room: 'true' } }), { senderPowerLevel: 100 })).toBe('.m.rule.message');
  });

  it('.m.rule.tombstone: the room tombstone state event highlights; a non-state one does not match', () => {
    const tomb = msg({ body: 'upgraded', replacement_room: '!new:example.org' }, { type: 'm.room.tombstone', state_key: '' });
    expect(matched(tomb)).toBe('.m.rule.tombstone');
    expect(run(tomb)).toMatchObject({ notify: true, highlight: true });
    expect(matched(msg({ body: 'x' }, { type: 'm.room.tombstone' }))).toBeUndefined();
    expect(matched(msg({ body: 'x' }, { type: 'm.room.tombstone', state_key: 'x' }))).toBeUndefined();
  });

  it('.m.rule.reaction: reactions do not notify', () => {
    const reaction = msg({ 'm.relates_to': { rel_type: 'm.annotation', event_id: '$x', key: '👍' } }, { type: 'm.reaction' });
    expect(matched(reaction)).toBe('.m.rule.reaction');
    expect(run(reaction).notify).toBe(false);
    expect(matched(msg({}, { type: 'm.reactions' }))).toBeUndefined();
  });

  it('.m.rule.room.server_acl: ACL state changes do not notify', () => {
    const acl = msg({ allow: ['*'] }, { type: 'm.room.server_acl', state_key: '' });
    expect(matched(acl)).toBe('.m.rule.room.server_acl');
    expect(run(acl).notify).toBe(false);
    expect(matched(msg({ allow: ['*'] }, { type: 'm.room.server_acl' }))).toBeUndefined();
  });

  it('.m.rule.suppress_edits: replacements do not notify; other relations do', () => {
    const edit = msg({ msgtype: 'm.text', body: '* fixed', 'm.new_content': { body: 'fixed' }, 'm.relates_to': { rel_type: 'm.replace', event_id: '$x' } });
    expect(matched(edit)).toBe('.m.rule.suppress_edits');
    expect(run(edit).notify).toBe(false);
    expect(matched(msg({ body: 'in thread', 'm.relates_to': { rel_type: 'm.thread', event_id: '$root' } }))).toBe('.m.rule.message');
  });

  it('.m.rule.call: call invites ring', () => {
    const call = msg({ call_id: 'c', version: '1' }, { type: 'm.call.invite' });
    expect(matched(call)).toBe('.m.rule.call');
    expect(run(call)).toMatchObject({ notify: true, highlight: false, sound: 'ring' });
    expect(matched(msg({ call_id: 'c' }, { type: 'm.call.hangup' }))).toBeUndefined();
  });

  it('.m.rule.encrypted_room_one_to_one and .m.rule.encrypted: encrypted events notify, with sound in 1:1 rooms', () => {
    const enc = msg({ algorithm: 'm.megolm.v1.aes-sha2', ciphertext: 'x' }, { type: 'm.room.encrypted' });
    expect(matched(enc, { memberCount: 2 })).toBe('.m.rule.encrypted_room_one_to_one');
    expect(run(enc, { memberCount: 2 })).toMatchObject({ notify: true, sound: 'default' });
    expect(matched(enc, { memberCount: 3 })).toBe('.m.rule.encrypted');
    expect(run(enc, { memberCount: 3 })).toEqual({ actions: ['notify'], notify: true, highlight: false });
  });

  it('.m.rule.room_one_to_one and .m.rule.message: messages notify, with sound in 1:1 rooms', () => {
    expect(matched(msg(), { memberCount: 2 })).toBe('.m.rule.room_one_to_one');
    expect(run(msg(), { memberCount: 2 })).toMatchObject({ notify: true, sound: 'default' });
    expect(matched(msg(), { memberCount: 3 })).toBe('.m.rule.message');
    expect(run(msg(), { memberCount: 3 })).toEqual({ actions: ['notify'], notify: true, highlight: false });
    expect(matched(msg({ body: 'x' }, { type: 'm.room.topic', state_key: '' }))).toBeUndefined();
    expect(run(msg({ body: 'x' }, { type: 'm.room.topic', state_key: '' }))).toEqual({ actions: [], notify: false, highlight: false });
  });
});

describe('rule order and user rules', () => {
  const rule = (rule_id: string, actions: PushRule['actions'], extra: Partial<PushRule> = {}): PushRule => ({ rule_id, default: false, enabled: true, actions, ...extra });

  it('checks override, content, room, sender, underride in that order; user rules before predefined ones', () => {
    const rules = buildRuleset(ALICE, {
      override: [rule('o', ['notify', { set_tweak: 'sound', value: 'o' }], { conditions: [{ kind: 'event_match', key: 'content.body', pattern: 'override' }] })],
      content: [rule('c', ['notify', { set_tweak: 'sound', value: 'c' }], { pattern: 'cake' })],
      room: [rule('!room:example.org', ['notify', { set_tweak: 'sound', value: 'r' }])],
      sender: [rule(BOB, ['notify', { set_tweak: 'sound', value: 's' }])],
      underride: [rule('u', ['notify', { set_tweak: 'sound', value: 'u' }], { conditions: [] })],
    });
    expect(rules.override.map((r) => r.rule_id).slice(0, 3)).toEqual(['.m.rule.master', 'o', '.m.rule.suppress_notices']);
    expect(rules.underride[0].rule_id).toBe('u');
    expect(run(msg({ body: 'override cake' }), {}, rules).sound).toBe('o');
    expect(run(msg({ body: 'some cake' }), {}, rules).sound).toBe('c');
    expect(run(msg({ body: 'cakes' }), {}, rules).sound).toBe('r');
    expect(run(msg({ body: 'x' }, { room_id: '!other:example.org' }), {}, rules).sound).toBe('s');
    expect(run(msg({ body: 'x' }, { room_id: '!other:example.org', sender: '@carol:example.org' }), {}, rules).sound).toBe('u');
    // A user override above the predefined overrides wins even over a mention; content rules do not.
    expect(run(msg({ body: 'override', 'm.mentions': { user_ids: [ALICE] } }), {}, rules).sound).toBe('o');
    expect(run(msg({ body: 'cake', 'm.mentions': { user_ids: [ALICE] } }), {}, rules).highlight).toBe(true);
  });

  it('skips disabled rules and stops at the first match', () => {
    const rules = buildRuleset(ALICE, {
      room: [rule('!room:example.org', []), rule('!room:example.org', ['notify', { set_tweak: 'sound', value: 'second' }])],
      content: [rule('off', ['notify', { set_tweak: 'highlight' }], { pattern: '*', enabled: false })],
    });
    expect(run(msg(), {}, rules).notify).toBe(false);
    const changed = buildRuleset(ALICE, {}, [{ kind: 'underride', ruleId: '.m.rule.message', enabled: false }]);
    expect(matched(msg(), {}, changed)).toBeUndefined();
  });

  it('applies changed actions of predefined rules', () => {
    const loud = buildRuleset(ALICE, {}, [{ kind: 'underride', ruleId: '.m.rule.message', actions: ['notify', { set_tweak: 'highlight' }] }]);
    expect(run(msg(), {}, loud)).toMatchObject({ notify: true, highlight: true });
    expect(loud.underride.find((r) => r.rule_id === '.m.rule.message')!.default).toBe(true);
  });

  it('a content rule without a pattern, or a body that is not a string, does not match', () => {
    const rules = buildRuleset(ALICE, { content: [rule('nopattern', ['notify', { set_tweak: 'sound', value: 'c' }])] });
    expect(run(msg({ body: 'x' }, { type: 'm.other' }), {}, rules).notify).toBe(false);
    const star = buildRuleset(ALICE, { content: [rule('star', ['notify'], { pattern: '*' })] });
    expect(run(msg({ body: 5 }, { type: 'm.other' }), {}, star).notify).toBe(false);
    expect(run(msg({ body: 'x' }, { type: 'm.other' }), {}, star).notify).toBe(true);
  });
});

describe('actions', () => {
  it('ignores the historical dont_notify and coalesce actions', () => {
    expect(outcomeOf(['dont_notify'])).toEqual({ actions: [], notify: false, highlight: false });
    expect(outcomeOf(['coalesce', 'notify'])).toEqual({ actions: ['notify'], notify: true, highlight: false });
  });
  it('reads highlight (no value means true) and sound tweaks', () => {
    expect(outcomeOf(['notify', { set_tweak: 'highlight' }]).highlight).toBe(true);
    expect(outcomeOf(['notify', { set_tweak: 'highlight', value: true }]).highlight).toBe(true);
    expect(outcomeOf(['notify', { set_tweak: 'highlight', value: false }]).highlight).toBe(false);
    expect(outcomeOf(['notify', { set_tweak: 'sound', value: 'bing' }]).sound).toBe('bing');
    expect(outcomeOf([{ set_tweak: 'sound', value: 'bing' }]).notify).toBe(false);
  });
});
