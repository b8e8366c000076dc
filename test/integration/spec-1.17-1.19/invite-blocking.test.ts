// Invite blocking (v1.18, MSC4380: client-server "Invite permission"): m.invite_permission_config
// with default_action "block" makes the user's server refuse invites with 403 M_INVITE_BLOCKED
// (POST /invite, PUT /state/m.room.member, POST /createRoom, PUT /federation/v2/invite), and invites
// already received are not served by /sync while the block lasts.
import { describe, expect, it } from 'vitest';
import { call, registerUser, type Reply, type TestUser } from '../helpers/client';
import { createRoom, createRoomRaw, enc, getState, member, putState, roomPath } from '../helpers/rooms';
import { expectSpec } from '../helpers/spec';
import { fakeServer, interceptFederation } from '../federation/fake-server';
import { sync } from '../sync/helpers';
import { listBody, ss } from '../sliding-sync/helpers';
import { getAccountData, putAccountData } from './helpers';

interceptFederation();

const CONFIG = 'm.invite_permission_config';

function blocked(r: Reply, operation?: string) {
  expect(r.status, JSON.stringify(r.body)).toBe(403);
  expect(r.body.errcode).toBe('M_INVITE_BLOCKED');
  if (operation) expectSpec(operation, 403, r.body);
}

async function block(user: TestUser, content: Record<string, unknown> = { default_action: 'block' }) {
  const r = await putAccountData(user, CONFIG, content);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
}

describe('invite blocking', () => {
  it('the setting is ordinary account data', async () => {
    const bob = await registerUser();
    await block(bob);
    const r = await getAccountData(bob, CONFIG);
    expect(r.status).toBe(200);
    expectSpec('GET /_matrix/client/v3/user/{userId}/account_data/{type}', 200, r.body);
    expect(r.body).toEqual({ default_action: 'block' });
    const s = await sync(bob);
    expect(s.account_data.events).toContainEqual({ type: CONFIG, content: { default_action: 'block' } });
  });

  it('refuses local invites through /invite, the state API and createRoom, with nothing stored', async () => {
    const alice = await registerUser();
    const bob = await registerUser();
    await block(bob);
    const roomId = await createRoom(alice);
    blocked(await member(alice, roomId, 'invite', bob.userId), 'POST /_matrix/client/v3/rooms/{roomId}/invite');
    blocked(await putState(alice, roomId, 'm.room.member', { membership: 'invite' }, bob.userId), 'PUT /_matrix/client/v3/rooms/{roomId}/state/{eventType}/{stateKey}');
    expect((await getState(alice, roomId, 'm.room.member', bob.userId)).status).toBe(404);

    const before = (await call('GET', '/_matrix/client/v3/joined_rooms', { token: alice.token })).body.joined_rooms;
    blocked(await createRoomRaw(alice, { invite: [bob.userId] }), 'POST /_matrix/client/v3/createRoom');
    expect((await call('GET', '/_matrix/client/v3/joined_rooms', { token: alice.token })).body.joined_rooms).toEqual(before);
    // Other users of the same server are not affected.
    const carol = await registerUser();
    expect((await member(alice, roomId, 'invite', carol.userId)).status).toBe(200);
  });

  it('only default_action "block" blocks; removing it lets invites through again', async () => {
    const alice = await registerUser();
    const bob = await registerUser();
    const roomId = await createRoom(alice);
    for (const content of [{}, { default_action: 'allow' }, { default_action: 'BLOCK' }, { default_action: ['block'] }]) {
      await block(bob, content);
      const r = await member(alice, roomId, 'invite', bob.userId);
      expect(r.status, `${JSON.stringify(content)}: ${JSON.stringify(r.body)}`).toBe(200);
      expect((await member(alice, roomId, 'kick', bob.userId)).status).toBe(200);
    }
    await block(bob);
    blocked(await member(alice, roomId, 'invite', bob.userId));
    await block(bob, {});
    expect((await member(alice, roomId, 'invite', bob.userId)).status).toBe(200);
  });

  it('pending invites are not served by /sync while blocked, and come back once unblocked', async () => {
    const alice = await registerUser();
    const bob = await registerUser();
    const roomId = await createRoom(alice, { invite: [bob.userId] });
    expect((await sync(bob)).rooms?.invite?.[roomId]).toBeDefined();
    await block(bob);
    const hidden = await sync(bob);
    expect(hidden.rooms?.invite?.[roomId]).toBeUndefined();
    expect((await sync(bob, { full_state: true, since: hidden.next_batch })).rooms?.invite?.[roomId]).toBeUndefined();
    // Invite events are still part of the room state for everyone else (spec: other endpoints unaffected).
    expect((await getState(alice, roomId, 'm.room.member', bob.userId)).body.membership).toBe('invite');
    await block(bob, {});
    expect((await sync(bob)).rooms?.invite?.[roomId]).toBeDefined();
    // The invite can still be rejected while blocked.
    await block(bob);
    expect((await call('POST', roomPath(roomId, '/leave'), { token: bob.token, body: {} })).status).toBe(200);
  });

  // The spec names every client synchronisation endpoint: simplified sliding sync (MSC4186) too.
  it('pending invites are not served by sliding sync while blocked either', async () => {
    const alice = await registerUser();
    const bob = await registerUser();
    const roomId = await createRoom(alice, { invite: [bob.userId] });
    const list = listBody({ ranges: [[0, 20]] });
    expect((await ss(bob, list)).rooms[roomId]?.invite_state).toBeDefined();
    await block(bob);
    // Neither in the list nor through a room subscription.
    const hidden = await ss(bob, { ...list, room_subscriptions: { [roomId]: { timeline_limit: 1 } } });
    expect(hidden.rooms[roomId]).toBeUndefined();
    expect(hidden.lists.all.count).toBe(0);
    await block(bob, {});
    expect((await ss(bob, list)).rooms[roomId]?.invite_state).toBeDefined();
  });

  it('refuses invites from other servers (PUT /_matrix/federation/v2/invite)', async () => {
    const bob = await registerUser();
    const remote = await fakeServer();
    const roomId = `!room${Date.now()}:${remote.name}`;
    const send = async () => {
      const { eventId, event } = await remote.signEvent(
        {
          room_id: roomId,
          type: 'm.room.member',
          state_key: bob.userId,
          sender: remote.user('alice'),
          content: { membership: 'invite' },
          origin: remote.name,
          origin_server_ts: Date.now(),
          depth: 3,
          prev_events: [`$${'A'.repeat(43)}`],
          auth_events: [`$${'B'.repeat(43)}`],
        },
        '10',
      );
      const create = { type: 'm.room.create', state_key: '', sender: remote.user('alice'), content: { room_version: '10' } };
      return remote.request('PUT', `/_matrix/federation/v2/invite/${enc(roomId)}/${enc(eventId)}`, { body: { event, room_version: '10', invite_room_state: [create] } });
    };
    await block(bob);
    const refused = await send();
    blocked(refused, 'PUT /_matrix/federation/v2/invite/{roomId}/{eventId}');
    expect((await sync(bob)).rooms?.invite?.[roomId]).toBeUndefined();
    await block(bob, {});
    const accepted = await send();
    expect(accepted.status, JSON.stringify(accepted.body)).toBe(200);
    expectSpec('PUT /_matrix/federation/v2/invite/{roomId}/{eventId}', 200, accepted.body);
    expect((await sync(bob)).rooms?.invite?.[roomId]).toBeDefined();
  });

  it("an invite the invitee's server refuses with M_INVITE_BLOCKED fails with it", async () => {
    const alice = await registerUser();
    const remote = await fakeServer();
    remote.on('PUT', /^\/_matrix\/federation\/v2\/invite\//, () => new Response(JSON.stringify({ errcode: 'M_INVITE_BLOCKED', error: 'no' }), { status: 403, headers: { 'content-type': 'application/json' } }));
    const roomId = await createRoom(alice);
    const target = remote.user('bob');
    blocked(await member(alice, roomId, 'invite', target), 'POST /_matrix/client/v3/rooms/{roomId}/invite');
    blocked(await createRoomRaw(alice, { invite: [target] }), 'POST /_matrix/client/v3/createRoom');
  });
});
