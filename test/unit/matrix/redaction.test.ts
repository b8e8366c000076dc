import { describe, expect, it } from 'vitest';
import { redactEvent, redactsTarget } from '../../../src/matrix/redaction';
import { roomVersion } from '../../../src/matrix/room-versions';
import type { JsonObject } from '../../../src/matrix/types';

const base: JsonObject = {
  event_id: '$e:example.com',
  type: 'm.room.message',
  room_id: '!r:example.com',
  sender: '@a:example.com',
  content: { body: 'secret' },
  hashes: { sha256: 'h' },
  signatures: { 'example.com': { 'ed25519:1': 's' } },
  depth: 5,
  prev_events: [],
  prev_state: [],
  auth_events: [],
  origin: 'example.com',
  origin_server_ts: 1,
  membership: 'join',
  unsigned: { age: 1 },
  extra_top_level: 'x',
};

const redact = (rv: string, event: JsonObject) => redactEvent(event, roomVersion(rv));
const contentAfter = (rv: string, type: string, content: JsonObject) => redact(rv, { ...base, type, content }).content;

describe('top-level keys', () => {
  it.each(['1', '5', '10'])('v%s keeps origin, membership and prev_state; drops unsigned and unknown keys', (rv) => {
    expect(Object.keys(redact(rv, base)).sort()).toEqual(
      ['auth_events', 'content', 'depth', 'event_id', 'hashes', 'membership', 'origin', 'origin_server_ts', 'prev_events', 'prev_state', 'room_id', 'sender', 'signatures', 'type'].sort(),
    );
  });

  it.each(['11', '12'])('v%s drops origin, membership and prev_state', (rv) => {
    expect(Object.keys(redact(rv, base)).sort()).toEqual(
      ['auth_events', 'content', 'depth', 'event_id', 'hashes', 'origin_server_ts', 'prev_events', 'room_id', 'sender', 'signatures', 'type'].sort(),
    );
  });

  it('keeps state_key, strips message content, and does not mutate the input', () => {
    const copy = structuredClone(base);
    const out = redact('10', { ...base, state_key: '' });
    expect(out.state_key).toBe('');
    expect(out.content).toEqual({});
    expect(base).toEqual(copy);
  });

  it('gives an empty content to an event without one', () => {
    const { content: _c, ...noContent } = base;
    expect(redact('10', noContent).content).toEqual({});
  });
});

describe('content kept per event type and room version', () => {
  it('m.room.member keeps membership; join_authorised_via_users_server from v9', () => {
    const content = { membership: 'join', displayname: 'A', join_authorised_via_users_server: '@b:x' };
    expect(contentAfter('8', 'm.room.member', content)).toEqual({ membership: 'join' });
    expect(contentAfter('9', 'm.room.member', content)).toEqual({ membership: 'join', join_authorised_via_users_server: '@b:x' });
  });

  it('m.room.member keeps third_party_invite.signed from v11 only', () => {
    const content = { membership: 'invite', third_party_invite: { display_name: 'e', signed: { mxid: '@e:x', token: 't' } } };
    expect(contentAfter('10', 'm.room.member', content)).toEqual({ membership: 'invite' });
    expect(contentAfter('11', 'm.room.member', content)).toEqual({ membership: 'invite', third_party_invite: { signed: { mxid: '@e:x', token: 't' } } });
    expect(contentAfter('11', 'm.room.member', { membership: 'invite', third_party_invite: { display_name: 'e' } })).toEqual({
      membership: 'invite',
      third_party_invite: {},
    });
  });

  it('m.room.create keeps creator before v11 and all content from v11', () => {
    const content = { creator: '@a:x', room_version: '10', 'm.federate': false, type: 'm.space' };
    expect(contentAfter('10', 'm.room.create', content)).toEqual({ creator: '@a:x' });
    expect(contentAfter('11', 'm.room.create', content)).toEqual(content);
  });

  it('m.room.join_rules keeps join_rule, and allow from v8', () => {
    const content = { join_rule: 'restricted', allow: [{ type: 'm.room_membership', room_id: '!x:y' }], other: 1 };
    expect(contentAfter('7', 'm.room.join_rules', content)).toEqual({ join_rule: 'restricted' });
    expect(contentAfter('8', 'm.room.join_rules', content)).toEqual({ join_rule: 'restricted', allow: content.allow });
  });

  it('m.room.power_levels keeps the auth fields; invite only from v11; never notifications', () => {
    const content = { ban: 1, events: {}, events_default: 2, kick: 3, redact: 4, state_default: 5, users: {}, users_default: 6, invite: 7, notifications: { room: 8 } };
    const { invite: _i, notifications: _n, ...v10 } = content;
    expect(contentAfter('10', 'm.room.power_levels', content)).toEqual(v10);
    const { notifications: _n2, ...v11 } = content;
    expect(contentAfter('11', 'm.room.power_levels', content)).toEqual(v11);
  });

  it('m.room.aliases keeps aliases up to v5 only', () => {
    expect(contentAfter('5', 'm.room.aliases', { aliases: ['#a:x'] })).toEqual({ aliases: ['#a:x'] });
    expect(contentAfter('6', 'm.room.aliases', { aliases: ['#a:x'] })).toEqual({});
  });

  it('m.room.history_visibility keeps history_visibility', () => {
    expect(contentAfter('1', 'm.room.history_visibility', { history_visibility: 'shared', x: 1 })).toEqual({ history_visibility: 'shared' });
  });

  it('m.room.redaction keeps content.redacts from v11 only', () => {
    expect(contentAfter('10', 'm.room.redaction', { redacts: '$x', reason: 'r' })).toEqual({});
    expect(contentAfter('11', 'm.room.redaction', { redacts: '$x', reason: 'r' })).toEqual({ redacts: '$x' });
  });

  it('top-level redacts is not protected (before v11 it is lost on redaction)', () => {
    expect(redact('10', { ...base, type: 'm.room.redaction', redacts: '$x' }).redacts).toBeUndefined();
  });
});

describe('redacts target', () => {
  it('is top-level before v11 and in content from v11', () => {
    const ev = { redacts: '$top', content: { redacts: '$content' } };
    expect(redactsTarget(ev, roomVersion('10'))).toBe('$top');
    expect(redactsTarget(ev, roomVersion('11'))).toBe('$content');
    expect(redactsTarget({ content: {} }, roomVersion('11'))).toBeUndefined();
    expect(redactsTarget({ redacts: 5 }, roomVersion('1'))).toBeUndefined();
  });
});
