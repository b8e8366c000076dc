// Room membership (spec: client-server "Room membership", joining.yaml, inviting.yaml,
// leaving.yaml, kicking.yaml, banning.yaml, knocking.yaml, list_joined_rooms.yaml): every
// transition a client can ask for, and the refused ones.
import { describe, expect, it } from 'vitest';
import { call, registerUser, SERVER_NAME, type TestUser } from '../helpers/client';
import {
  createRoom,
  enc,
  expectEventSpec,
  forget,
  getEvent,
  getState,
  join,
  joinById,
  knock,
  leave,
  member,
  members,
  messages,
  putState,
  roomPath,
  roomState,
  send,
  sendOk,
  setDisplayName,
  v3,
} from '../helpers/rooms';
import { expectSpec } from '../helpers/spec';

const JOIN = 'POST /_matrix/client/v3/join/{roomIdOrAlias}';
const JOIN_BY_ID = 'POST /_matrix/client/v3/rooms/{roomId}/join';
const INVITE = 'POST /_matrix/client/v3/rooms/{roomId}/invite ';

/** The content of the user's current member event. */
async function memberEvent(viewer: TestUser, roomId: string, userId: string): Promise<Record<string, any>> {
  const r = await getState(viewer, roomId, 'm.room.member', userId);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body;
}

async function membershipOf(viewer: TestUser, roomId: string, userId: string): Promise<string | undefined> {
  const r = await getState(viewer, roomId, 'm.room.member', userId);
  return r.status === 200 ? r.body.membership : undefined;
}

async function joinedRooms(user: TestUser): Promise<string[]> {
  const r = await call('GET', v3('/joined_rooms'), { token: user.token });
  expect(r.status).toBe(200);
  expectSpec('GET /_matrix/client/v3/joined_rooms', 200, r.body);
  return r.body.joined_rooms;
}

function expectForbidden(r: { status: number; body: any }, what: string) {
  expect(r.status, `${what}: ${JSON.stringify(r.body)}`).toBe(403);
  expect(r.body.errcode, what).toBe('M_FORBIDDEN');
}

describe('joining', () => {
  it('joins a public room by id (/join and /rooms/{roomId}/join), with the profile and reason in the member event', async () => {
    const [alice, bob, carol] = await Promise.all([registerUser(), registerUser(), registerUser()]);
    await setDisplayName(bob, 'Bob B');
    const roomId = await createRoom(alice, { preset: 'public_chat' });

    const r1 = await call('POST', v3(`/join/${enc(roomId)}`), { token: bob.token, body: { reason: 'hello' } });
    expect(r1.status, JSON.stringify(r1.body)).toBe(200);
    expectSpec(JOIN, 200, r1.body);
    expect(r1.body.room_id).toBe(roomId);
    const ev = await memberEvent(alice, roomId, bob.userId);
    expect(ev).toEqual({ membership: 'join', displayname: 'Bob B', reason: 'hello' });

    const r2 = await joinById(carol, roomId);
    expect(r2.status).toBe(200);
    expectSpec(JOIN_BY_ID, 200, r2.body);
    expect(r2.body.room_id).toBe(roomId);
    expect(await membershipOf(alice, roomId, carol.userId)).toBe('join');
    expect(await joinedRooms(bob)).toContain(roomId);
    expect(await joinedRooms(carol)).toContain(roomId);
  });

  it('joins by alias and answers with the room id', async () => {
    const [alice, bob] = await Promise.all([registerUser(), registerUser()]);
    const localpart = `join-${alice.localpart}`;
    const roomId = await createRoom(alice, { preset: 'public_chat', room_alias_name: localpart });
    const r = await join(bob, `#${localpart}:${SERVER_NAME}`);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expectSpec(JOIN, 200, r.body);
    expect(r.body.room_id).toBe(roomId);
    expect(await membershipOf(alice, roomId, bob.userId)).toBe('join');
  });

  // 200 is the spec's; sending no second event is this server's choice (as Synapse's), see intents.ts.
  it('joining again while joined changes nothing and succeeds', async () => {
    const [alice, bob] = await Promise.all([registerUser(), registerUser()]);
    const roomId = await createRoom(alice, { preset: 'public_chat' });
    expect((await join(bob, roomId)).status).toBe(200);
    const before = (await call('GET', roomPath(roomId, `/state/m.room.member/${enc(bob.userId)}?format=event`), { token: bob.token })).body.event_id;
    const again = await join(bob, roomId);
    expect(again.status).toBe(200);
    expect(again.body.room_id).toBe(roomId);
    const after = (await call('GET', roomPath(roomId, `/state/m.room.member/${enc(bob.userId)}?format=event`), { token: bob.token })).body.event_id;
    expect(after).toBe(before);
  });

  it('an unknown alias → 404 M_NOT_FOUND; a malformed room id or alias → 400 M_INVALID_PARAM', async () => {
    const bob = await registerUser();
    const r = await join(bob, `#nothing-${bob.localpart}:${SERVER_NAME}`);
    expect(r.status).toBe(404);
    expect(r.body.errcode).toBe('M_NOT_FOUND');
    for (const bad of ['not-a-room', '#no-server']) {
      const b = await join(bob, bad);
      expect(b.status, bad).toBe(400);
      expect(b.body.errcode, bad).toBe('M_INVALID_PARAM');
    }
    const byId = await call('POST', v3('/rooms/not-a-room/join'), { token: bob.token, body: {} });
    expect(byId.status).toBe(400);
    expect(byId.body.errcode).toBe('M_INVALID_PARAM');
  });

  it('joining an invite-only room uninvited → 403 M_FORBIDDEN, and no member event is left', async () => {
    const [alice, mallory] = await Promise.all([registerUser(), registerUser()]);
    const roomId = await createRoom(alice, { preset: 'private_chat' });
    expectForbidden(await join(mallory, roomId), 'join invite-only');
    expectForbidden(await joinById(mallory, roomId), 'join invite-only by id');
    expect((await getState(alice, roomId, 'm.room.member', mallory.userId)).status).toBe(404);
    expect(await joinedRooms(mallory)).not.toContain(roomId);
  });
});

describe('inviting', () => {
  it('invites, the invitee joins an invite-only room; inviting an invited user again succeeds', async () => {
    const [alice, bob] = await Promise.all([registerUser(), registerUser()]);
    const roomId = await createRoom(alice, { preset: 'private_chat' });
    const r = await member(alice, roomId, 'invite', bob.userId, 'come in');
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expectSpec(INVITE, 200, r.body);
    expect(r.body).toEqual({});
    const ev = await memberEvent(alice, roomId, bob.userId);
    expect(ev.membership).toBe('invite');
    expect(ev.reason).toBe('come in');
    // inviting.yaml 200: "The user has been invited to join the room, or was already invited to the room."
    const again = await member(alice, roomId, 'invite', bob.userId);
    expect(again.status).toBe(200);
    expect(await joinedRooms(bob)).not.toContain(roomId);
    expect((await join(bob, roomId)).status).toBe(200);
    expect(await membershipOf(alice, roomId, bob.userId)).toBe('join');
  });

  it('refuses invites from a user who is not in the room, below the invite level, to a member, or to a banned user', async () => {
    const [alice, bob, carol, dave, mallory] = await Promise.all([registerUser(), registerUser(), registerUser(), registerUser(), registerUser()]);
    // public_chat: invite level 50, users default 0.
    const roomId = await createRoom(alice, { preset: 'public_chat' });
    expectForbidden(await member(mallory, roomId, 'invite', carol.userId), 'inviter not in room');
    expect((await join(bob, roomId)).status).toBe(200);
    expectForbidden(await member(bob, roomId, 'invite', carol.userId), 'inviter below invite level');
    expectForbidden(await member(alice, roomId, 'invite', bob.userId), 'invitee already joined');
    expect((await member(alice, roomId, 'ban', dave.userId)).status).toBe(200);
    expectForbidden(await member(alice, roomId, 'invite', dave.userId), 'invitee banned');
    expect(await membershipOf(alice, roomId, carol.userId)).toBeUndefined();
    expect(await membershipOf(alice, roomId, dave.userId)).toBe('ban');
  });

  it('refuses an invalid user id (400 M_INVALID_PARAM) and a body without user_id (400)', async () => {
    const alice = await registerUser();
    const roomId = await createRoom(alice);
    const bad = await member(alice, roomId, 'invite', 'bob');
    expect(bad.status).toBe(400);
    expect(bad.body.errcode).toBe('M_INVALID_PARAM');
    const none = await call('POST', roomPath(roomId, '/invite'), { token: alice.token, body: {} });
    expect(none.status).toBe(400);
  });

  it('leaving an invite rejects it; an invite can be set through the state API', async () => {
    const [alice, bob] = await Promise.all([registerUser(), registerUser()]);
    const roomId = await createRoom(alice, { preset: 'private_chat' });
    const viaState = await putState(alice, roomId, 'm.room.member', { membership: 'invite' }, bob.userId);
    expect(viaState.status, JSON.stringify(viaState.body)).toBe(200);
    expect(await membershipOf(alice, roomId, bob.userId)).toBe('invite');
    const r = await leave(bob, roomId);
    expect(r.status).toBe(200);
    expectSpec('POST /_matrix/client/v3/rooms/{roomId}/leave', 200, r.body);
    const ev = await memberEvent(alice, roomId, bob.userId);
    expect(ev.membership).toBe('leave');
    // Invite-only: a rejected invitee needs a new invite.
    expectForbidden(await join(bob, roomId), 'join after rejecting');
  });
});

describe('leaving, kicking, banning', () => {
  it('leave: membership leave with the reason; the room leaves joined_rooms; rejoining a public room works', async () => {
    const [alice, bob] = await Promise.all([registerUser(), registerUser()]);
    const roomId = await createRoom(alice, { preset: 'public_chat' });
    expect((await join(bob, roomId)).status).toBe(200);
    const r = await call('POST', roomPath(roomId, '/leave'), { token: bob.token, body: { reason: 'bye' } });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({});
    expect(await memberEvent(alice, roomId, bob.userId)).toEqual({ membership: 'leave', reason: 'bye' });
    expect(await joinedRooms(bob)).not.toContain(roomId);
    expect((await join(bob, roomId)).status).toBe(200);
    expect(await joinedRooms(bob)).toContain(roomId);
  });

  it('leave without a body, and leaving a room one is not in → 403', async () => {
    const [alice, bob] = await Promise.all([registerUser(), registerUser()]);
    const roomId = await createRoom(alice, { preset: 'public_chat' });
    expectForbidden(await call('POST', roomPath(roomId, '/leave'), { token: bob.token }), 'leave when not in room');
    expect((await join(bob, roomId)).status).toBe(200);
    expect((await call('POST', roomPath(roomId, '/leave'), { token: bob.token })).status).toBe(200);
  });

  it('kick: the kicked user leaves (sender is the kicker, reason kept) and may rejoin a public room', async () => {
    const [alice, bob] = await Promise.all([registerUser(), registerUser()]);
    const roomId = await createRoom(alice, { preset: 'public_chat' });
    expect((await join(bob, roomId)).status).toBe(200);
    const r = await member(alice, roomId, 'kick', bob.userId, 'spam');
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expectSpec('POST /_matrix/client/v3/rooms/{roomId}/kick', 200, r.body);
    const ev = (await call('GET', roomPath(roomId, `/state/m.room.member/${enc(bob.userId)}?format=event`), { token: alice.token })).body;
    expect(ev.sender).toBe(alice.userId);
    expect(ev.content).toEqual({ membership: 'leave', reason: 'spam' });
    expectEventSpec(ev);
    expect(await joinedRooms(bob)).not.toContain(roomId);
    expect((await join(bob, roomId)).status).toBe(200);
  });

  it('kick refused: without the kick level, and when the target is not in the room', async () => {
    const [alice, bob, carol, stranger] = await Promise.all([registerUser(), registerUser(), registerUser(), registerUser()]);
    const roomId = await createRoom(alice, { preset: 'public_chat' });
    expect((await join(bob, roomId)).status).toBe(200);
    expect((await join(carol, roomId)).status).toBe(200);
    expectForbidden(await member(bob, roomId, 'kick', carol.userId), 'kick without power');
    expectForbidden(await member(bob, roomId, 'kick', alice.userId), 'kick a creator');
    expectForbidden(await member(alice, roomId, 'kick', stranger.userId), 'kick someone not in the room');
    expect(await membershipOf(alice, roomId, carol.userId)).toBe('join');
    expect(await membershipOf(alice, roomId, stranger.userId)).toBeUndefined();
  });

  it('ban: the banned user is out, cannot rejoin or be invited until unbanned; unban leaves them able to join again', async () => {
    const [alice, bob] = await Promise.all([registerUser(), registerUser()]);
    const roomId = await createRoom(alice, { preset: 'public_chat' });
    expect((await join(bob, roomId)).status).toBe(200);
    const r = await member(alice, roomId, 'ban', bob.userId, 'rude');
    expect(r.status).toBe(200);
    expectSpec('POST /_matrix/client/v3/rooms/{roomId}/ban', 200, r.body);
    expect(await memberEvent(alice, roomId, bob.userId)).toEqual({ membership: 'ban', reason: 'rude' });
    expect(await joinedRooms(bob)).not.toContain(roomId);
    expectForbidden(await join(bob, roomId), 'banned user rejoining');
    expectForbidden(await joinById(bob, roomId), 'banned user rejoining by id');
    expectForbidden(await send(bob, roomId), 'banned user sending');
    expectForbidden(await member(alice, roomId, 'invite', bob.userId), 'inviting a banned user');

    const u = await member(alice, roomId, 'unban', bob.userId, 'second chance');
    expect(u.status).toBe(200);
    expectSpec('POST /_matrix/client/v3/rooms/{roomId}/unban', 200, u.body);
    expect(await memberEvent(alice, roomId, bob.userId)).toEqual({ membership: 'leave', reason: 'second chance' });
    expect((await join(bob, roomId)).status).toBe(200);
  });

  it('ban works on users who never joined, and through the state API', async () => {
    const [alice, bob, carol] = await Promise.all([registerUser(), registerUser(), registerUser()]);
    const roomId = await createRoom(alice, { preset: 'public_chat' });
    expect((await member(alice, roomId, 'ban', bob.userId)).status).toBe(200);
    expectForbidden(await join(bob, roomId), 'pre-banned user joining');
    const viaState = await putState(alice, roomId, 'm.room.member', { membership: 'ban', reason: 'state api' }, carol.userId);
    expect(viaState.status, JSON.stringify(viaState.body)).toBe(200);
    expect(await memberEvent(alice, roomId, carol.userId)).toEqual({ membership: 'ban', reason: 'state api' });
    expectForbidden(await join(carol, roomId), 'user banned by state joining');
  });

  it('ban and unban refused without the ban level', async () => {
    const [alice, bob, carol] = await Promise.all([registerUser(), registerUser(), registerUser()]);
    const roomId = await createRoom(alice, { preset: 'public_chat' });
    expect((await join(bob, roomId)).status).toBe(200);
    expect((await join(carol, roomId)).status).toBe(200);
    expectForbidden(await member(bob, roomId, 'ban', carol.userId), 'ban without power');
    expect((await member(alice, roomId, 'ban', carol.userId)).status).toBe(200);
    expectForbidden(await member(bob, roomId, 'unban', carol.userId), 'unban without power');
    expect(await membershipOf(alice, roomId, carol.userId)).toBe('ban');
  });

  it('kick/ban/unban bodies: user_id is required and must be a user id', async () => {
    const alice = await registerUser();
    const roomId = await createRoom(alice);
    for (const action of ['kick', 'ban', 'unban']) {
      const none = await call('POST', roomPath(roomId, `/${action}`), { token: alice.token, body: { reason: 'x' } });
      expect(none.status, action).toBe(400);
      expect(none.body.errcode, action).toBe('M_BAD_JSON');
      const bad = await call('POST', roomPath(roomId, `/${action}`), { token: alice.token, body: { user_id: 'nobody' } });
      expect(bad.status, action).toBe(400);
      expect(bad.body.errcode, action).toBe('M_INVALID_PARAM');
    }
  });
});

describe('forgetting', () => {
  it('forget while joined → 400; after leaving → 200 {}', async () => {
    const [alice, bob] = await Promise.all([registerUser(), registerUser()]);
    const roomId = await createRoom(alice, { preset: 'public_chat' });
    expect((await join(bob, roomId)).status).toBe(200);
    const joined = await forget(bob, roomId);
    expect(joined.status).toBe(400);
    expect(joined.body.errcode).toBe('M_UNKNOWN');
    expect((await leave(bob, roomId)).status).toBe(200);
    const r = await forget(bob, roomId);
    expect(r.status).toBe(200);
    expectSpec('POST /_matrix/client/v3/rooms/{roomId}/forget', 200, r.body);
    expect(r.body).toEqual({});
    // Rejoining is allowed after forgetting.
    expect((await join(bob, roomId)).status).toBe(200);
    expect(await joinedRooms(bob)).toContain(roomId);
  });
});

describe('knocking', () => {
  async function knockRoom(alice: TestUser, version = '12', alias?: string) {
    return createRoom(alice, {
      room_version: version,
      initial_state: [{ type: 'm.room.join_rules', content: { join_rule: 'knock' } }],
      ...(alias ? { room_alias_name: alias } : {}),
    });
  }

  it('knock on a v7+ room with join_rule knock, then the knock is accepted by an invite and the user joins', async () => {
    const [alice, bob] = await Promise.all([registerUser(), registerUser()]);
    await setDisplayName(bob, 'Knocker');
    const roomId = await knockRoom(alice, '7');
    const r = await knock(bob, roomId, { reason: 'let me in' });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expectSpec('POST /_matrix/client/v3/knock/{roomIdOrAlias}', 200, r.body);
    expect(r.body.room_id).toBe(roomId);
    expect(await memberEvent(alice, roomId, bob.userId)).toEqual({ membership: 'knock', displayname: 'Knocker', reason: 'let me in' });
    // Knocking is not joining: no sending, no joined_rooms.
    expectForbidden(await send(bob, roomId), 'knocker sending');
    expect(await joinedRooms(bob)).not.toContain(roomId);
    expect((await member(alice, roomId, 'invite', bob.userId)).status).toBe(200);
    expect((await join(bob, roomId)).status).toBe(200);
    expect(await membershipOf(alice, roomId, bob.userId)).toBe('join');
  });

  it('knock by alias; a knock is denied by a kick and can be retracted by leaving', async () => {
    const [alice, bob, carol] = await Promise.all([registerUser(), registerUser(), registerUser()]);
    const localpart = `knock-${alice.localpart}`;
    const roomId = await knockRoom(alice, '12', localpart);
    const r = await knock(bob, `#${localpart}:${SERVER_NAME}`);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body.room_id).toBe(roomId);
    expect((await member(alice, roomId, 'kick', bob.userId)).status).toBe(200);
    expect(await membershipOf(alice, roomId, bob.userId)).toBe('leave');

    expect((await knock(carol, roomId)).status).toBe(200);
    expect((await leave(carol, roomId)).status).toBe(200);
    expect(await membershipOf(alice, roomId, carol.userId)).toBe('leave');
  });

  it('refused: a room whose join rule is not knock, a room version before 7, members, invitees and banned users', async () => {
    const [alice, bob, carol, dave, erin] = await Promise.all([registerUser(), registerUser(), registerUser(), registerUser(), registerUser()]);
    const publicRoom = await createRoom(alice, { preset: 'public_chat' });
    expectForbidden(await knock(bob, publicRoom), 'knock on a public room');
    const inviteRoom = await createRoom(alice, { preset: 'private_chat' });
    expectForbidden(await knock(bob, inviteRoom), 'knock on an invite room');
    const v6 = await knockRoom(alice, '6');
    expectForbidden(await knock(bob, v6), 'knock in room version 6');

    const roomId = await knockRoom(alice);
    expectForbidden(await knock(alice, roomId), 'knock by a member');
    expect((await member(alice, roomId, 'invite', carol.userId)).status).toBe(200);
    expectForbidden(await knock(carol, roomId), 'knock by an invitee');
    expect((await member(alice, roomId, 'ban', dave.userId)).status).toBe(200);
    expectForbidden(await knock(dave, roomId), 'knock by a banned user');
    // An unknown alias → 404.
    const unknown = await knock(erin, `#nothing-${erin.localpart}:${SERVER_NAME}`);
    expect(unknown.status).toBe(404);
    expect(unknown.body.errcode).toBe('M_NOT_FOUND');
  });

  it('a knock-only room cannot be joined without an invite', async () => {
    const [alice, bob] = await Promise.all([registerUser(), registerUser()]);
    const roomId = await knockRoom(alice);
    expectForbidden(await join(bob, roomId), 'join a knock room uninvited');
    expect((await knock(bob, roomId)).status).toBe(200);
    expectForbidden(await join(bob, roomId), 'join a knock room after knocking, uninvited');
  });
});

describe('joined_rooms, /members and /joined_members as membership changes', () => {
  it('joined_rooms lists exactly the joined rooms', async () => {
    const [alice, bob] = await Promise.all([registerUser(), registerUser()]);
    const a = await createRoom(alice, { preset: 'public_chat' });
    const b = await createRoom(alice, { preset: 'public_chat' });
    const c = await createRoom(alice, { preset: 'private_chat', invite: [bob.userId] });
    expect(await joinedRooms(bob)).toEqual([]);
    expect((await join(bob, a)).status).toBe(200);
    expect((await join(bob, b)).status).toBe(200);
    expect((await leave(bob, b)).status).toBe(200);
    expect((await joinedRooms(bob)).sort()).toEqual([a]);
    expect(await joinedRooms(bob)).not.toContain(c);
    expect((await joinedRooms(alice)).sort()).toEqual([a, b, c].sort());
  });

  it('joined_rooms needs an access token', async () => {
    const r = await call('GET', v3('/joined_rooms'));
    expect(r.status).toBe(401);
    expect(r.body.errcode).toBe('M_MISSING_TOKEN');
  });
});

describe('non-members and users without power', () => {
  it('a user who never joined cannot read /messages, /state, /state/{type}, /members, /joined_members (403) or /event (404), nor send', async () => {
    const [alice, mallory] = await Promise.all([registerUser(), registerUser()]);
    const roomId = await createRoom(alice, { preset: 'public_chat', name: 'Private talk' });
    const eventId = await sendOk(alice, roomId, { msgtype: 'm.text', body: 'secret' });
    expectForbidden(await messages(mallory, roomId), '/messages');
    expectForbidden(await roomState(mallory, roomId), '/state');
    expectForbidden(await getState(mallory, roomId, 'm.room.name'), '/state/m.room.name');
    expectForbidden(await members(mallory, roomId), '/members');
    expectForbidden(await call('GET', roomPath(roomId, '/joined_members'), { token: mallory.token }), '/joined_members');
    const ev = await getEvent(mallory, roomId, eventId);
    expect(ev.status).toBe(404);
    expect((ev.body as any).errcode).toBe('M_NOT_FOUND');
    expectForbidden(await send(mallory, roomId), 'send');
    expectForbidden(await putState(mallory, roomId, 'm.room.topic', { topic: 'hijacked' }), 'state');
  });

  it('a member without power cannot change state guarded by a level', async () => {
    const [alice, bob] = await Promise.all([registerUser(), registerUser()]);
    const roomId = await createRoom(alice, { preset: 'public_chat', name: 'Original' });
    expect((await join(bob, roomId)).status).toBe(200);
    expectForbidden(await putState(bob, roomId, 'm.room.name', { name: 'Bob’s room' }), 'name');
    expectForbidden(await putState(bob, roomId, 'm.room.power_levels', { users: { [bob.userId]: 100 } }), 'power levels');
    expectForbidden(await putState(bob, roomId, 'm.room.join_rules', { join_rule: 'invite' }), 'join rules');
    expectForbidden(await putState(bob, roomId, 'org.example.state', { a: 1 }, ''), 'custom state (state_default 50)');
    expectForbidden(await putState(bob, roomId, 'm.room.member', { membership: 'join', displayname: 'x' }, alice.userId), 'another user’s member event');
    expect((await getState(bob, roomId, 'm.room.name')).body).toEqual({ name: 'Original' });
    // Raising them makes the same request pass.
    const pl = (await getState(alice, roomId, 'm.room.power_levels')).body;
    expect((await putState(alice, roomId, 'm.room.power_levels', { ...pl, users: { ...pl.users, [bob.userId]: 50 } })).status).toBe(200);
    expect((await putState(bob, roomId, 'm.room.name', { name: 'Bob’s room' })).status).toBe(200);
  });

  it('/members and /joined_members follow membership changes', async () => {
    const [alice, bob, carol] = await Promise.all([registerUser(), registerUser(), registerUser()]);
    await setDisplayName(bob, 'Bob');
    const roomId = await createRoom(alice, { preset: 'public_chat' });
    expect((await join(bob, roomId)).status).toBe(200);
    expect((await member(alice, roomId, 'invite', carol.userId)).status).toBe(200);
    const jm = await call('GET', roomPath(roomId, '/joined_members'), { token: bob.token });
    expect(jm.status).toBe(200);
    expectSpec('GET /_matrix/client/v3/rooms/{roomId}/joined_members', 200, jm.body);
    expect(Object.keys(jm.body.joined).sort()).toEqual([alice.userId, bob.userId].sort());
    expect(jm.body.joined[bob.userId]).toEqual({ display_name: 'Bob' });
    const m = await members(bob, roomId);
    expect(m.status).toBe(200);
    expectSpec('GET /_matrix/client/v3/rooms/{roomId}/members', 200, m.body);
    expect(Object.fromEntries(m.body.chunk.map((e) => [e.state_key, e.content.membership]))).toEqual({
      [alice.userId]: 'join',
      [bob.userId]: 'join',
      [carol.userId]: 'invite',
    });
    // The invitee is not joined: no joined_members for them.
    expectForbidden(await call('GET', roomPath(roomId, '/joined_members'), { token: carol.token }), 'joined_members for an invitee');
  });
});
