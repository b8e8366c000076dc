import { describe, expect, it } from 'vitest';
import { authTypesForEvent, selectAuthEvents } from '../../../src/matrix/auth-events';
import { roomVersion } from '../../../src/matrix/room-versions';

const A = '@a:x';
const B = '@b:x';
const C = '@c:x';
const types = (rv: string, e: Parameters<typeof authTypesForEvent>[1]) => authTypesForEvent(roomVersion(rv), e).map(([t, s]) => `${t}|${s}`);

describe('auth events selection', () => {
  it('the create event has no auth events', () => {
    expect(types('10', { type: 'm.room.create', sender: A, state_key: '', content: {} })).toEqual([]);
  });

  it('a message: create, power levels, sender member (v1–v11); no create in v12', () => {
    const msg = { type: 'm.room.message', sender: A, content: {} };
    expect(types('11', msg)).toEqual(['m.room.create|', 'm.room.power_levels|', `m.room.member|${A}`]);
    expect(types('12', msg)).toEqual(['m.room.power_levels|', `m.room.member|${A}`]);
  });

  it('a join/invite/knock adds target member and join rules; a leave does not add join rules', () => {
    for (const m of ['join', 'invite', 'knock']) {
      expect(types('10', { type: 'm.room.member', sender: A, state_key: B, content: { membership: m } })).toContain('m.room.join_rules|');
    }
    const leave = types('10', { type: 'm.room.member', sender: A, state_key: B, content: { membership: 'leave' } });
    expect(leave).toEqual(['m.room.create|', 'm.room.power_levels|', `m.room.member|${A}`, `m.room.member|${B}`]);
  });

  it('a self-membership lists the member key once', () => {
    expect(types('10', { type: 'm.room.member', sender: A, state_key: A, content: { membership: 'join' } })).toEqual([
      'm.room.create|',
      'm.room.power_levels|',
      `m.room.member|${A}`,
      'm.room.join_rules|',
    ]);
  });

  it('a third-party invite adds the invite event of its token', () => {
    const e = { type: 'm.room.member', sender: A, state_key: B, content: { membership: 'invite', third_party_invite: { signed: { token: 'tok' } } } };
    expect(types('10', e)).toContain('m.room.third_party_invite|tok');
  });

  it('a restricted join adds the authorising user\'s member event from v8', () => {
    const e = { type: 'm.room.member', sender: B, state_key: B, content: { membership: 'join', join_authorised_via_users_server: C } };
    expect(types('8', e)).toContain(`m.room.member|${C}`);
    expect(types('7', e)).not.toContain(`m.room.member|${C}`);
  });

  it('selectAuthEvents picks the current state\'s event ids, skipping absent keys', () => {
    const state: Record<string, string> = { 'm.room.create|': '$c', 'm.room.power_levels|': '$p', [`m.room.member|${A}`]: '$ma' };
    const ids = selectAuthEvents(roomVersion('10'), { type: 'm.room.member', sender: A, state_key: B, content: { membership: 'invite' } }, (t, s) => state[`${t}|${s}`]);
    expect(ids).toEqual(['$c', '$p', '$ma']);
  });
});
