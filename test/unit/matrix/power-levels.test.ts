import { describe, expect, it } from 'vitest';
import {
  defaultPowerLevelsContent,
  parsePowerLevelsContent,
  parsePowerLevelValue,
  PowerLevels,
  roomCreators,
} from '../../../src/matrix/power-levels';
import { roomVersion } from '../../../src/matrix/room-versions';
import type { Pdu } from '../../../src/matrix/types';
import { vectorsOfKind } from './spec-vectors';

const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => String(a + i));

describe('power level values (spec vectors)', () => {
  for (const v of vectorsOfKind('power_level_value_parse')) {
    it(`${v.name}: accepted in v${v.input.room_versions.join(',')} and not after`, () => {
      const value = 'json_string' in v.input ? v.input.json_string : JSON.parse(v.input.json_number_text);
      for (const rv of range(1, 12)) {
        const expected = v.input.room_versions.includes(rv) ? v.expected : undefined;
        expect(parsePowerLevelValue(value, roomVersion(rv))).toBe(expected);
      }
    });
  }

  for (const v of vectorsOfKind('room_version_event_valid')) {
    it(`${v.name}: parses in its room versions, not in later ones`, () => {
      const event = JSON.parse(v.input.event_json_text);
      for (const rv of range(1, 12)) {
        const parsed = parsePowerLevelsContent(event.content, roomVersion(rv));
        expect(typeof parsed !== 'string').toBe(v.input.room_versions.includes(rv));
      }
      if (v.expected.effective_power_levels) {
        const pl = new PowerLevels(roomVersion(v.input.room_versions[0]), event.content, new Set());
        for (const [user, level] of Object.entries(v.expected.effective_power_levels)) expect(pl.userLevel(user)).toBe(level);
      }
    });
  }

  it('rejects non-numbers, non-finite and (from v6) out-of-range integers', () => {
    const v5 = roomVersion('5');
    const v6 = roomVersion('6');
    for (const bad of [null, true, {}, [], '1.5', '1e3', '', '++1', Infinity, NaN]) {
      expect(parsePowerLevelValue(bad, v5)).toBeUndefined();
    }
    expect(parsePowerLevelValue(2 ** 60, v5)).toBe(2 ** 60);
    expect(parsePowerLevelValue(2 ** 60, v6)).toBeUndefined();
    expect(parsePowerLevelValue(-(2 ** 53) + 1, v6)).toBe(-(2 ** 53) + 1);
  });
});

describe('PowerLevels defaults', () => {
  const v10 = roomVersion('10');

  it('with a power levels event: spec defaults for absent fields', () => {
    const pl = new PowerLevels(v10, { users: { '@a:x': 100 } }, new Set(['@a:x']));
    expect(pl.level('ban')).toBe(50);
    expect(pl.level('kick')).toBe(50);
    expect(pl.level('redact')).toBe(50);
    expect(pl.level('invite')).toBe(0);
    expect(pl.level('state_default')).toBe(50);
    expect(pl.level('events_default')).toBe(0);
    expect(pl.userLevel('@a:x')).toBe(100);
    expect(pl.userLevel('@b:x')).toBe(0);
    expect(pl.eventLevel('m.room.topic', true)).toBe(50);
    expect(pl.eventLevel('m.room.message', false)).toBe(0);
    expect(pl.notificationLevel('room')).toBe(50);
  });

  it('without a power levels event: the creator has 100, everyone else 0 (v1–v11)', () => {
    const pl = new PowerLevels(v10, undefined, new Set(['@a:x']));
    expect(pl.hasPowerLevelsEvent).toBe(false);
    expect(pl.userLevel('@a:x')).toBe(100);
    expect(pl.userLevel('@b:x')).toBe(0);
    expect(pl.eventLevel('m.room.topic', true)).toBe(50);
  });

  it('v12: creators are infinitely powerful with or without a power levels event', () => {
    const v12 = roomVersion('12');
    const creators = new Set(['@a:x', '@b:x']);
    for (const content of [undefined, { users: { '@c:x': 100 }, users_default: 10 }]) {
      const pl = new PowerLevels(v12, content, creators);
      expect(pl.userLevel('@a:x')).toBe(Infinity);
      expect(pl.userLevel('@b:x')).toBe(Infinity);
      expect(pl.canBan('@c:x', '@a:x')).toBe(false);
      expect(pl.canBan('@a:x', '@c:x')).toBe(true);
    }
    expect(new PowerLevels(v12, { users_default: 10 }, creators).userLevel('@d:x')).toBe(10);
    expect(new PowerLevels(v12, undefined, creators).userLevel('@d:x')).toBe(0);
  });

  it('users and users_default', () => {
    const pl = new PowerLevels(v10, { users: { '@a:x': 75 }, users_default: 5 }, new Set());
    expect(pl.userLevel('@a:x')).toBe(75);
    expect(pl.userLevel('@z:x')).toBe(5);
  });
});

describe('PowerLevels permissions', () => {
  const pl = new PowerLevels(
    roomVersion('10'),
    { users: { '@admin:x': 100, '@mod:x': 50, '@mod2:x': 50 }, kick: 50, ban: 60, redact: 40, invite: 10, events: { 'm.room.redaction': 10 }, notifications: { room: 20 } },
    new Set(),
  );

  it('kick needs the kick level and more power than the target', () => {
    expect(pl.canKick('@mod:x', '@user:x')).toBe(true);
    expect(pl.canKick('@mod:x', '@mod2:x')).toBe(false);
    expect(pl.canKick('@user:x', '@other:x')).toBe(false);
  });
  it('ban needs the ban level; unban needs ban and kick', () => {
    expect(pl.canBan('@mod:x', '@user:x')).toBe(false);
    expect(pl.canBan('@admin:x', '@mod:x')).toBe(true);
    expect(pl.canUnban('@admin:x', '@user:x')).toBe(true);
    expect(pl.canUnban('@mod:x', '@user:x')).toBe(false);
  });
  it('redacting one\'s own events needs only the redaction event level', () => {
    expect(pl.canRedact('@mod:x', true)).toBe(true);
    expect(pl.canRedact('@mod:x', false)).toBe(true);
    expect(pl.canRedact('@user:x', true)).toBe(false); // m.room.redaction needs 10
    const low = new PowerLevels(roomVersion('10'), { users: { '@u:x': 10 }, redact: 40 }, new Set());
    expect(low.canRedact('@u:x', true)).toBe(true);
    expect(low.canRedact('@u:x', false)).toBe(false);
  });
  it('invite and @room notifications', () => {
    expect(pl.canInvite('@user:x')).toBe(false);
    expect(pl.canInvite('@mod:x')).toBe(true);
    expect(pl.canNotify('@mod:x', 'room')).toBe(true);
    expect(pl.canNotify('@user:x', 'room')).toBe(false);
  });
  it('sending events', () => {
    expect(pl.canSend('@user:x', 'm.room.message', false)).toBe(true);
    expect(pl.canSend('@user:x', 'm.room.topic', true)).toBe(false);
    expect(pl.canSend('@mod:x', 'm.room.topic', true)).toBe(true);
  });
});

describe('room creators', () => {
  const create = (content: Record<string, unknown>, sender = '@a:x') => ({ type: 'm.room.create', sender, content }) as unknown as Pdu;
  it('v1–v10: content.creator', () => {
    expect([...roomCreators(create({ creator: '@c:x' }), roomVersion('10'))]).toEqual(['@c:x']);
  });
  it('v11: the sender; additional_creators ignored', () => {
    expect([...roomCreators(create({ creator: '@c:x', additional_creators: ['@b:x'] }), roomVersion('11'))]).toEqual(['@a:x']);
  });
  it('v12: the sender and additional_creators', () => {
    expect([...roomCreators(create({ additional_creators: ['@b:x'] }), roomVersion('12'))].sort()).toEqual(['@a:x', '@b:x']);
  });
});

describe('default power levels content', () => {
  it('lists the creator before v12 and never in v12, where tombstone sits above state_default', () => {
    const v11 = defaultPowerLevelsContent('@a:x', roomVersion('11'));
    expect(v11.users).toEqual({ '@a:x': 100 });
    const v12 = defaultPowerLevelsContent('@a:x', roomVersion('12'));
    expect(v12.users).toEqual({});
    expect((v12.events as Record<string, number>)['m.room.tombstone']).toBeGreaterThan(v12.state_default as number);
    expect(typeof parsePowerLevelsContent(v12, roomVersion('12'))).toBe('object');
  });
});
