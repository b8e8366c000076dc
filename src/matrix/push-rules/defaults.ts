// The server-default push rules of spec v1.19 (client-server "Predefined Rules"), in the spec's
// order. v1.17 removed the legacy body-matching rules (.m.rule.contains_display_name,
// .m.rule.contains_user_name, .m.rule.roomnotif), so there are no default content rules.
import type { PushAction, PushCondition, PushRule, PushRuleKind } from './types';

const USER = '[the user]';
const SOUND_DEFAULT: PushAction = { set_tweak: 'sound', value: 'default' };
const HIGHLIGHT: PushAction = { set_tweak: 'highlight' };
const type = (pattern: string): PushCondition => ({ kind: 'event_match', key: 'type', pattern });

interface Template {
  rule_id: string;
  enabled?: false;
  conditions: PushCondition[];
  actions: PushAction[];
}

const OVERRIDE: Template[] = [
  { rule_id: '.m.rule.master', enabled: false, conditions: [], actions: [] },
  { rule_id: '.m.rule.suppress_notices', conditions: [{ kind: 'event_match', key: 'content.msgtype', pattern: 'm.notice' }], actions: [] },
  {
    rule_id: '.m.rule.invite_for_me',
    conditions: [type('m.room.member'), { kind: 'event_match', key: 'content.membership', pattern: 'invite' }, { kind: 'event_match', key: 'state_key', pattern: USER }],
    actions: ['notify', SOUND_DEFAULT],
  },
  { rule_id: '.m.rule.member_event', conditions: [type('m.room.member')], actions: [] },
  {
    rule_id: '.m.rule.is_user_mention',
    conditions: [{ kind: 'event_property_contains', key: 'content.m\\.mentions.user_ids', value: USER }],
    actions: ['notify', SOUND_DEFAULT, HIGHLIGHT],
  },
  {
    rule_id: '.m.rule.is_room_mention',
    conditions: [{ kind: 'event_property_is', key: 'content.m\\.mentions.room', value: true }, { kind: 'sender_notification_permission', key: 'room' }],
    actions: ['notify', HIGHLIGHT],
  },
  { rule_id: '.m.rule.tombstone', conditions: [type('m.room.tombstone'), { kind: 'event_match', key: 'state_key', pattern: '' }], actions: ['notify', HIGHLIGHT] },
  { rule_id: '.m.rule.reaction', conditions: [type('m.reaction')], actions: [] },
  { rule_id: '.m.rule.room.server_acl', conditions: [type('m.room.server_acl'), { kind: 'event_match', key: 'state_key', pattern: '' }], actions: [] },
  { rule_id: '.m.rule.suppress_edits', conditions: [{ kind: 'event_property_is', key: 'content.m\\.relates_to.rel_type', value: 'm.replace' }], actions: [] },
];

const UNDERRIDE: Template[] = [
  { rule_id: '.m.rule.call', conditions: [type('m.call.invite')], actions: ['notify', { set_tweak: 'sound', value: 'ring' }] },
  { rule_id: '.m.rule.encrypted_room_one_to_one', conditions: [{ kind: 'room_member_count', is: '2' }, type('m.room.encrypted')], actions: ['notify', SOUND_DEFAULT] },
  { rule_id: '.m.rule.room_one_to_one', conditions: [{ kind: 'room_member_count', is: '2' }, type('m.room.message')], actions: ['notify', SOUND_DEFAULT] },
  { rule_id: '.m.rule.message', conditions: [type('m.room.message')], actions: ['notify'] },
  { rule_id: '.m.rule.encrypted', conditions: [type('m.room.encrypted')], actions: ['notify'] },
];

const TEMPLATES: Record<PushRuleKind, Template[]> = { override: OVERRIDE, content: [], room: [], sender: [], underride: UNDERRIDE };

/** The rule that outranks even user-defined rules (spec: `.m.rule.master`). */
export const MASTER_RULE_ID = '.m.rule.master';

export function isPredefinedRule(kind: PushRuleKind, ruleId: string): boolean {
  return TEMPLATES[kind].some((t) => t.rule_id === ruleId);
}

function forUser<T>(value: T, userId: string): T {
  return (value === USER ? userId : value) as T;
}

/** The predefined rules of one kind, in order, with the user's ID filled in. */
export function defaultRules(kind: PushRuleKind, userId: string): PushRule[] {
  return TEMPLATES[kind].map((t) => ({
    rule_id: t.rule_id,
    default: true,
    enabled: t.enabled ?? true,
    conditions: t.conditions.map((c) => {
      const out: PushCondition = { ...c };
      if (c.pattern !== undefined) out.pattern = forUser(c.pattern, userId);
      if (c.value !== undefined) out.value = forUser(c.value, userId);
      return out;
    }),
    actions: t.actions.map((a) => (typeof a === 'string' ? a : { ...a })),
  }));
}
