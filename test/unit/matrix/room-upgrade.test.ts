import { describe, expect, it } from 'vitest';
import { splitCanonicalAlias, withoutAlias } from '../../../src/matrix/canonical-alias';
import { maySeeSummary, summarize } from '../../../src/matrix/room-summary';
import {
  creatorsAtTopLevel,
  integerPowerLevels,
  raisedForUpgrade,
  restrictedAfterUpgrade,
  upgradedCreateContent,
  withoutCreators,
} from '../../../src/matrix/room-upgrade';
import { roomVersion } from '../../../src/matrix/room-versions';
import type { Pdu } from '../../../src/matrix/types';

const create = (content: Record<string, unknown>) => ({ type: 'm.room.create', sender: '@a:x', content }) as unknown as Pdu;

describe('room upgrade content', () => {
  it('builds the create content: predecessor, type, federation, creators only where the version has them', () => {
    expect(upgradedCreateContent(create({ type: 'm.space', 'm.federate': false, creator: '@a:x' }), '!old:x', roomVersion('11'), { lastEventId: '$e', additionalCreators: ['@b:x'] })).toEqual({
      predecessor: { room_id: '!old:x', event_id: '$e' },
      type: 'm.space',
      'm.federate': false,
    });
    expect(upgradedCreateContent(create({}), '!old:x', roomVersion('12'), { additionalCreators: ['@b:x', '@b:x'] })).toEqual({
      predecessor: { room_id: '!old:x' },
      additional_creators: ['@b:x'],
    });
  });

  it('converts stringy and floaty levels of old versions to integers and drops junk', () => {
    expect(integerPowerLevels({ ban: '60', kick: 50.7, users: { '@a:x': '100', '@b:x': 'lots' }, junk: 'x' }, roomVersion('5'))).toEqual({ ban: 60, kick: 50, users: { '@a:x': 100 } });
  });

  it('raises the upgrader to the highest state level only when needed', () => {
    const pl = { state_default: 50, ban: 60, events: { 'm.room.power_levels': 100 }, users: { '@a:x': 75 } };
    expect(raisedForUpgrade(pl, '@a:x').users).toEqual({ '@a:x': 100 });
    expect(raisedForUpgrade({ ...pl, users: { '@a:x': 120 } }, '@a:x')).toEqual({ ...pl, users: { '@a:x': 120 } });
    expect(raisedForUpgrade({ users_default: 100 }, '@a:x')).toEqual({ users_default: 100 });
  });

  it('restricts the old room to moderators, as Synapse does', () => {
    expect(restrictedAfterUpgrade({ events_default: 0 })).toEqual({ events_default: 50, invite: 50 });
    expect(restrictedAfterUpgrade({ users_default: 60, invite: 0 })).toEqual({ users_default: 60, invite: 61, events_default: 61 });
    expect(restrictedAfterUpgrade({ events_default: 70, invite: 50 })).toBeUndefined();
  });

  it('removes or tops up creators for the versions on each side', () => {
    expect(withoutCreators({ users: { '@a:x': 100, '@b:x': 50 } }, ['@a:x'])).toEqual({ users: { '@b:x': 50 } });
    expect(creatorsAtTopLevel({ events: { 'm.room.tombstone': 150 }, users: { '@b:x': 50 } }, ['@a:x'])).toEqual({ events: { 'm.room.tombstone': 150 }, users: { '@b:x': 50, '@a:x': 150 } });
  });
});

describe('canonical alias edits', () => {
  const isLocal = (a: string) => a.endsWith(':here');
  it('moves the local aliases to the new room', () => {
    expect(splitCanonicalAlias({ alias: '#a:here', alt_aliases: ['#b:here', '#c:there'] }, isLocal)).toEqual({ old: { alt_aliases: ['#c:there'] }, new: { alias: '#a:here', alt_aliases: ['#b:here'] } });
    expect(splitCanonicalAlias({ alias: '#a:there', alt_aliases: ['#b:here'] }, isLocal)).toEqual({ old: { alias: '#a:there' }, new: { alt_aliases: ['#b:here'] } });
  });
  it('takes one alias out', () => {
    expect(withoutAlias({ alias: '#a:x', alt_aliases: ['#a:x', '#b:x'] }, '#a:x')).toEqual({ alt_aliases: ['#b:x'] });
    expect(withoutAlias({ alt_aliases: ['#a:x'] }, '#a:x')).toEqual({});
    expect(withoutAlias({ alias: '#b:x' }, '#a:x')).toBeUndefined();
  });
});

describe('room summaries', () => {
  const v = roomVersion('12');
  it('keeps only fields of the right shape', () => {
    expect(
      summarize('!r:x', v, { name: { name: '' }, topic: { topic: 5 }, canonicalAlias: { alias: 'nope' }, encryption: { algorithm: 'other' }, guestAccess: { guest_access: 'can_join' } }, 2),
    ).toEqual({ room_id: '!r:x', num_joined_members: 2, world_readable: false, guest_can_join: true, room_version: '12' });
  });
  it('lets requesters see public, knockable, world-readable, joined, invited and qualifying restricted rooms', () => {
    const restricted = { joinRules: { join_rule: 'restricted', allow: [{ type: 'm.room_membership', room_id: '!s:x' }] } };
    expect(maySeeSummary({ version: v, state: { joinRules: { join_rule: 'public' } }, membership: undefined })).toBe(true);
    expect(maySeeSummary({ version: roomVersion('6'), state: { joinRules: { join_rule: 'knock' } }, membership: undefined })).toBe(false);
    expect(maySeeSummary({ version: v, state: { joinRules: { join_rule: 'knock_restricted' } }, membership: undefined })).toBe(true);
    expect(maySeeSummary({ version: v, state: { joinRules: { join_rule: 'invite' } }, membership: 'invite' })).toBe(true);
    expect(maySeeSummary({ version: v, state: { joinRules: { join_rule: 'invite' } }, membership: 'leave' })).toBe(false);
    expect(maySeeSummary({ version: v, state: restricted, membership: undefined, joinedRooms: new Set(['!s:x']) })).toBe(true);
    expect(maySeeSummary({ version: v, state: restricted, membership: undefined, joinedRooms: new Set(['!t:x']) })).toBe(false);
    expect(maySeeSummary({ version: roomVersion('7'), state: restricted, membership: undefined, joinedRooms: new Set(['!s:x']) })).toBe(false);
  });
});
