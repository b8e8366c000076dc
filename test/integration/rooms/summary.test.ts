// GET /_matrix/client/v1/room_summary/{roomIdOrAlias}.
import { describe, expect, it } from 'vitest';
import { call, registerUser, SERVER_NAME, uniqueName, type TestUser } from '../helpers/client';
import { createRoom, join, leave, member } from '../helpers/rooms';
import { expectSpec } from '../helpers/spec';

const OP = 'GET /_matrix/client/v1/room_summary/{roomIdOrAlias}';
const summary = (idOrAlias: string, user?: TestUser) =>
  call('GET', `/_matrix/client/v1/room_summary/${encodeURIComponent(idOrAlias)}`, { token: user?.token });

describe('room summary', () => {
  it('summarises a public room for anyone, with the membership of those signed in', async () => {
    const alice = await registerUser();
    const bob = await registerUser();
    const aliasName = uniqueName('sum');
    const roomId = await createRoom(alice, {
      preset: 'public_chat',
      name: 'Summary',
      topic: 'About it',
      room_alias_name: aliasName,
      creation_content: { type: 'm.space' },
      initial_state: [{ type: 'm.room.encryption', content: { algorithm: 'm.megolm.v1.aes-sha2' } }],
    });
    const anonymous = await summary(roomId);
    expect(anonymous.status, JSON.stringify(anonymous.body)).toBe(200);
    expectSpec(OP, 200, anonymous.body);
    expect(anonymous.body).toEqual({
      room_id: roomId,
      name: 'Summary',
      topic: 'About it',
      canonical_alias: `#${aliasName}:${SERVER_NAME}`,
      num_joined_members: 1,
      world_readable: false,
      guest_can_join: false,
      join_rule: 'public',
      room_type: 'm.space',
      room_version: '12',
      encryption: 'm.megolm.v1.aes-sha2',
    });

    const byAlias = await summary(`#${aliasName}:${SERVER_NAME}`, alice);
    expectSpec(OP, 200, byAlias.body);
    expect(byAlias.body).toMatchObject({ room_id: roomId, membership: 'join' });
    expect((await summary(roomId, bob)).body.membership).toBe('leave');
    expect((await join(bob, roomId)).status).toBe(200);
    expect((await summary(roomId, bob)).body).toMatchObject({ membership: 'join', num_joined_members: 2 });
    expect((await leave(bob, roomId)).status).toBe(200);
    expect((await summary(roomId, bob)).body.membership).toBe('leave');
    expect((await member(alice, roomId, 'ban', bob.userId)).status).toBe(200);
    expect((await summary(roomId, bob)).body.membership).toBe('ban');
  });

  it('hides invite-only rooms from strangers and shows them to members and invitees', async () => {
    const alice = await registerUser();
    const bob = await registerUser();
    const carol = await registerUser();
    const roomId = await createRoom(alice, { preset: 'private_chat', name: 'Private' });
    for (const [who, label] of [[undefined, 'anonymous'], [carol, 'stranger']] as const) {
      const r = await summary(roomId, who);
      expect(r.status, label).toBe(404);
      expect(r.body.errcode, label).toBe('M_NOT_FOUND');
    }
    expect((await summary(roomId, alice)).body).toMatchObject({ room_id: roomId, membership: 'join', join_rule: 'invite', guest_can_join: true });
    expect((await member(alice, roomId, 'invite', bob.userId)).status).toBe(200);
    const invited = await summary(roomId, bob);
    expect(invited.status).toBe(200);
    expectSpec(OP, 200, invited.body);
    expect(invited.body.membership).toBe('invite');
  });

  it('shows world-readable, knockable and (to those who qualify) restricted rooms', async () => {
    const alice = await registerUser();
    const bob = await registerUser();
    const readable = await createRoom(alice, { preset: 'private_chat', initial_state: [{ type: 'm.room.history_visibility', content: { history_visibility: 'world_readable' } }] });
    expect((await summary(readable)).body).toMatchObject({ room_id: readable, world_readable: true });
    const knock = await createRoom(alice, { preset: 'private_chat', initial_state: [{ type: 'm.room.join_rules', content: { join_rule: 'knock' } }] });
    expect((await summary(knock)).body).toMatchObject({ room_id: knock, join_rule: 'knock' });
    // Knocking needs room version 7: in version 6 the rule means nothing, and the room stays hidden.
    const oldKnock = await createRoom(alice, { preset: 'private_chat', room_version: '6', initial_state: [{ type: 'm.room.join_rules', content: { join_rule: 'knock' } }] });
    expect((await summary(oldKnock)).status).toBe(404);

    const space = await createRoom(alice, { preset: 'private_chat' });
    const restricted = await createRoom(alice, {
      preset: 'private_chat',
      initial_state: [{ type: 'm.room.join_rules', content: { join_rule: 'restricted', allow: [{ type: 'm.room_membership', room_id: space }] } }],
    });
    expect((await summary(restricted, bob)).status).toBe(404);
    expect((await member(alice, space, 'invite', bob.userId)).status).toBe(200);
    expect((await join(bob, space)).status).toBe(200);
    const allowed = await summary(restricted, bob);
    expect(allowed.status).toBe(200);
    expectSpec(OP, 200, allowed.body);
    expect(allowed.body).toMatchObject({ join_rule: 'restricted', allowed_room_ids: [space], membership: 'leave' });
    expect((await summary(restricted)).status).toBe(404);
  });

  it('answers unknown rooms and aliases with 404, and refuses bad input', async () => {
    const alice = await registerUser();
    expect((await summary(`!unknown:${SERVER_NAME}`, alice)).status).toBe(404);
    expect((await summary(`#unknown${uniqueName()}:${SERVER_NAME}`)).body.errcode).toBe('M_NOT_FOUND');
    expect((await summary('nonsense', alice)).body.errcode).toBe('M_INVALID_PARAM');
    expect((await summary('#nocolon')).body.errcode).toBe('M_INVALID_PARAM');
    // Another server's alias is asked of that server (test/integration/federation/); this one cannot be reached.
    const remote = await call('GET', `/_matrix/client/v1/room_summary/${encodeURIComponent('#room:elsewhere.example')}`, { vars: { FEDERATION_RESOLVE: 'none.test=http://127.0.0.1:9' } });
    expect(remote.status).toBe(502);
    const roomId = await createRoom(alice, { preset: 'public_chat' });
    const badToken = await call('GET', `/_matrix/client/v1/room_summary/${encodeURIComponent(roomId)}`, { token: 'nope' });
    expect(badToken.status).toBe(401);
    expect(badToken.body.errcode).toBe('M_UNKNOWN_TOKEN');
  });
});
