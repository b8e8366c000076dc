// One table per authorisation rule: each row is an event, the room versions it is checked
// in, and the expected outcome (allowed, or the id of the rule that rejects it). Rows come
// in pairs (pass/fail) per room-version family where the rule differs.

import nacl from 'tweetnacl';
import { describe, expect, it } from 'vitest';
import { encodeBase64 } from '../../../src/matrix/base64';
import { canonicalJsonBytes } from '../../../src/matrix/canonical-json';
import { authorizeByAuthEvents, authorizeByState, authResultToError, type AuthRule } from '../../../src/matrix/auth-rules/index';
import { roomVersion as roomVersionOf } from '../../../src/matrix/room-versions';
import type { JsonObject, RoomEvent } from '../../../src/matrix/types';
import { ALICE, BOB, CHARLIE, ELLA, EVE, type EventSpec, standardRoom, TestRoom } from './room-fixture';

const range = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => String(a + i));
const ALL = range(1, 12);

type Expect = 'allow' | AuthRule;

interface Row {
  name: string;
  versions: string[];
  /** Changes to the standard room (alice admin, bob and charlie joined, public) before the event. */
  setup?: (room: TestRoom) => void;
  event: EventSpec | ((room: TestRoom) => EventSpec);
  expect: Expect;
}

/** Power levels content; in v12 the creator (alice) cannot be listed and is dropped. */
function levels(room: TestRoom, content: JsonObject): JsonObject {
  const users = { ...((content.users as JsonObject) ?? {}) };
  if (room.version.roomCreators) delete users[ALICE];
  return { ...content, users };
}

function setPowerLevels(content: JsonObject) {
  return (room: TestRoom) => {
    room.add('SETPL', { type: 'm.room.power_levels', sender: ALICE, stateKey: '', content: levels(room, content) });
  };
}

const member = (sender: string, target: string, membership: string, content: JsonObject = {}): EventSpec => ({
  type: 'm.room.member',
  sender,
  stateKey: target,
  content: { membership, ...content },
});

function run(rows: Row[]) {
  for (const row of rows) {
    describe(row.name, () => {
      it.each(row.versions)(`room v%s: ${row.expect}`, (rv) => {
        const room = standardRoom(rv, [BOB, CHARLIE]);
        row.setup?.(room);
        const spec = typeof row.event === 'function' ? row.event(room) : row.event;
        const result = authorizeByState(room.version, room.build('E', spec), room.authState());
        expect(result.allowed ? 'allow' : result.rule).toBe(row.expect);
      });
    });
  }
}

// ---- Rule 1: m.room.create ----------------------------------------------------------------

describe('rule 1: m.room.create', () => {
  function create(rv: string, content: JsonObject, extra: JsonObject = {}, prev?: string[]): RoomEvent {
    const room = new TestRoom(rv);
    if (prev) room.add('OTHER', { type: 'm.room.message', sender: ALICE, content: {} });
    return room.build('CREATE', { type: 'm.room.create', sender: ALICE, stateKey: '', content, prev: prev ?? [], extra });
  }
  const check = (rv: string, e: RoomEvent) => {
    const r = authorizeByState(roomVersionOf(rv), e, new Map());
    return r.allowed ? 'allow' : r.rule;
  };
  const base = (rv: string): JsonObject => (Number(rv) <= 10 ? { creator: ALICE, room_version: rv } : { room_version: rv });

  it.each(ALL)('v%s: a well-formed create event is allowed', (rv) => {
    expect(check(rv, create(rv, base(rv)))).toBe('allow');
  });
  it.each(ALL)('v%s: a create event with prev_events is rejected', (rv) => {
    expect(check(rv, create(rv, base(rv), {}, ['OTHER']))).toBe('create.prev_events');
  });
  it.each(range(1, 11))('v%s: a room id on another server than the sender is rejected', (rv) => {
    expect(check(rv, create(rv, base(rv), { room_id: '!r:other.example' }))).toBe('create.room_id');
  });
  it('v12: a create event carrying a room_id is rejected', () => {
    expect(check('12', create('12', base('12'), { room_id: '!CREATE' }))).toBe('create.room_id');
  });
  it.each(ALL)('v%s: an unknown content.room_version is rejected', (rv) => {
    expect(check(rv, create(rv, { ...base(rv), room_version: '99' }))).toBe('create.room_version');
    expect(check(rv, create(rv, { ...base(rv), room_version: 5 }))).toBe('create.room_version');
  });
  it.each(range(1, 10))('v%s: content without creator is rejected', (rv) => {
    expect(check(rv, create(rv, { room_version: rv }))).toBe('create.creator');
  });
  it.each(['11', '12'])('v%s: content without creator is allowed (the sender is the creator)', (rv) => {
    expect(check(rv, create(rv, { room_version: rv }))).toBe('allow');
  });
  it('v12: additional_creators must be an array of user ids', () => {
    expect(check('12', create('12', { additional_creators: [BOB] }))).toBe('allow');
    expect(check('12', create('12', { additional_creators: ['bob'] }))).toBe('create.additional_creators');
    expect(check('12', create('12', { additional_creators: BOB }))).toBe('create.additional_creators');
  });
  it('v11: additional_creators is not validated', () => {
    expect(check('11', create('11', { additional_creators: 'nonsense' }))).toBe('allow');
  });
});


// ---- Rule 2: the event's auth_events --------------------------------------------------------

describe('rule 2: auth_events (checked against the event\'s own auth events)', () => {
  function check(room: TestRoom, e: RoomEvent, isRejected?: (id: string) => boolean): Expect {
    const authEvents = (e.pdu.auth_events as unknown[]).map((a) => room.event(String(Array.isArray(a) ? a[0] : a).replace(/^\$/, '').replace(/:example\.com$/, '')));
    const createEvent = room.version.roomIdFormat === 'create-event' ? room.event('CREATE') : undefined;
    const r = authorizeByAuthEvents(room.version, e, { authEvents, createEvent, isRejected });
    return r.allowed ? 'allow' : r.rule;
  }
  const topic: EventSpec = { type: 'm.room.topic', sender: ALICE, stateKey: '', content: { topic: 't' } };

  it.each(ALL)('v%s: the selected auth events pass', (rv) => {
    const room = standardRoom(rv);
    expect(check(room, room.build('E', topic))).toBe('allow');
  });
  it.each(ALL)('v%s: duplicate (type, state_key) entries are rejected', (rv) => {
    const room = standardRoom(rv);
    room.add('PL2', { type: 'm.room.power_levels', sender: ALICE, stateKey: '', content: levels(room, { users: { [ALICE]: 100 } }) });
    const auth = rv === '12' ? ['IPOWER', 'PL2', 'IMA'] : ['CREATE', 'IPOWER', 'PL2', 'IMA'];
    expect(check(room, room.build('E', { ...topic, auth }))).toBe('auth_events.duplicate');
  });
  it.each(ALL)('v%s: an entry the selection does not allow is rejected', (rv) => {
    const room = standardRoom(rv);
    const auth = rv === '12' ? ['IPOWER', 'IMA', 'IJR'] : ['CREATE', 'IPOWER', 'IMA', 'IJR'];
    expect(check(room, room.build('E', { ...topic, auth }))).toBe('auth_events.unexpected');
  });
  it('v12: listing the create event is rejected (it is implied by the room id)', () => {
    const room = standardRoom('12');
    expect(check(room, room.build('E', { ...topic, auth: ['CREATE', 'IPOWER', 'IMA'] }))).toBe('auth_events.unexpected');
  });
  it.each(ALL)('v%s: a rejected auth event is rejected', (rv) => {
    const room = standardRoom(rv);
    expect(check(room, room.build('E', topic), (id) => id === room.id('IPOWER'))).toBe('auth_events.rejected');
  });
  it.each(range(1, 11))('v%s: no create event among the auth events is rejected', (rv) => {
    const room = standardRoom(rv);
    expect(check(room, room.build('E', { ...topic, auth: ['IPOWER', 'IMA'] }))).toBe('auth_events.no_create');
  });
  it.each(ALL)('v%s: an auth event of another room is rejected', (rv) => {
    const room = standardRoom(rv);
    const e = room.build('E', topic);
    const foreign = room.event('IPOWER');
    const authEvents = [room.event('IMA'), { eventId: foreign.eventId, pdu: { ...foreign.pdu, room_id: '!other:example.com' } }];
    if (rv !== '12') authEvents.push(room.event('CREATE'));
    const r = authorizeByAuthEvents(room.version, e, {
      authEvents,
      createEvent: rv === '12' ? room.event('CREATE') : undefined,
    });
    expect(r.allowed ? 'allow' : r.rule).toBe('auth_events.room_id');
  });
  it.each(ALL)('v%s: a listed auth event that is not available is rejected', (rv) => {
    const room = standardRoom(rv);
    const e = room.build('E', topic);
    const r = authorizeByAuthEvents(room.version, e, { authEvents: [room.event('IMA')], createEvent: room.event('CREATE') });
    expect(r.allowed ? 'allow' : r.rule).toBe('auth_events.missing');
  });
  it('v12: the room id must name an accepted create event', () => {
    const room = standardRoom('12');
    const e = room.build('E', topic);
    const authEvents = [room.event('IPOWER'), room.event('IMA')];
    const r1 = authorizeByAuthEvents(room.version, e, { authEvents, createEvent: undefined });
    expect(r1.allowed ? 'allow' : r1.rule).toBe('room_id.create_event');
    const r2 = authorizeByAuthEvents(room.version, e, { authEvents, createEvent: room.event('CREATE'), isRejected: (id) => id === '$CREATE' });
    expect(r2.allowed ? 'allow' : r2.rule).toBe('room_id.create_event');
    const other = { ...e, pdu: { ...e.pdu, room_id: '!SOMETHINGELSE' } };
    const r3 = authorizeByAuthEvents(room.version, other, { authEvents: [], createEvent: room.event('CREATE') });
    expect(r3.allowed ? 'allow' : r3.rule).toBe('room_id.create_event');
    const r4 = authorizeByState(room.version, other, room.authState());
    expect(r4.allowed ? 'allow' : r4.rule).toBe('room_id.create_event');
  });
});

// ---- Rule 3: m.federate ----------------------------------------------------------------------

describe('rule 3: m.federate', () => {
  function unfederated(rv: string): TestRoom {
    const room = new TestRoom(rv);
    const content: JsonObject = { room_version: rv, 'm.federate': false };
    if (Number(rv) <= 10) content.creator = ALICE;
    room.add('CREATE', { type: 'm.room.create', sender: ALICE, stateKey: '', content });
    room.add('IMA', member(ALICE, ALICE, 'join'));
    room.add('IJR', { type: 'm.room.join_rules', sender: ALICE, stateKey: '', content: { join_rule: 'public' } });
    return room;
  }
  it.each(ALL)('v%s: a user of the creator\'s server may join', (rv) => {
    const room = unfederated(rv);
    const r = authorizeByState(room.version, room.build('E', member(BOB, BOB, 'join')), room.authState());
    expect(r.allowed).toBe(true);
  });
  it.each(ALL)('v%s: a user of another server may not', (rv) => {
    const room = unfederated(rv);
    const r = authorizeByState(room.version, room.build('E', member(EVE, EVE, 'join')), room.authState());
    expect(r.allowed ? 'allow' : r.rule).toBe('federate');
  });
});

// ---- Rule 4 (v1–v5): m.room.aliases ----------------------------------------------------------

run([
  {
    name: 'rule 4 (v1–v5): aliases for the sender\'s own server are allowed, even from a non-member',
    versions: range(1, 5),
    event: { type: 'm.room.aliases', sender: ELLA, stateKey: 'example.com', content: { aliases: ['#a:example.com'] } },
    expect: 'allow',
  },
  {
    name: 'rule 4 (v1–v5): aliases for another server are rejected',
    versions: range(1, 5),
    event: { type: 'm.room.aliases', sender: ALICE, stateKey: 'other.example', content: { aliases: [] } },
    expect: 'aliases.domain',
  },
  {
    name: 'v6+: aliases are an ordinary state event (a non-member is rejected)',
    versions: range(6, 12),
    event: { type: 'm.room.aliases', sender: ELLA, stateKey: 'example.com', content: {} },
    expect: 'sender_not_joined',
  },
  {
    name: 'v6+: aliases for another server by an admin are allowed',
    versions: range(6, 12),
    event: { type: 'm.room.aliases', sender: ALICE, stateKey: 'other.example', content: {} },
    expect: 'allow',
  },
]);

// ---- Rule 5: m.room.member -------------------------------------------------------------------

const joinRules = (rule: string, extra: JsonObject = {}) => (room: TestRoom) => {
  room.add('SETJR', { type: 'm.room.join_rules', sender: ALICE, stateKey: '', content: { join_rule: rule, ...extra } });
};
const invited = (target: string) => (room: TestRoom) => {
  room.add('INV', member(ALICE, target, 'invite'));
};
const both = (...fns: ((room: TestRoom) => void)[]) => (room: TestRoom) => fns.forEach((f) => f(room));
const signedBy = (server: string): JsonObject => ({ signatures: { [server]: { 'ed25519:1': 'AAAA' } } });

run([
  { name: 'rule 5.1: a member event without membership is rejected', versions: ALL, event: { type: 'm.room.member', sender: ELLA, stateKey: ELLA, content: {} }, expect: 'member.membership' },
  { name: 'rule 5.8: an unknown membership is rejected', versions: ALL, event: member(ELLA, ELLA, 'dance'), expect: 'member.unknown' },
  // join
  { name: 'join: a public room may be joined', versions: ALL, event: member(ELLA, ELLA, 'join'), expect: 'allow' },
  { name: 'join: joining for someone else is rejected', versions: ALL, event: member(ALICE, ELLA, 'join'), expect: 'member.join.sender_not_target' },
  { name: 'join: a banned user may not join', versions: ALL, setup: (r) => r.add('BAN', member(ALICE, ELLA, 'ban')), event: member(ELLA, ELLA, 'join'), expect: 'member.join.banned' },
  { name: 'join: an invite-only room may be joined when invited', versions: ALL, setup: both(joinRules('invite'), invited(ELLA)), event: member(ELLA, ELLA, 'join'), expect: 'allow' },
  { name: 'join: an invite-only room may not be joined uninvited', versions: ALL, setup: joinRules('invite'), event: member(ELLA, ELLA, 'join'), expect: 'member.join.not_allowed' },
  { name: 'join: a joined user may re-join an invite-only room (profile change)', versions: ALL, setup: joinRules('invite'), event: member(BOB, BOB, 'join', { displayname: 'b' }), expect: 'allow' },
  { name: 'join (v7+): a knock room may be joined when invited', versions: range(7, 12), setup: both(joinRules('knock'), invited(ELLA)), event: member(ELLA, ELLA, 'join'), expect: 'allow' },
  { name: 'join (v1–v6): "knock" is not a join rule there, so even the invited may not join', versions: range(1, 6), setup: both(joinRules('knock'), invited(ELLA)), event: member(ELLA, ELLA, 'join'), expect: 'member.join.not_allowed' },
  {
    name: 'join (v8+): restricted, authorised by a joined user who can invite, signed by their server',
    versions: range(8, 12),
    setup: joinRules('restricted', { allow: [] }),
    event: { ...member(ELLA, ELLA, 'join', { join_authorised_via_users_server: ALICE }), extra: signedBy('example.com') },
    expect: 'allow',
  },
  {
    name: 'join (v8+): restricted, authorising user not joined',
    versions: range(8, 12),
    setup: joinRules('restricted', { allow: [] }),
    event: { ...member(ELLA, ELLA, 'join', { join_authorised_via_users_server: '@zed:example.com' }), extra: signedBy('example.com') },
    expect: 'member.join.restricted_authoriser',
  },
  {
    name: 'join (v8+): restricted, authorising user below the invite level',
    versions: range(8, 12),
    setup: both(setPowerLevels({ users: { [ALICE]: 100 }, invite: 50 }), joinRules('restricted', { allow: [] })),
    event: { ...member(ELLA, ELLA, 'join', { join_authorised_via_users_server: BOB }), extra: signedBy('example.com') },
    expect: 'member.join.restricted_authoriser',
  },
  { name: 'join (v8+): restricted, no authorising user', versions: range(8, 12), setup: joinRules('restricted', { allow: [] }), event: member(ELLA, ELLA, 'join'), expect: 'member.join.restricted_authoriser' },
  { name: 'join (v8+): restricted, an invited user needs no authoriser', versions: range(8, 12), setup: both(joinRules('restricted'), invited(ELLA)), event: member(ELLA, ELLA, 'join'), expect: 'allow' },
  {
    name: 'join (v1–v7): "restricted" is not a join rule there',
    versions: range(1, 7),
    setup: joinRules('restricted', { allow: [] }),
    event: { ...member(ELLA, ELLA, 'join', { join_authorised_via_users_server: ALICE }), extra: signedBy('example.com') },
    expect: 'member.join.not_allowed',
  },
  {
    name: 'join (v8+): join_authorised_via_users_server without its server\'s signature is rejected',
    versions: range(8, 12),
    setup: joinRules('restricted', { allow: [] }),
    event: { ...member(ELLA, ELLA, 'join', { join_authorised_via_users_server: '@x:other.example' }), extra: signedBy('example.com') },
    expect: 'member.authorised_via_signature',
  },
  {
    name: 'join (v1–v7): join_authorised_via_users_server means nothing',
    versions: range(1, 7),
    event: { ...member(ELLA, ELLA, 'join', { join_authorised_via_users_server: '@x:other.example' }), extra: signedBy('example.com') },
    expect: 'allow',
  },
  {
    name: 'join (v10+): knock_restricted, authorised',
    versions: range(10, 12),
    setup: joinRules('knock_restricted', { allow: [] }),
    event: { ...member(ELLA, ELLA, 'join', { join_authorised_via_users_server: ALICE }), extra: signedBy('example.com') },
    expect: 'allow',
  },
  {
    name: 'join (v8–v9): "knock_restricted" is not a join rule there',
    versions: ['8', '9'],
    setup: joinRules('knock_restricted', { allow: [] }),
    event: { ...member(ELLA, ELLA, 'join', { join_authorised_via_users_server: ALICE }), extra: signedBy('example.com') },
    expect: 'member.join.not_allowed',
  },
  // invite
  { name: 'invite: a joined user at the invite level may invite', versions: ALL, event: member(BOB, ELLA, 'invite'), expect: 'allow' },
  { name: 'invite: a sender not joined may not invite', versions: ALL, event: member(ELLA, '@zed:example.com', 'invite'), expect: 'member.invite.sender_not_joined' },
  { name: 'invite: a joined target cannot be invited', versions: ALL, event: member(ALICE, BOB, 'invite'), expect: 'member.invite.target_joined_or_banned' },
  { name: 'invite: a banned target cannot be invited', versions: ALL, setup: (r) => r.add('BAN', member(ALICE, ELLA, 'ban')), event: member(ALICE, ELLA, 'invite'), expect: 'member.invite.target_joined_or_banned' },
  { name: 'invite: below the invite level is rejected', versions: ALL, setup: setPowerLevels({ users: { [ALICE]: 100 }, invite: 50 }), event: member(BOB, ELLA, 'invite'), expect: 'member.invite.power' },
  // leave
  { name: 'leave: a joined user may leave', versions: ALL, event: member(BOB, BOB, 'leave'), expect: 'allow' },
  { name: 'leave: an invited user may reject the invite', versions: ALL, setup: invited(ELLA), event: member(ELLA, ELLA, 'leave'), expect: 'allow' },
  { name: 'leave (v7+): a knocking user may withdraw the knock', versions: range(7, 12), setup: both(joinRules('knock'), (r) => r.add('K', member(ELLA, ELLA, 'knock'))), event: member(ELLA, ELLA, 'leave'), expect: 'allow' },
  { name: 'leave: a user who is not in the room cannot leave', versions: ALL, event: member(ELLA, ELLA, 'leave'), expect: 'member.leave.self' },
  { name: 'leave: a banned user cannot leave (and so unban themselves)', versions: ALL, setup: (r) => r.add('BAN', member(ALICE, ELLA, 'ban')), event: member(ELLA, ELLA, 'leave'), expect: 'member.leave.self' },
  { name: 'kick: the admin may kick', versions: ALL, event: member(ALICE, BOB, 'leave'), expect: 'allow' },
  { name: 'kick: below the kick level is rejected', versions: ALL, event: member(BOB, CHARLIE, 'leave'), expect: 'member.leave.kick_power' },
  { name: 'kick: not above the target is rejected', versions: ALL, setup: setPowerLevels({ users: { [ALICE]: 100, [BOB]: 50, [CHARLIE]: 50 } }), event: member(BOB, CHARLIE, 'leave'), expect: 'member.leave.kick_power' },
  { name: 'kick: a sender not joined may not kick', versions: ALL, event: member(ELLA, BOB, 'leave'), expect: 'member.leave.sender_not_joined' },
  { name: 'unban: the admin may unban', versions: ALL, setup: (r) => r.add('BAN', member(ALICE, ELLA, 'ban')), event: member(ALICE, ELLA, 'leave'), expect: 'allow' },
  {
    name: 'unban: the kick level is not enough below the ban level',
    versions: ALL,
    setup: both((r) => r.add('BAN', member(ALICE, ELLA, 'ban')), setPowerLevels({ users: { [ALICE]: 100, [BOB]: 60 }, kick: 50, ban: 70 })),
    event: member(BOB, ELLA, 'leave'),
    expect: 'member.leave.unban_power',
  },
  // ban
  { name: 'ban: the admin may ban', versions: ALL, event: member(ALICE, BOB, 'ban'), expect: 'allow' },
  { name: 'ban: below the ban level is rejected', versions: ALL, event: member(BOB, CHARLIE, 'ban'), expect: 'member.ban.power' },
  { name: 'ban: not above the target is rejected', versions: ALL, setup: setPowerLevels({ users: { [ALICE]: 100, [BOB]: 50, [CHARLIE]: 50 } }), event: member(BOB, CHARLIE, 'ban'), expect: 'member.ban.power' },
  { name: 'ban: a sender not joined may not ban', versions: ALL, event: member(ELLA, BOB, 'ban'), expect: 'member.ban.sender_not_joined' },
  { name: 'ban: a user not in the room can be banned', versions: ALL, event: member(ALICE, ELLA, 'ban'), expect: 'allow' },
  // knock
  { name: 'knock (v7+): a knock room may be knocked on', versions: range(7, 12), setup: joinRules('knock'), event: member(ELLA, ELLA, 'knock'), expect: 'allow' },
  { name: 'knock (v7+): a public room may not', versions: range(7, 12), event: member(ELLA, ELLA, 'knock'), expect: 'member.knock.join_rule' },
  { name: 'knock (v10+): a knock_restricted room may be knocked on', versions: range(10, 12), setup: joinRules('knock_restricted'), event: member(ELLA, ELLA, 'knock'), expect: 'allow' },
  { name: 'knock (v7–v9): knock_restricted does not allow knocking', versions: range(7, 9), setup: joinRules('knock_restricted'), event: member(ELLA, ELLA, 'knock'), expect: 'member.knock.join_rule' },
  { name: 'knock (v7+): knocking for someone else is rejected', versions: range(7, 12), setup: joinRules('knock'), event: member(ALICE, ELLA, 'knock'), expect: 'member.knock.sender_not_target' },
  { name: 'knock (v7+): a joined user cannot knock', versions: range(7, 12), setup: joinRules('knock'), event: member(BOB, BOB, 'knock'), expect: 'member.knock.membership' },
  { name: 'knock (v7+): an invited user cannot knock', versions: range(7, 12), setup: both(joinRules('knock'), invited(ELLA)), event: member(ELLA, ELLA, 'knock'), expect: 'member.knock.membership' },
  { name: 'knock (v7+): a banned user cannot knock', versions: range(7, 12), setup: both(joinRules('knock'), (r) => r.add('BAN', member(ALICE, ELLA, 'ban'))), event: member(ELLA, ELLA, 'knock'), expect: 'member.knock.membership' },
  { name: 'knock (v1–v6): knock is an unknown membership', versions: range(1, 6), setup: joinRules('knock'), event: member(ELLA, ELLA, 'knock'), expect: 'member.unknown' },
]);

describe('join: the creator\'s first join right after the create event', () => {
  it.each(ALL)('v%s: the creator may join with no join rules yet; anyone else may not', (rv) => {
    const room = new TestRoom(rv);
    const content: JsonObject = { room_version: rv };
    if (Number(rv) <= 10) content.creator = ALICE;
    room.add('CREATE', { type: 'm.room.create', sender: ALICE, stateKey: '', content });
    const ok = authorizeByState(room.version, room.build('J', member(ALICE, ALICE, 'join')), room.authState());
    expect(ok.allowed).toBe(true);
    const other = authorizeByState(room.version, room.build('J', member(BOB, BOB, 'join')), room.authState());
    expect(other.allowed ? 'allow' : other.rule).toBe('member.join.not_allowed');
  });

  it.each(range(1, 10))('v%s: the creator is content.creator, not the sender', (rv) => {
    const room = new TestRoom(rv);
    room.add('CREATE', { type: 'm.room.create', sender: ALICE, stateKey: '', content: { creator: BOB } });
    const r = authorizeByState(room.version, room.build('J', member(BOB, BOB, 'join')), room.authState());
    expect(r.allowed).toBe(true);
  });
});

describe('invite: third-party invites', () => {
  const idServer = nacl.sign.keyPair.fromSeed(new Uint8Array(32).fill(7));
  const otherKey = nacl.sign.keyPair.fromSeed(new Uint8Array(32).fill(9));

  function signed(mxid: string, token: string, key = idServer): JsonObject {
    const body = { mxid, token, sender: ALICE };
    const sig = nacl.sign.detached(canonicalJsonBytes(body), key.secretKey);
    return { ...body, signatures: { 'id.example': { 'ed25519:0': encodeBase64(sig) } } };
  }
  function roomWithInvite(rv: string, inviteContent?: JsonObject): TestRoom {
    const room = standardRoom(rv, [BOB, CHARLIE]);
    room.add('TPI', {
      type: 'm.room.third_party_invite',
      sender: ALICE,
      stateKey: 'tok',
      content: inviteContent ?? { display_name: 'e…', key_validity_url: 'https://id.example/v', public_key: encodeBase64(idServer.publicKey) },
    });
    return room;
  }
  const check = (room: TestRoom, spec: EventSpec) => {
    const r = authorizeByState(room.version, room.build('E', spec), room.authState());
    return r.allowed ? 'allow' : r.rule;
  };
  const tpInvite = (sender: string, target: string, third: unknown) => member(sender, target, 'invite', { third_party_invite: third as JsonObject });

  it.each(ALL)('v%s: a correctly signed invite from the invite\'s sender is allowed', (rv) => {
    const room = roomWithInvite(rv);
    expect(check(room, tpInvite(ALICE, ELLA, { display_name: 'e', signed: signed(ELLA, 'tok') }))).toBe('allow');
  });
  it.each(ALL)('v%s: keys listed in public_keys count too', (rv) => {
    const room = roomWithInvite(rv, { public_key: encodeBase64(otherKey.publicKey), public_keys: [{ public_key: encodeBase64(idServer.publicKey) }] });
    expect(check(room, tpInvite(ALICE, ELLA, { signed: signed(ELLA, 'tok') }))).toBe('allow');
  });
  it.each(ALL)('v%s: each failure names its rule', (rv) => {
    const room = roomWithInvite(rv);
    expect(check(room, tpInvite(ALICE, ELLA, { display_name: 'e' }))).toBe('member.invite.third_party.signed');
    const noToken = signed(ELLA, 'tok');
    delete noToken.token;
    expect(check(room, tpInvite(ALICE, ELLA, { signed: noToken }))).toBe('member.invite.third_party.signed');
    expect(check(room, tpInvite(ALICE, ELLA, { signed: signed(CHARLIE, 'tok') }))).toBe('member.invite.third_party.mxid');
    expect(check(room, tpInvite(ALICE, ELLA, { signed: signed(ELLA, 'other') }))).toBe('member.invite.third_party.no_invite_event');
    expect(check(room, tpInvite(BOB, ELLA, { signed: signed(ELLA, 'tok') }))).toBe('member.invite.third_party.sender');
    expect(check(room, tpInvite(ALICE, ELLA, { signed: signed(ELLA, 'tok', otherKey) }))).toBe('member.invite.third_party.signature');
    const tampered = { ...signed(ELLA, 'tok'), sender: BOB };
    expect(check(room, tpInvite(ALICE, ELLA, { signed: tampered }))).toBe('member.invite.third_party.signature');
  });
  it.each(ALL)('v%s: a banned target is rejected first', (rv) => {
    const room = roomWithInvite(rv);
    room.add('BAN', member(ALICE, ELLA, 'ban'));
    expect(check(room, tpInvite(ALICE, ELLA, { signed: signed(ELLA, 'tok') }))).toBe('member.invite.third_party.banned');
  });
});

// ---- Rules 6–9 ---------------------------------------------------------------------------------

const message = (sender: string, type = 'm.room.message'): EventSpec => ({ type, sender, content: { body: 'x' } });
const state = (sender: string, type: string, stateKey = '', content: JsonObject = {}): EventSpec => ({ type, sender, stateKey, content });

run([
  { name: 'rule 6: a joined user may send', versions: ALL, event: message(BOB), expect: 'allow' },
  { name: 'rule 6: a user not joined may not send', versions: ALL, event: message(ELLA), expect: 'sender_not_joined' },
  { name: 'rule 6: an invited (not joined) user may not send', versions: ALL, setup: invited(ELLA), event: message(ELLA), expect: 'sender_not_joined' },
  { name: 'rule 7: m.room.third_party_invite at the invite level', versions: ALL, event: state(BOB, 'm.room.third_party_invite', 'tok'), expect: 'allow' },
  { name: 'rule 7: m.room.third_party_invite below the invite level', versions: ALL, setup: setPowerLevels({ users: { [ALICE]: 100 }, invite: 50 }), event: state(BOB, 'm.room.third_party_invite', 'tok'), expect: 'third_party_invite.power' },
  {
    name: 'rule 7: m.room.third_party_invite ignores its events level (rule 8 is not reached)',
    versions: ALL,
    setup: setPowerLevels({ users: { [ALICE]: 100 }, events: { 'm.room.third_party_invite': 100 } }),
    event: state(BOB, 'm.room.third_party_invite', 'tok'),
    expect: 'allow',
  },
  { name: 'rule 8: a state event at state_default', versions: ALL, event: state(ALICE, 'm.room.topic', '', { topic: 't' }), expect: 'allow' },
  { name: 'rule 8: a state event below state_default', versions: ALL, event: state(BOB, 'm.room.topic', '', { topic: 't' }), expect: 'event_power' },
  { name: 'rule 8: a message below its events level', versions: ALL, setup: setPowerLevels({ users: { [ALICE]: 100 }, events: { 'm.room.message': 10 } }), event: message(BOB), expect: 'event_power' },
  { name: 'rule 8: a message below events_default', versions: ALL, setup: setPowerLevels({ users: { [ALICE]: 100 }, events_default: 1 }), event: message(BOB), expect: 'event_power' },
  { name: 'rule 8: events overrides state_default downwards', versions: ALL, setup: setPowerLevels({ users: { [ALICE]: 100 }, events: { 'm.room.topic': 0 } }), event: state(BOB, 'm.room.topic', '', { topic: 't' }), expect: 'allow' },
  { name: 'rule 9: a state_key that is another user\'s id is rejected', versions: ALL, setup: setPowerLevels({ users: { [ALICE]: 100 }, state_default: 0 }), event: state(BOB, 'org.example.status', ALICE), expect: 'state_key.user' },
  { name: 'rule 9: a state_key that is the sender\'s own id is allowed', versions: ALL, setup: setPowerLevels({ users: { [ALICE]: 100 }, state_default: 0 }), event: state(BOB, 'org.example.status', BOB), expect: 'allow' },
]);

// ---- Rule 10: m.room.power_levels ------------------------------------------------------------

const modRoom = setPowerLevels({ users: { [ALICE]: 100, [BOB]: 50, [CHARLIE]: 50 }, kick: 75, events: { 'm.room.avatar': 75 }, notifications: { room: 75 } });
const bobPl = (room: TestRoom, content: JsonObject): EventSpec => ({
  type: 'm.room.power_levels',
  sender: BOB,
  stateKey: '',
  content: levels(room, { users: { [ALICE]: 100, [BOB]: 50, [CHARLIE]: 50 }, kick: 75, events: { 'm.room.avatar': 75 }, notifications: { room: 75 }, ...content }),
});
const alicePl = (room: TestRoom, content: JsonObject): EventSpec => ({ type: 'm.room.power_levels', sender: ALICE, stateKey: '', content: levels(room, content) });

run([
  { name: 'PL: an unchanged copy is allowed', versions: ALL, setup: modRoom, event: (r) => bobPl(r, {}), expect: 'allow' },
  { name: 'PL (v1–v9): string levels are accepted', versions: range(1, 9), event: (r) => alicePl(r, { users: { [ALICE]: 100, [BOB]: '50' }, ban: ' +50 ' }), expect: 'allow' },
  { name: 'PL (v10+): string levels are rejected', versions: range(10, 12), event: (r) => alicePl(r, { users: { [ALICE]: 100, [BOB]: '50' } }), expect: 'power_levels.invalid' },
  { name: 'PL (v10+): a string top-level field is rejected', versions: range(10, 12), event: (r) => alicePl(r, { users: { [ALICE]: 100 }, ban: '50' }), expect: 'power_levels.invalid' },
  { name: 'PL (v10+): a string in events is rejected', versions: range(10, 12), event: (r) => alicePl(r, { users: { [ALICE]: 100 }, events: { 'm.room.name': '50' } }), expect: 'power_levels.invalid' },
  { name: 'PL (v10+): a string in notifications is rejected', versions: range(10, 12), event: (r) => alicePl(r, { users: { [ALICE]: 100 }, notifications: { room: '50' } }), expect: 'power_levels.invalid' },
  { name: 'PL (v1–v5): a float level is accepted (truncated)', versions: range(1, 5), event: (r) => alicePl(r, { users: { [ALICE]: 100, [BOB]: 50.57 } }), expect: 'allow' },
  { name: 'PL (v6+): a float level is rejected', versions: range(6, 12), event: (r) => alicePl(r, { users: { [ALICE]: 100, [BOB]: 50.5 } }), expect: 'power_levels.invalid' },
  { name: 'PL: a users key that is not a user id is rejected', versions: ALL, event: (r) => alicePl(r, { users: { [ALICE]: 100, bob: 50 } }), expect: 'power_levels.invalid' },
  { name: 'PL: a users value that is not an integer is rejected', versions: ALL, event: (r) => alicePl(r, { users: { [ALICE]: 100, [BOB]: 'fifty' } }), expect: 'power_levels.invalid' },
  { name: 'PL (v12): listing a creator in users is rejected', versions: ['12'], event: { type: 'm.room.power_levels', sender: ALICE, stateKey: '', content: { users: { [ALICE]: 100 } } }, expect: 'power_levels.creator_listed' },
  { name: 'PL (v1–v11): listing the creator in users is normal', versions: range(1, 11), event: { type: 'm.room.power_levels', sender: ALICE, stateKey: '', content: { users: { [ALICE]: 100 } } }, expect: 'allow' },
  { name: 'PL: raising a top-level field above one\'s own level is rejected', versions: ALL, setup: modRoom, event: (r) => bobPl(r, { ban: 60 }), expect: 'power_levels.field_power' },
  { name: 'PL: changing a top-level field currently above one\'s own level is rejected', versions: ALL, setup: modRoom, event: (r) => bobPl(r, { kick: 40 }), expect: 'power_levels.field_power' },
  { name: 'PL: changing a top-level field within one\'s own level is allowed', versions: ALL, setup: modRoom, event: (r) => bobPl(r, { invite: 50 }), expect: 'allow' },
  { name: 'PL: adding an events entry above one\'s own level is rejected', versions: ALL, setup: modRoom, event: (r) => bobPl(r, { events: { 'm.room.avatar': 75, 'm.room.name': 60 } }), expect: 'power_levels.events_power' },
  { name: 'PL: removing an events entry above one\'s own level is rejected', versions: ALL, setup: modRoom, event: (r) => bobPl(r, { events: {} }), expect: 'power_levels.events_power' },
  { name: 'PL: adding an events entry within one\'s own level is allowed', versions: ALL, setup: modRoom, event: (r) => bobPl(r, { events: { 'm.room.avatar': 75, 'm.room.name': 50 } }), expect: 'allow' },
  { name: 'PL (v6+): changing notifications above one\'s own level is rejected', versions: range(6, 12), setup: modRoom, event: (r) => bobPl(r, { notifications: { room: 40 } }), expect: 'power_levels.events_power' },
  { name: 'PL (v1–v5): notifications are not checked', versions: range(1, 5), setup: modRoom, event: (r) => bobPl(r, { notifications: { room: 40 } }), expect: 'allow' },
  { name: 'PL: raising a user above one\'s own level is rejected', versions: ALL, setup: modRoom, event: (r) => bobPl(r, { users: { [ALICE]: 100, [BOB]: 50, [CHARLIE]: 60 } }), expect: 'power_levels.users_power' },
  { name: 'PL: changing a user at one\'s own level is rejected', versions: ALL, setup: modRoom, event: (r) => bobPl(r, { users: { [ALICE]: 100, [BOB]: 50, [CHARLIE]: 10 } }), expect: 'power_levels.users_power' },
  { name: 'PL: lowering one\'s own level is allowed', versions: ALL, setup: modRoom, event: (r) => bobPl(r, { users: { [ALICE]: 100, [BOB]: 10, [CHARLIE]: 50 } }), expect: 'allow' },
  { name: 'PL: adding a user at one\'s own level is allowed', versions: ALL, setup: modRoom, event: (r) => bobPl(r, { users: { [ALICE]: 100, [BOB]: 50, [CHARLIE]: 50, [ELLA]: 50 } }), expect: 'allow' },
  { name: 'PL (v1–v11): removing a user above one\'s own level is rejected', versions: range(1, 11), setup: modRoom, event: (r) => bobPl(r, { users: { [BOB]: 50, [CHARLIE]: 50 } }), expect: 'power_levels.users_power' },
  { name: 'PL (v12): creators are above everyone, whatever users says', versions: ['12'], setup: modRoom, event: { type: 'm.room.power_levels', sender: ALICE, stateKey: '', content: { users: { [BOB]: 100 }, ban: 1000000 } }, expect: 'allow' },
]);

describe('rule 8 without a power levels event: state needs 50, the creator has 100 (v12: infinite), others 0', () => {
  it.each(ALL)('v%s', (rv) => {
    const room = new TestRoom(rv);
    const content: JsonObject = { room_version: rv };
    if (Number(rv) <= 10) content.creator = ALICE;
    room.add('CREATE', { type: 'm.room.create', sender: ALICE, stateKey: '', content });
    room.add('IMA', member(ALICE, ALICE, 'join'));
    room.add('IJR', { type: 'm.room.join_rules', sender: ALICE, stateKey: '', content: { join_rule: 'public' } });
    room.add('IMB', member(BOB, BOB, 'join'));
    const check = (sender: string) => {
      const r = authorizeByState(room.version, room.build('E', state(sender, 'm.room.topic', '', { topic: 't' })), room.authState());
      return r.allowed ? 'allow' : r.rule;
    };
    expect(check(ALICE)).toBe('allow');
    expect(check(BOB)).toBe('event_power');
    const msg = authorizeByState(room.version, room.build('E', message(BOB)), room.authState());
    expect(msg.allowed).toBe(true);
  });
});

describe('PL: the first power levels event is only checked for form', () => {
  it.each(ALL)('v%s', (rv) => {
    const room = new TestRoom(rv);
    const content: JsonObject = { room_version: rv };
    if (Number(rv) <= 10) content.creator = ALICE;
    room.add('CREATE', { type: 'm.room.create', sender: ALICE, stateKey: '', content });
    room.add('IMA', member(ALICE, ALICE, 'join'));
    const users = room.version.roomCreators ? { [BOB]: 9000 } : { [ALICE]: 100, [BOB]: 9000 };
    const r = authorizeByState(room.version, room.build('E', { type: 'm.room.power_levels', sender: ALICE, stateKey: '', content: { users, ban: 9000 } }), room.authState());
    expect(r.allowed).toBe(true);
  });
});

// ---- Rule 11 (v1–v2): redactions ---------------------------------------------------------------

run([
  { name: 'redaction (v1–v2): at the redact level, any event', versions: ['1', '2'], event: { type: 'm.room.redaction', sender: ALICE, content: {}, extra: { redacts: '$x:other.example' } }, expect: 'allow' },
  { name: 'redaction (v1–v2): below the redact level, an event from the same server', versions: ['1', '2'], event: { type: 'm.room.redaction', sender: BOB, content: {}, extra: { redacts: '$x:example.com' } }, expect: 'allow' },
  { name: 'redaction (v1–v2): below the redact level, an event from another server', versions: ['1', '2'], event: { type: 'm.room.redaction', sender: BOB, content: {}, extra: { redacts: '$x:other.example' } }, expect: 'redaction.power' },
  { name: 'redaction (v3–v10): the redact level is not an auth rule', versions: range(3, 10), event: { type: 'm.room.redaction', sender: BOB, content: {}, extra: { redacts: '$whatever' } }, expect: 'allow' },
  { name: 'redaction (v11+): redacts in content, no redact level in auth', versions: ['11', '12'], event: { type: 'm.room.redaction', sender: BOB, content: { redacts: '$whatever' } }, expect: 'allow' },
  { name: 'redaction: the m.room.redaction events level still applies', versions: ALL, setup: setPowerLevels({ users: { [ALICE]: 100 }, events: { 'm.room.redaction': 10 } }), event: { type: 'm.room.redaction', sender: BOB, content: { redacts: '$x:example.com' }, extra: { redacts: '$x:example.com' } }, expect: 'event_power' },
]);

describe('v12 room creators in membership rules', () => {
  it('an admin at 100 cannot kick or ban a creator; a creator can kick an admin', () => {
    const room = new TestRoom('12');
    room.add('CREATE', { type: 'm.room.create', sender: ALICE, stateKey: '', content: { additional_creators: [BOB] } });
    room.add('IMA', member(ALICE, ALICE, 'join'));
    room.add('IPOWER', { type: 'm.room.power_levels', sender: ALICE, stateKey: '', content: { users: { [CHARLIE]: 100 } } });
    room.add('IJR', { type: 'm.room.join_rules', sender: ALICE, stateKey: '', content: { join_rule: 'public' } });
    room.add('IMB', member(BOB, BOB, 'join'));
    room.add('IMC', member(CHARLIE, CHARLIE, 'join'));
    const check = (spec: EventSpec) => {
      const r = authorizeByState(room.version, room.build('E', spec), room.authState());
      return r.allowed ? 'allow' : r.rule;
    };
    expect(check(member(CHARLIE, BOB, 'ban'))).toBe('member.ban.power');
    expect(check(member(CHARLIE, ALICE, 'leave'))).toBe('member.leave.kick_power');
    expect(check(member(BOB, CHARLIE, 'ban'))).toBe('allow');
    expect(check({ type: 'm.room.power_levels', sender: CHARLIE, stateKey: '', content: { users: { [CHARLIE]: 100, [BOB]: 0 } } })).toBe('power_levels.creator_listed');
  });
});

describe('auth result to Matrix error', () => {
  it('a rejection becomes 403 M_FORBIDDEN with the reason; an allowed result none', () => {
    const room = standardRoom('10');
    const r = authorizeByState(room.version, room.build('E', message(ELLA)), room.authState());
    const err = authResultToError(r)!;
    expect(err.status).toBe(403);
    expect(err.errcode).toBe('M_FORBIDDEN');
    expect(err.error).toBe('sender is not joined to the room');
    expect(authResultToError({ allowed: true })).toBeUndefined();
  });
});
