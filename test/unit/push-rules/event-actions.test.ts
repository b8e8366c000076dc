import { describe, expect, it } from 'vitest';
import { computePushActionsForEvent, relationOf, threadIdOf } from '../../../src/matrix/push-rules/event-actions';
import { buildRuleset } from '../../../src/matrix/push-rules/ruleset';
import type { PushEvent } from '../../../src/matrix/push-rules/types';

const users = ['@alice:x', '@bob:x', '@carol:x'];
const recipients = users.map((userId) => ({ userId, displayName: userId.slice(1, -2), ruleset: buildRuleset(userId, {}) }));
const room = { memberCount: 3, senderPowerLevel: 0, notificationPowerLevels: {} };
const event = (content: Record<string, unknown>, type = 'm.room.message'): PushEvent => ({ type, sender: '@alice:x', room_id: '!r:x', event_id: '$e', content });

describe('computePushActionsForEvent', () => {
  it('skips the sender and returns each notified user with highlight', () => {
    const out = computePushActionsForEvent(event({ msgtype: 'm.text', body: 'hi', 'm.mentions': { user_ids: ['@carol:x'] } }), recipients, room);
    expect(out).toEqual([
      { userId: '@bob:x', actions: ['notify'], notify: true, highlight: false },
      { userId: '@carol:x', actions: ['notify', { set_tweak: 'sound', value: 'default' }, { set_tweak: 'highlight' }], notify: true, highlight: true },
    ]);
  });
  it('leaves out users whose rules do not notify', () => {
    expect(computePushActionsForEvent(event({ msgtype: 'm.notice', body: 'hi' }), recipients, room)).toEqual([]);
    const muted = [{ ...recipients[1], ruleset: buildRuleset('@bob:x', { room: [{ rule_id: '!r:x', default: false, enabled: true, actions: [] }] }) }];
    expect(computePushActionsForEvent(event({ msgtype: 'm.text', body: 'hi' }), muted, room)).toEqual([]);
  });
});

describe('threads', () => {
  it('finds the thread root of m.thread relations only', () => {
    expect(threadIdOf({ 'm.relates_to': { rel_type: 'm.thread', event_id: '$root' } })).toBe('$root');
    expect(threadIdOf({ 'm.relates_to': { rel_type: 'm.replace', event_id: '$x' } })).toBeNull();
    expect(threadIdOf({ 'm.relates_to': { 'm.in_reply_to': { event_id: '$x' } } })).toBeNull();
    expect(threadIdOf({ 'm.relates_to': 'x' })).toBeNull();
    expect(threadIdOf({})).toBeNull();
    expect(relationOf({ 'm.relates_to': { rel_type: 'm.annotation', event_id: '$x', key: 'k' } })).toEqual({ relType: 'm.annotation', eventId: '$x' });
  });
});
