// POST /createRoom (spec: client-server "Creation", create_room.yaml): the initial event sequence
// in the prescribed order, each preset's state, overrides, aliases, invites, room versions and
// the room ids they imply, and refused requests.
import { describe, expect, it } from 'vitest';
import { call, registerUser, SERVER_NAME, type TestUser } from '../helpers/client';
import {
  createRoom,
  createRoomRaw,
  enc,
  expectEventSpec,
  getState,
  sendOk,
  setDisplayName,
  stateMap,
  timeline,
  v3,
  type Ev,
} from '../helpers/rooms';
import { expectSpec } from '../helpers/spec';

const CREATE = 'POST /_matrix/client/v3/createRoom';

async function created(user: TestUser, body: Record<string, unknown>): Promise<string> {
  const r = await createRoomRaw(user, body);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  expectSpec(CREATE, 200, r.body);
  return r.body.room_id;
}

/** The room's events as [type, state_key] pairs, checking each against its event schema. */
async function sequence(user: TestUser, roomId: string): Promise<{ events: Ev[]; pairs: [string, string | undefined][] }> {
  const events = await timeline(user, roomId);
  for (const e of events) {
    expectEventSpec(e);
    expect(e.room_id).toBe(roomId);
  }
  return { events, pairs: events.map((e) => [e.type, e.state_key]) };
}

/** The power level keys the spec defines, from a power levels content (server extras left out). */
function specPowerLevels(content: Record<string, unknown>) {
  const keys = ['users', 'users_default', 'events', 'events_default', 'state_default', 'ban', 'kick', 'redact', 'invite', 'notifications'];
  return Object.fromEntries(keys.filter((k) => k in content).map((k) => [k, content[k]]));
}

const DEFAULT_EVENT_LEVELS_V11 = {
  'm.room.name': 50,
  'm.room.power_levels': 100,
  'm.room.history_visibility': 100,
  'm.room.canonical_alias': 50,
  'm.room.avatar': 50,
  'm.room.tombstone': 100,
  'm.room.server_acl': 100,
  'm.room.encryption': 100,
};

describe('createRoom: the initial events of each preset', () => {
  it('private_chat (the default): create, creator join with profile, power levels, join rules invite, history shared, guest access can_join', async () => {
    const alice = await registerUser();
    await setDisplayName(alice, 'Alice Liddell');
    const roomId = await created(alice, {});
    const { events, pairs } = await sequence(alice, roomId);
    expect(pairs).toEqual([
      ['m.room.create', ''],
      ['m.room.member', alice.userId],
      ['m.room.power_levels', ''],
      ['m.room.join_rules', ''],
      ['m.room.history_visibility', ''],
      ['m.room.guest_access', ''],
    ]);
    for (const e of events) expect(e.sender).toBe(alice.userId);
    const [create, member, pl, joinRules, history, guest] = events;
    // Room version 12 by default (spec: servers SHOULD create v12 rooms); no `creator` from v11.
    expect(create.content).toEqual({ room_version: '12' });
    // v12: the room id is the create event's id with `!` instead of `$`.
    expect(roomId).toBe(`!${create.event_id.slice(1)}`);
    expect(member.content).toEqual({ membership: 'join', displayname: 'Alice Liddell' });
    // v12: the creator has infinite power and is not listed in `users`; tombstone above state_default.
    expect(specPowerLevels(pl.content)).toEqual({
      users: {},
      users_default: 0,
      events: { ...DEFAULT_EVENT_LEVELS_V11, 'm.room.tombstone': 150 },
      events_default: 0,
      state_default: 50,
      ban: 50,
      kick: 50,
      redact: 50,
      invite: 0,
      notifications: { room: 50 },
    });
    expect(pl.content.events['m.room.tombstone']).toBeGreaterThan(pl.content.state_default);
    expect(joinRules.content).toEqual({ join_rule: 'invite' });
    expect(history.content).toEqual({ history_visibility: 'shared' });
    expect(guest.content).toEqual({ guest_access: 'can_join' });
  });

  it('visibility private without a preset is private_chat, and the room is not published', async () => {
    const alice = await registerUser();
    const roomId = await created(alice, { visibility: 'private' });
    const state = await stateMap(alice, roomId);
    expect(state.get('m.room.join_rules|')!.content.join_rule).toBe('invite');
    expect(state.get('m.room.guest_access|')!.content.guest_access).toBe('can_join');
    const dir = await call('GET', v3(`/directory/list/room/${enc(roomId)}`));
    expect(dir.status).toBe(200);
    expect(dir.body).toEqual({ visibility: 'private' });
  });

  it('public_chat: join rules public, history shared, guest access forbidden, invite level 50', async () => {
    const alice = await registerUser();
    const roomId = await created(alice, { preset: 'public_chat' });
    const { events, pairs } = await sequence(alice, roomId);
    expect(pairs.slice(0, 5)).toEqual([
      ['m.room.create', ''],
      ['m.room.member', alice.userId],
      ['m.room.power_levels', ''],
      ['m.room.join_rules', ''],
      ['m.room.history_visibility', ''],
    ]);
    expect(events[3].content).toEqual({ join_rule: 'public' });
    expect(events[4].content).toEqual({ history_visibility: 'shared' });
    // guest_access forbidden: either stated, or absent (which means forbidden).
    const guest = events.find((e) => e.type === 'm.room.guest_access');
    if (guest) expect(guest.content).toEqual({ guest_access: 'forbidden' });
    expect(events.length).toBe(guest ? 6 : 5);
    expect(events[2].content.invite).toBe(50);
  });

  it('visibility public without a preset is public_chat, and publishes the room in the directory', async () => {
    const alice = await registerUser();
    const roomId = await created(alice, { visibility: 'public' });
    const state = await stateMap(alice, roomId);
    expect(state.get('m.room.join_rules|')!.content.join_rule).toBe('public');
    const dir = await call('GET', v3(`/directory/list/room/${enc(roomId)}`));
    expect(dir.status).toBe(200);
    expect(dir.body).toEqual({ visibility: 'public' });
  });

  it('trusted_private_chat in v12: invitees become additional_creators (deduplicated with creation_content), then are invited', async () => {
    const [alice, bob, carol] = await Promise.all([registerUser(), registerUser(), registerUser()]);
    const roomId = await created(alice, {
      preset: 'trusted_private_chat',
      invite: [bob.userId, carol.userId],
      is_direct: true,
      creation_content: { additional_creators: [carol.userId] },
    });
    const { events, pairs } = await sequence(alice, roomId);
    expect(pairs).toEqual([
      ['m.room.create', ''],
      ['m.room.member', alice.userId],
      ['m.room.power_levels', ''],
      ['m.room.join_rules', ''],
      ['m.room.history_visibility', ''],
      ['m.room.guest_access', ''],
      ['m.room.member', bob.userId],
      ['m.room.member', carol.userId],
    ]);
    const create = events[0];
    expect(create.content.room_version).toBe('12');
    expect([...create.content.additional_creators].sort()).toEqual([bob.userId, carol.userId].sort());
    expect(create.content.additional_creators.length).toBe(2);
    // Creators cannot be listed in v12 power levels.
    expect(events[2].content.users).toEqual({});
    for (const invite of events.slice(6)) {
      expect(invite.content.membership).toBe('invite');
      expect(invite.content.is_direct).toBe(true);
    }
  });

  it('trusted_private_chat in v11: invitees get the creator power level (100)', async () => {
    const [alice, bob] = await Promise.all([registerUser(), registerUser()]);
    const roomId = await created(alice, { preset: 'trusted_private_chat', invite: [bob.userId], room_version: '11' });
    const state = await stateMap(alice, roomId);
    expect(state.get('m.room.create|')!.content).toEqual({ room_version: '11' });
    expect(state.get('m.room.power_levels|')!.content.users).toEqual({ [alice.userId]: 100, [bob.userId]: 100 });
    expect(state.get(`m.room.member|${bob.userId}`)!.content.membership).toBe('invite');
  });

  it('private_chat with invites and is_direct: invites come last, flagged is_direct; invitees are not made creators', async () => {
    const [alice, bob] = await Promise.all([registerUser(), registerUser()]);
    const roomId = await created(alice, { preset: 'private_chat', invite: [bob.userId], is_direct: true });
    const { events } = await sequence(alice, roomId);
    const last = events[events.length - 1];
    expect([last.type, last.state_key, last.content.membership, last.content.is_direct]).toEqual(['m.room.member', bob.userId, 'invite', true]);
    expect(events[0].content.additional_creators).toBeUndefined();
    expect(events[2].content.users).toEqual({});
  });

  it('invites without is_direct carry no is_direct flag', async () => {
    const [alice, bob] = await Promise.all([registerUser(), registerUser()]);
    const roomId = await created(alice, { invite: [bob.userId] });
    const state = await stateMap(alice, roomId);
    expect(state.get(`m.room.member|${bob.userId}`)!.content.is_direct).toBeUndefined();
  });
});

describe('createRoom: request fields', () => {
  it('room_alias_name: canonical alias event right after the power levels, and the alias resolves to the room', async () => {
    const alice = await registerUser();
    const localpart = `alias-${alice.localpart}`;
    const roomId = await created(alice, { preset: 'public_chat', room_alias_name: localpart });
    const alias = `#${localpart}:${SERVER_NAME}`;
    const { events, pairs } = await sequence(alice, roomId);
    expect(pairs.slice(0, 4)).toEqual([
      ['m.room.create', ''],
      ['m.room.member', alice.userId],
      ['m.room.power_levels', ''],
      ['m.room.canonical_alias', ''],
    ]);
    expect(events[3].content).toEqual({ alias });
    const resolved = await call('GET', v3(`/directory/room/${enc(alias)}`));
    expect(resolved.status).toBe(200);
    expect(resolved.body.room_id).toBe(roomId);
  });

  it('room_alias_name already taken → 400 M_ROOM_IN_USE, and the alias keeps pointing to the first room', async () => {
    const [alice, bob] = await Promise.all([registerUser(), registerUser()]);
    const localpart = `taken-${alice.localpart}`;
    const first = await created(alice, { room_alias_name: localpart });
    const r = await createRoomRaw(bob, { room_alias_name: localpart });
    expect(r.status).toBe(400);
    expect(r.body.errcode).toBe('M_ROOM_IN_USE');
    const resolved = await call('GET', v3(`/directory/room/${enc(`#${localpart}:${SERVER_NAME}`)}`));
    expect(resolved.body.room_id).toBe(first);
  });

  it('room_alias_name that is not a valid localpart → 400', async () => {
    const alice = await registerUser();
    for (const bad of ['with:colon', 'with space']) {
      const r = await createRoomRaw(alice, { room_alias_name: bad });
      expect(r.status, bad).toBe(400);
      expect(typeof r.body.errcode).toBe('string');
    }
  });

  it('name and topic: m.room.name, then m.room.topic with a text/plain m.topic, after the preset events', async () => {
    const alice = await registerUser();
    const roomId = await created(alice, { name: 'The Grand Duke Pub', topic: 'All about happy hour' });
    const { events, pairs } = await sequence(alice, roomId);
    expect(pairs.slice(-2)).toEqual([
      ['m.room.name', ''],
      ['m.room.topic', ''],
    ]);
    expect(events[events.length - 2].content).toEqual({ name: 'The Grand Duke Pub' });
    const topic = events[events.length - 1].content;
    expect(topic.topic).toBe('All about happy hour');
    expect(topic['m.topic']).toEqual({ 'm.text': [{ body: 'All about happy hour' }] });
  });

  it('initial_state: in the order given, replacing the preset events of the same key; name then overrides initial m.room.name', async () => {
    const alice = await registerUser();
    const roomId = await created(alice, {
      preset: 'private_chat',
      initial_state: [
        { type: 'm.room.history_visibility', content: { history_visibility: 'world_readable' } },
        { type: 'org.example.custom', state_key: 'k1', content: { n: 1 } },
        { type: 'm.room.join_rules', state_key: '', content: { join_rule: 'public' } },
        { type: 'm.room.guest_access', content: { guest_access: 'forbidden' } },
      ],
      topic: 'Topic',
    });
    const { events, pairs } = await sequence(alice, roomId);
    expect(pairs).toEqual([
      ['m.room.create', ''],
      ['m.room.member', alice.userId],
      ['m.room.power_levels', ''],
      ['m.room.history_visibility', ''],
      ['org.example.custom', 'k1'],
      ['m.room.join_rules', ''],
      ['m.room.guest_access', ''],
      ['m.room.topic', ''],
    ]);
    expect(events[3].content).toEqual({ history_visibility: 'world_readable' });
    expect(events[4].content).toEqual({ n: 1 });
    expect(events[5].content).toEqual({ join_rule: 'public' });
    expect(events[6].content).toEqual({ guest_access: 'forbidden' });

    const named = await created(alice, { initial_state: [{ type: 'm.room.name', content: { name: 'from initial_state' } }], name: 'from name' });
    const name = await getState(alice, named, 'm.room.name');
    expect(name.status).toBe(200);
    expect(name.body).toEqual({ name: 'from name' });
  });

  it('initial_state m.room.power_levels replaces the generated power levels', async () => {
    const alice = await registerUser();
    const content = { users: { [alice.userId]: 100 }, state_default: 20, events_default: 5 };
    const roomId = await created(alice, { room_version: '11', initial_state: [{ type: 'm.room.power_levels', content }] });
    const { events, pairs } = await sequence(alice, roomId);
    expect(pairs[2]).toEqual(['m.room.power_levels', '']);
    expect(events[2].content).toEqual(content);
  });

  it('power_level_content_override is applied on top of the defaults', async () => {
    const [alice, carol] = await Promise.all([registerUser(), registerUser()]);
    const roomId = await created(alice, {
      power_level_content_override: { events_default: 10, users: { [carol.userId]: 30 }, events: { 'm.room.name': 75 } },
    });
    const pl = (await stateMap(alice, roomId)).get('m.room.power_levels|')!.content;
    expect(pl.events_default).toBe(10);
    expect(pl.users).toEqual({ [carol.userId]: 30 });
    expect(pl.events['m.room.name']).toBe(75);
    // Untouched defaults stay.
    expect(pl.state_default).toBe(50);
    expect(pl.ban).toBe(50);
  });

  it('power_level_content_override in v1-11 keeps the creator at 100 when the override names them', async () => {
    const [alice, carol] = await Promise.all([registerUser(), registerUser()]);
    const roomId = await created(alice, { room_version: '10', power_level_content_override: { users: { [alice.userId]: 100, [carol.userId]: 50 } } });
    const pl = (await stateMap(alice, roomId)).get('m.room.power_levels|')!.content;
    expect(pl.users).toEqual({ [alice.userId]: 100, [carol.userId]: 50 });
  });

  it('creation_content: m.space type and extra keys are kept; creator and room_version are the server’s', async () => {
    const alice = await registerUser();
    const space = await created(alice, { creation_content: { type: 'm.space', 'm.federate': false, room_version: '1', creator: '@mallory:elsewhere' } });
    const create = (await stateMap(alice, space)).get('m.room.create|')!;
    expect(create.content).toEqual({ type: 'm.space', 'm.federate': false, room_version: '12' });

    const old = await created(alice, { room_version: '10', creation_content: { creator: '@mallory:elsewhere', 'm.federate': true } });
    const oldCreate = (await stateMap(alice, old)).get('m.room.create|')!;
    expect(oldCreate.content).toEqual({ creator: alice.userId, room_version: '10', 'm.federate': true });
  });

  it('the new room is in the creator’s joined_rooms', async () => {
    const alice = await registerUser();
    const roomId = await createRoom(alice);
    const r = await call('GET', v3('/joined_rooms'), { token: alice.token });
    expect(r.status).toBe(200);
    expectSpec('GET /_matrix/client/v3/joined_rooms', 200, r.body);
    expect(r.body.joined_rooms).toContain(roomId);
  });
});

describe('createRoom: room versions', () => {
  const EVENT_ID = {
    v1: new RegExp(`^\\$[^:]+:${SERVER_NAME.replace('.', '\\.')}$`),
    v3: /^\$[A-Za-z0-9+/]{43}$/,
    v4: /^\$[A-Za-z0-9_-]{43}$/,
  };

  it.each(Array.from({ length: 12 }, (_, i) => String(i + 1)))('room version %s: creatable, readable, with the version’s id formats and creator rules', async (version) => {
    const n = Number(version);
    const alice = await registerUser();
    const roomId = await created(alice, { room_version: version, preset: 'public_chat', name: `v${version}` });
    const message = await sendOk(alice, roomId, { msgtype: 'm.text', body: `hello v${version}` });
    const { events } = await sequence(alice, roomId);
    const create = events[0];
    expect(create.type).toBe('m.room.create');
    expect(create.content.room_version).toBe(version);
    // Before v11 the creator is content.creator; from v11 it is the sender alone.
    if (n < 11) expect(create.content.creator).toBe(alice.userId);
    else expect(create.content.creator).toBeUndefined();
    const format = n <= 2 ? EVENT_ID.v1 : n === 3 ? EVENT_ID.v3 : EVENT_ID.v4;
    for (const e of events) expect(e.event_id).toMatch(format);
    if (n >= 12) expect(roomId).toBe(`!${create.event_id.slice(1)}`);
    else expect(roomId).toMatch(new RegExp(`^![^:]+:${SERVER_NAME.replace('.', '\\.')}$`));
    expect(events[events.length - 1].event_id).toBe(message);
    expect(events[events.length - 1].content.body).toBe(`hello v${version}`);
    const pl = events.find((e) => e.type === 'm.room.power_levels')!;
    if (n < 12) expect(pl.content.users).toEqual({ [alice.userId]: 100 });
    else expect(pl.content.users).toEqual({});
    const name = await getState(alice, roomId, 'm.room.name');
    expect(name.body).toEqual({ name: `v${version}` });
  });

  it.each(['13', 'abc', '0', ''])('room_version %j → 400 M_UNSUPPORTED_ROOM_VERSION', async (version) => {
    const alice = await registerUser();
    const r = await createRoomRaw(alice, { room_version: version });
    expect(r.status).toBe(400);
    expect(r.body.errcode).toBe('M_UNSUPPORTED_ROOM_VERSION');
  });
});

describe('createRoom: refused requests', () => {
  it('a body that is not JSON → 400 M_NOT_JSON', async () => {
    const alice = await registerUser();
    const r = await call('POST', v3('/createRoom'), { token: alice.token, raw: '{"name": ', headers: { 'content-type': 'application/json' } });
    expect(r.status).toBe(400);
    expect(r.body.errcode).toBe('M_NOT_JSON');
  });

  it.each([
    ['name not a string', { name: 5 }],
    ['topic not a string', { topic: ['x'] }],
    ['invite not a list', { invite: '@bob:test.local' }],
    ['unknown preset', { preset: 'secret_chat' }],
    ['unknown visibility', { visibility: 'hidden' }],
    ['room_version not a string', { room_version: 12 }],
    ['initial_state entry without content', { initial_state: [{ type: 'm.room.name' }] }],
    ['creation_content not an object', { creation_content: 'm.space' }],
    ['is_direct not a boolean', { is_direct: 'yes' }],
    ['power_level_content_override not an object', { power_level_content_override: [] }],
    ['body not an object', ['a list']],
  ])('%s → 400 M_BAD_JSON', async (_, body) => {
    const alice = await registerUser();
    const r = await createRoomRaw(alice, body);
    expect(r.status).toBe(400);
    expect(r.body.errcode).toBe('M_BAD_JSON');
  });

  it('an invalid user id in invite → 400', async () => {
    const alice = await registerUser();
    const r = await createRoomRaw(alice, { invite: ['not-a-user-id'] });
    expect(r.status).toBe(400);
    expect(r.body.errcode).toBe('M_INVALID_PARAM');
  });

  it('without an access token → 401 M_MISSING_TOKEN', async () => {
    const r = await call('POST', v3('/createRoom'), { body: {} });
    expect(r.status).toBe(401);
    expect(r.body.errcode).toBe('M_MISSING_TOKEN');
  });

  // create_room.yaml, 400: "The initial state implied by the parameters to the request is invalid:
  // for example, the user's power_level is set below that necessary to set the room name
  // (errcode set to M_INVALID_ROOM_STATE)". Here the creator's own power level is too low.
  it('initial state the creator may not send → 400 M_INVALID_ROOM_STATE', async () => {
    const alice = await registerUser();
    const r = await createRoomRaw(alice, { room_version: '11', name: 'x', power_level_content_override: { users: { [alice.userId]: 10 } } });
    expect(r.status).toBe(400);
    expect(r.body.errcode).toBe('M_INVALID_ROOM_STATE');
  });
});
