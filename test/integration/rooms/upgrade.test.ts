// POST /rooms/{roomId}/upgrade.
import { describe, expect, it } from 'vitest';
import { call, registerUser, SERVER_NAME, uniqueName, type TestUser } from '../helpers/client';
import { createRoom, getState, join, member, messages, putState, send, sendOk } from '../helpers/rooms';
import { expectSpec } from '../helpers/spec';

const enc = encodeURIComponent;
const OP = 'POST /_matrix/client/v3/rooms/{roomId}/upgrade';
const upgrade = (user: TestUser | undefined, roomId: string, body: unknown) => call('POST', `/_matrix/client/v3/rooms/${enc(roomId)}/upgrade`, { token: user?.token, body });

async function upgradeOk(user: TestUser, roomId: string, body: Record<string, unknown>): Promise<string> {
  const r = await upgrade(user, roomId, body);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  expectSpec(OP, 200, r.body);
  return r.body.replacement_room;
}

async function stateContent(user: TestUser, roomId: string, type: string, stateKey = '') {
  const r = await getState(user, roomId, type, stateKey);
  return r.status === 200 ? r.body : undefined;
}

async function createEvent(user: TestUser, roomId: string) {
  const r = await call('GET', `/_matrix/client/v3/rooms/${enc(roomId)}/state/m.room.create?format=event`, { token: user.token });
  expect(r.status).toBe(200);
  return r.body;
}

const TRANSFERRED: [string, Record<string, unknown>][] = [
  ['m.room.name', { name: 'Old room' }],
  ['m.room.topic', { topic: 'Old topic' }],
  ['m.room.avatar', { url: 'mxc://test.local/old' }],
  ['m.room.guest_access', { guest_access: 'forbidden' }],
  ['m.room.history_visibility', { history_visibility: 'world_readable' }],
  ['m.room.encryption', { algorithm: 'm.megolm.v1.aes-sha2' }],
  ['m.room.server_acl', { allow: ['*'], deny: ['evil.example'], allow_ip_literals: false }],
];

describe('room upgrades', () => {
  it('replaces the room: predecessor, transferred state, bans, aliases, listing, tombstone and restricted levels', async () => {
    const alice = await registerUser();
    const bob = await registerUser();
    const mallory = await registerUser();
    const dave = await registerUser();
    const aliasName = uniqueName('up');
    const oldRoom = await createRoom(alice, { preset: 'public_chat', room_version: '10', visibility: 'public', room_alias_name: aliasName });
    const mainAlias = `#${aliasName}:${SERVER_NAME}`;
    const altAlias = `#${uniqueName('alt')}:${SERVER_NAME}`;
    expect((await call('PUT', `/_matrix/client/v3/directory/room/${enc(altAlias)}`, { token: alice.token, body: { room_id: oldRoom } })).status).toBe(200);
    for (const [type, content] of TRANSFERRED) expect((await putState(alice, oldRoom, type, content)).status, type).toBe(200);
    expect((await putState(alice, oldRoom, 'm.room.canonical_alias', { alias: mainAlias, alt_aliases: [altAlias] })).status).toBe(200);
    expect((await putState(alice, oldRoom, 'org.example.custom', { kept: false })).status).toBe(200);
    expect((await join(bob, oldRoom)).status).toBe(200);
    expect((await join(mallory, oldRoom)).status).toBe(200);
    expect((await join(dave, oldRoom)).status).toBe(200);
    expect((await member(alice, oldRoom, 'ban', mallory.userId, 'spammer')).status).toBe(200);
    const pl = await stateContent(alice, oldRoom, 'm.room.power_levels');
    expect((await putState(alice, oldRoom, 'm.room.power_levels', { ...pl, users: { ...pl.users, [bob.userId]: 50 }, events: { ...pl.events, 'org.example.custom': 60 } })).status).toBe(200);
    const oldLevels = await stateContent(alice, oldRoom, 'm.room.power_levels');
    const lastBefore = (await messages(alice, oldRoom, { dir: 'b', limit: 1 })).body.chunk[0].event_id;

    const newRoom = await upgradeOk(alice, oldRoom, { new_version: '11' });
    expect(newRoom).not.toBe(oldRoom);

    const create = await createEvent(alice, newRoom);
    expect(create.content).toEqual({ room_version: '11', predecessor: { room_id: oldRoom, event_id: lastBefore } });
    expect(create.sender).toBe(alice.userId);
    for (const [type, content] of TRANSFERRED) expect(await stateContent(alice, newRoom, type), type).toEqual(content);
    expect(await stateContent(alice, newRoom, 'm.room.join_rules')).toEqual({ join_rule: 'public' });
    expect(await stateContent(alice, newRoom, 'org.example.custom')).toBeUndefined();
    expect(await stateContent(alice, newRoom, 'm.room.power_levels')).toEqual(oldLevels);
    expect(await stateContent(alice, newRoom, 'm.room.member', mallory.userId)).toEqual({ membership: 'ban', reason: 'spammer' });
    expect((await stateContent(alice, newRoom, 'm.room.member', bob.userId))).toBeUndefined();

    // Aliases and the canonical alias now belong to the new room; so does the directory listing.
    expect(await stateContent(alice, newRoom, 'm.room.canonical_alias')).toEqual({ alias: mainAlias, alt_aliases: [altAlias] });
    expect(await stateContent(alice, oldRoom, 'm.room.canonical_alias')).toEqual({});
    for (const alias of [mainAlias, altAlias]) expect((await call('GET', `/_matrix/client/v3/directory/room/${enc(alias)}`)).body.room_id).toBe(newRoom);
    expect((await call('GET', `/_matrix/client/v3/directory/list/room/${enc(newRoom)}`)).body.visibility).toBe('public');
    expect((await call('GET', `/_matrix/client/v3/directory/list/room/${enc(oldRoom)}`)).body.visibility).toBe('private');

    // The old room: tombstoned, and regular users can no longer talk or invite.
    expect(await stateContent(alice, oldRoom, 'm.room.tombstone')).toEqual({ body: 'This room has been replaced', replacement_room: newRoom });
    expect(await stateContent(alice, oldRoom, 'm.room.power_levels')).toEqual({ ...oldLevels, events_default: 50, invite: 50 });
    expect((await send(dave, oldRoom)).status).toBe(403);
    expect((await send(bob, oldRoom)).status).toBe(200);
    expect((await send(dave, newRoom)).status).toBe(403);
    expect((await join(dave, newRoom)).status).toBe(200);
    await sendOk(dave, newRoom, { msgtype: 'm.text', body: 'hello in the new room' });
    expect((await join(mallory, newRoom)).status).toBe(403);
  });

  it('raises the upgrader just enough to copy the state, then restores their level', async () => {
    const alice = await registerUser();
    const bob = await registerUser();
    const oldRoom = await createRoom(alice, { preset: 'public_chat', room_version: '11' });
    expect((await join(bob, oldRoom)).status).toBe(200);
    const pl = await stateContent(alice, oldRoom, 'm.room.power_levels');
    // Bob may send the tombstone (75) but not power levels or history visibility (100).
    const levels = { ...pl, users: { ...pl.users, [bob.userId]: 75 }, events: { ...pl.events, 'm.room.tombstone': 75 } };
    expect((await putState(alice, oldRoom, 'm.room.power_levels', levels)).status).toBe(200);
    const newRoom = await upgradeOk(bob, oldRoom, { new_version: '11' });

    const history = await messages(bob, newRoom, { dir: 'f', limit: 50, filter: JSON.stringify({ types: ['m.room.power_levels'] }) });
    const contents = history.body.chunk.map((e: any) => e.content);
    expect(contents[0].users[bob.userId]).toBe(100);
    expect(contents[contents.length - 1]).toEqual(levels);
    expect(await stateContent(bob, newRoom, 'm.room.power_levels')).toEqual(levels);
    expect(await stateContent(bob, newRoom, 'm.room.history_visibility')).toEqual({ history_visibility: 'shared' });
  });

  it('upgrades to version 12 with the creators it is given, and keeps a space a space', async () => {
    const alice = await registerUser();
    const bob = await registerUser();
    const carol = await registerUser();
    const oldRoom = await createRoom(alice, { preset: 'public_chat', room_version: '11', creation_content: { type: 'm.space' } });
    const child = await createRoom(alice, { preset: 'public_chat' });
    expect((await putState(alice, oldRoom, 'm.space.child', { via: [SERVER_NAME] }, child)).status).toBe(200);
    expect((await join(bob, oldRoom)).status).toBe(200);
    const pl = await stateContent(alice, oldRoom, 'm.room.power_levels');
    expect((await putState(alice, oldRoom, 'm.room.power_levels', { ...pl, users: { ...pl.users, [bob.userId]: 50, [carol.userId]: 20 } })).status).toBe(200);

    const newRoom = await upgradeOk(alice, oldRoom, { new_version: '12', additional_creators: [carol.userId] });
    expect(newRoom).toMatch(/^![A-Za-z0-9_-]{43}$/);
    const create = await createEvent(alice, newRoom);
    expect(create.content).toMatchObject({ room_version: '12', type: 'm.space', additional_creators: [carol.userId], predecessor: { room_id: oldRoom } });
    const levels = await stateContent(alice, newRoom, 'm.room.power_levels');
    // Creators cannot be listed in v12; everyone else keeps their level.
    expect(levels.users).toEqual({ [bob.userId]: 50 });
    expect(await stateContent(alice, newRoom, 'm.space.child', child)).toEqual({ via: [SERVER_NAME] });
    const summary = await call('GET', `/_matrix/client/v1/room_summary/${enc(newRoom)}`, { token: alice.token });
    expect(summary.body).toMatchObject({ room_type: 'm.space', room_version: '12' });

    // Back to 11: additional_creators means nothing there and is ignored; the creators, whose
    // power was unlimited, keep the highest level the room names.
    const again = await upgradeOk(alice, newRoom, { new_version: '11', additional_creators: ['not a user id'] });
    expect((await createEvent(alice, again)).content).toEqual({ room_version: '11', type: 'm.space', predecessor: expect.objectContaining({ room_id: newRoom }) });
    expect((await stateContent(alice, again, 'm.room.power_levels')).users).toEqual({ [alice.userId]: 100, [carol.userId]: 100, [bob.userId]: 50 });
  });

  it('refuses users without the power to send the tombstone, unknown rooms and bad requests', async () => {
    const alice = await registerUser();
    const bob = await registerUser();
    const stranger = await registerUser();
    const roomId = await createRoom(alice, { preset: 'public_chat' });
    expect((await join(bob, roomId)).status).toBe(200);
    for (const [who, label] of [[bob, 'member'], [stranger, 'stranger']] as const) {
      const r = await upgrade(who, roomId, { new_version: '11' });
      expect(r.status, label).toBe(403);
      expect(r.body.errcode, label).toBe('M_FORBIDDEN');
    }
    expect(await stateContent(alice, roomId, 'm.room.tombstone')).toBeUndefined();

    const unsupported = await upgrade(alice, roomId, { new_version: '99' });
    expect(unsupported.status).toBe(400);
    expect(unsupported.body.errcode).toBe('M_UNSUPPORTED_ROOM_VERSION');
    expect((await upgrade(alice, roomId, {})).body.errcode).toBe('M_MISSING_PARAM');
    expect((await upgrade(alice, roomId, { new_version: 11 })).body.errcode).toBe('M_BAD_JSON');
    expect((await upgrade(alice, roomId, { new_version: '12', additional_creators: 'carol' })).body.errcode).toBe('M_BAD_JSON');
    expect((await upgrade(alice, roomId, { new_version: '12', additional_creators: ['carol'] })).body.errcode).toBe('M_INVALID_PARAM');
    const unknown = await upgrade(alice, `!unknown:${SERVER_NAME}`, { new_version: '11' });
    expect(unknown.status).toBe(404);
    expect(unknown.body.errcode).toBe('M_NOT_FOUND');
    expect((await upgrade(alice, 'nonsense', { new_version: '11' })).body.errcode).toBe('M_INVALID_PARAM');
    expect((await upgrade(undefined, roomId, { new_version: '11' })).status).toBe(401);
    expect(await stateContent(alice, roomId, 'm.room.tombstone')).toBeUndefined();
  });
});
