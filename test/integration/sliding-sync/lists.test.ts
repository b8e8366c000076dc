// Lists and subscriptions (MSC4186): rooms by recency, ranges and counts, a room moving up the
// list when a message arrives, each filter, and room subscriptions.
import { describe, expect, it } from 'vitest';
import { call, registerUser } from '../helpers/client';
import { createRoom, enc, join, knock, leave, member, putState, sendOk } from '../helpers/rooms';
import { invite, putAccountData, roomWith, users } from '../sync/helpers';
import { listBody, ss, ssRaw } from './helpers';

/** `n` rooms of `owner` joined by `user`, created oldest first. */
async function rooms(owner: Awaited<ReturnType<typeof registerUser>>, user: typeof owner, n: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(await roomWith(owner, [user], { name: `room ${i}` }));
  return out;
}

describe('ordering, ranges and counts', () => {
  it('orders rooms by their newest event and returns the range asked for, with the count of all', async () => {
    const [alice, bob] = await users(2);
    const ids = await rooms(alice, bob, 5);
    const b = await ss(bob, listBody({ ranges: [[0, 2]] }));
    expect(b.lists.all.count).toBe(5);
    // The three newest: the last created.
    expect(Object.keys(b.rooms).sort()).toEqual([ids[4], ids[3], ids[2]].sort());
    for (const id of [ids[4], ids[3], ids[2]]) expect(b.rooms[id].lists).toEqual(['all']);
    const rest = await ss(bob, listBody({ ranges: [[3, 10]] }));
    expect(Object.keys(rest.rooms).sort()).toEqual([ids[1], ids[0]].sort());
  });

  it('takes several ranges, and the whole list without ranges', async () => {
    const [alice, bob] = await users(2);
    const ids = await rooms(alice, bob, 5);
    const b = await ss(bob, listBody({ ranges: [[0, 0], [4, 4]] }));
    expect(Object.keys(b.rooms).sort()).toEqual([ids[4], ids[0]].sort());
    const all = await ss(bob, listBody({}));
    expect(Object.keys(all.rooms).sort()).toEqual([...ids].sort());
    // MSC4186's newer single `range`.
    const single = await ss(bob, listBody({ range: [1, 1] }));
    expect(Object.keys(single.rooms)).toEqual([ids[3]]);
  });

  it('moves a room up the list when a message arrives, sending only that room', async () => {
    const [alice, bob] = await users(2);
    const ids = await rooms(alice, bob, 4);
    const body = listBody({ ranges: [[0, 1]] });
    const first = await ss(bob, body);
    expect(Object.keys(first.rooms).sort()).toEqual([ids[3], ids[2]].sort());
    const msg = await sendOk(alice, ids[0]);
    const next = await ss(bob, body, { pos: first.pos });
    // The oldest room is now the newest: it enters the window, new to the connection.
    expect(Object.keys(next.rooms)).toEqual([ids[0]]);
    expect(next.rooms[ids[0]].initial).toBe(true);
    expect(next.rooms[ids[0]].timeline!.map((e) => e.event_id)).toEqual([msg]);
    expect(next.rooms[ids[0]].bump_stamp).toBeGreaterThan(first.rooms[ids[3]].bump_stamp!);
    expect(next.lists.all.count).toBe(4);
    // A message in a room already sent: the room comes again with just the news.
    const msg2 = await sendOk(alice, ids[3]);
    const third = await ss(bob, body, { pos: next.pos });
    expect(Object.keys(third.rooms)).toEqual([ids[3]]);
    expect(third.rooms[ids[3]].initial).toBeUndefined();
    expect(third.rooms[ids[3]].timeline!.map((e) => e.event_id)).toEqual([msg2]);
  });

  it('sends a room again in full once it was out of the window and changed meanwhile', async () => {
    const [alice, bob] = await users(2);
    const ids = await rooms(alice, bob, 3);
    const body = listBody({ ranges: [[0, 0]], timeline_limit: 5 });
    const first = await ss(bob, body);
    expect(Object.keys(first.rooms)).toEqual([ids[2]]);
    const a = await sendOk(alice, ids[1]);
    const second = await ss(bob, body, { pos: first.pos });
    expect(Object.keys(second.rooms)).toEqual([ids[1]]);
    // ids[2] left the window; it gets a message, then comes back to the top.
    const b = await sendOk(alice, ids[2]);
    const third = await ss(bob, body, { pos: second.pos });
    expect(Object.keys(third.rooms)).toEqual([ids[2]]);
    expect(third.rooms[ids[2]].initial).toBeUndefined();
    expect(third.rooms[ids[2]].timeline!.map((e) => e.event_id)).toEqual([b]);
    expect(a).not.toBe(b);
  });
});

describe('filters', () => {
  it('is_dm: rooms in m.direct, or not', async () => {
    const [alice, bob] = await users(2);
    const [dm, group] = await rooms(alice, bob, 2);
    expect((await putAccountData(bob, 'm.direct', { [alice.userId]: [dm] })).status).toBe(200);
    const yes = await ss(bob, listBody({ ranges: [[0, 9]], filters: { is_dm: true } }));
    expect(Object.keys(yes.rooms)).toEqual([dm]);
    expect(yes.rooms[dm].is_dm).toBe(true);
    const no = await ss(bob, listBody({ ranges: [[0, 9]], filters: { is_dm: false } }));
    expect(Object.keys(no.rooms)).toEqual([group]);
    expect(no.rooms[group].is_dm).toBeUndefined();
  });

  it('is_encrypted: rooms with an m.room.encryption state event, or not', async () => {
    const [alice, bob] = await users(2);
    const [plain, secret] = await rooms(alice, bob, 2);
    expect((await putState(alice, secret, 'm.room.encryption', { algorithm: 'm.megolm.v1.aes-sha2' })).status).toBe(200);
    expect(Object.keys((await ss(bob, listBody({ ranges: [[0, 9]], filters: { is_encrypted: true } }))).rooms)).toEqual([secret]);
    expect(Object.keys((await ss(bob, listBody({ ranges: [[0, 9]], filters: { is_encrypted: false } }))).rooms)).toEqual([plain]);
  });

  it('is_invite (and is_invited): invites only, or none', async () => {
    const [alice, bob] = await users(2);
    const [joined] = await rooms(alice, bob, 1);
    const invited = await createRoom(alice, { preset: 'private_chat' });
    await invite(alice, invited, bob);
    const yes = await ss(bob, listBody({ ranges: [[0, 9]], filters: { is_invite: true } }));
    expect(Object.keys(yes.rooms)).toEqual([invited]);
    expect(Object.keys((await ss(bob, listBody({ ranges: [[0, 9]], filters: { is_invited: true } }))).rooms)).toEqual([invited]);
    expect(Object.keys((await ss(bob, listBody({ ranges: [[0, 9]], filters: { is_invite: false } }))).rooms)).toEqual([joined]);
  });

  it('room_types and not_room_types: by the create event type, null for none', async () => {
    const [alice, bob] = await users(2);
    const [room] = await rooms(alice, bob, 1);
    const space = await roomWith(alice, [bob], { creation_content: { type: 'm.space' } });
    const only = (f: Record<string, unknown>) => ss(bob, listBody({ ranges: [[0, 9]], filters: f })).then((b) => Object.keys(b.rooms).sort());
    expect(await only({ room_types: ['m.space'] })).toEqual([space]);
    expect(await only({ room_types: [null] })).toEqual([room]);
    expect(await only({ not_room_types: ['m.space'] })).toEqual([room]);
    expect(await only({ room_types: [null, 'm.space'], not_room_types: ['m.space'] })).toEqual([room]);
  });

  it('spaces: the children of joined spaces only, not of subspaces', async () => {
    const [alice, bob] = await users(2);
    const [child, other, grandchild] = await rooms(alice, bob, 3);
    const space = await roomWith(alice, [bob], { creation_content: { type: 'm.space' } });
    const sub = await roomWith(alice, [bob], { creation_content: { type: 'm.space' } });
    const notJoined = await createRoom(alice, { creation_content: { type: 'm.space' } });
    const via = { via: ['test.local'] };
    for (const [parent, kid] of [[space, child], [space, sub], [sub, grandchild], [notJoined, other]]) expect((await putState(alice, parent, 'm.space.child', via, kid)).status).toBe(200);
    // A child without via is not a child.
    expect((await putState(alice, space, 'm.space.child', {}, other)).status).toBe(200);
    const b = await ss(bob, listBody({ ranges: [[0, 9]], filters: { spaces: [space, notJoined] } }));
    expect(Object.keys(b.rooms).sort()).toEqual([child, sub].sort());
  });

  it('tags and not_tags: by the m.tag room account data', async () => {
    const [alice, bob] = await users(2);
    const [fav, low, none] = await rooms(alice, bob, 3);
    const tag = (roomId: string, name: string) => call('PUT', `/_matrix/client/v3/user/${enc(bob.userId)}/rooms/${enc(roomId)}/tags/${enc(name)}`, { token: bob.token, body: {} });
    expect((await tag(fav, 'm.favourite')).status).toBe(200);
    expect((await tag(low, 'm.lowpriority')).status).toBe(200);
    const only = (f: Record<string, unknown>) => ss(bob, listBody({ ranges: [[0, 9]], filters: f })).then((b) => Object.keys(b.rooms).sort());
    expect(await only({ tags: ['m.favourite'] })).toEqual([fav]);
    expect(await only({ not_tags: ['m.lowpriority'] })).toEqual([fav, none].sort());
    expect(await only({ tags: ['m.favourite', 'm.lowpriority'], not_tags: ['m.lowpriority'] })).toEqual([fav]);
  });

  it('combines filters with AND, each list with its own count', async () => {
    const [alice, bob] = await users(2);
    const [dm, room] = await rooms(alice, bob, 2);
    await putAccountData(bob, 'm.direct', { [alice.userId]: [dm] });
    const b = await ss(bob, {
      lists: {
        dms: { ranges: [[0, 9]], timeline_limit: 0, required_state: [], filters: { is_dm: true, is_invite: false } },
        rooms: { ranges: [[0, 9]], timeline_limit: 0, required_state: [], filters: { is_dm: false } },
        none: { ranges: [[0, 9]], timeline_limit: 0, required_state: [], filters: { is_dm: true, is_invite: true } },
      },
    });
    expect(b.lists).toEqual({ dms: { count: 1 }, rooms: { count: 1 }, none: { count: 0 } });
    expect(b.rooms[dm].lists).toEqual(['dms']);
    expect(b.rooms[room].lists).toEqual(['rooms']);
  });
});

describe('which rooms are listed', () => {
  it('lists invites, knocks and kicks; a room left by the user only until the leave was sent', async () => {
    const [alice, bob] = await users(2);
    const [kicked, left] = await rooms(alice, bob, 2);
    const invited = await createRoom(alice, { preset: 'private_chat' });
    await invite(alice, invited, bob);
    const knockable = await createRoom(alice, { initial_state: [{ type: 'm.room.join_rules', state_key: '', content: { join_rule: 'knock' } }] });
    expect((await knock(bob, knockable)).status).toBe(200);
    const body = listBody({ ranges: [[0, 19]] });
    const first = await ss(bob, body);
    expect(first.lists.all.count).toBe(4);
    expect(first.rooms[invited].membership).toBe('invite');
    expect(first.rooms[knockable].membership).toBe('knock');

    expect((await member(alice, kicked, 'kick', bob.userId)).status).toBe(200);
    expect((await leave(bob, left)).status).toBe(200);
    const second = await ss(bob, body, { pos: first.pos });
    expect(second.rooms[kicked].membership).toBe('leave');
    expect(second.rooms[left].membership).toBe('leave');
    expect(second.lists.all.count).toBe(4);
    // The user's own leave was sent: the room is gone from the list. The kick stays.
    const third = await ss(bob, body, { pos: second.pos });
    expect(third.lists.all.count).toBe(3);
    expect(third.rooms).toEqual({});
    // A new connection never lists the room the user left, but lists the kick.
    const fresh = await ss(bob, body);
    expect(Object.keys(fresh.rooms).sort()).toEqual([kicked, invited, knockable].sort());
  });
});

describe('room subscriptions', () => {
  it('sends subscribed rooms outside every range, with their own config', async () => {
    const [alice, bob] = await users(2);
    const ids = await rooms(alice, bob, 3);
    const b = await ss(bob, {
      lists: { all: { ranges: [[0, 0]], timeline_limit: 1, required_state: [] } },
      room_subscriptions: { [ids[0]]: { timeline_limit: 3, required_state: [['m.room.create', '']] } },
    });
    expect(Object.keys(b.rooms).sort()).toEqual([ids[2], ids[0]].sort());
    expect(b.rooms[ids[0]].lists).toBeUndefined();
    expect(b.rooms[ids[0]].timeline!.length).toBe(3);
    expect(b.rooms[ids[0]].required_state!.map((e) => e.type)).toEqual(['m.room.create']);
    expect(b.rooms[ids[2]].timeline!.length).toBe(1);
  });

  it('combines a subscription with a list: the larger timeline and the union of the state', async () => {
    const [alice, bob] = await users(2);
    const [room] = await rooms(alice, bob, 1);
    const b = await ss(bob, {
      lists: { all: { ranges: [[0, 0]], timeline_limit: 1, required_state: [['m.room.name', '']] } },
      room_subscriptions: { [room]: { timeline_limit: 4, required_state: [['m.room.create', '']] } },
    });
    expect(b.rooms[room].timeline!.length).toBe(4);
    expect(b.rooms[room].required_state!.map((e) => e.type).sort()).toEqual(['m.room.create', 'm.room.name']);
    expect(b.rooms[room].lists).toEqual(['all']);
  });

  it('ignores subscriptions to rooms the user was never in, or that do not exist', async () => {
    const [alice, bob] = await users(2);
    const secret = await createRoom(alice, { preset: 'public_chat' });
    const b = await ss(bob, { room_subscriptions: { [secret]: { timeline_limit: 5, required_state: [['*', '*']] }, '!nope:test.local': { timeline_limit: 1 } } });
    expect(b.rooms).toEqual({});
    // Once joined, it comes.
    expect((await join(bob, secret)).status).toBe(200);
    const after = await ss(bob, { room_subscriptions: { [secret]: { timeline_limit: 5, required_state: [] } } });
    expect(Object.keys(after.rooms)).toEqual([secret]);
  });

  it('refuses more than 100 subscriptions', async () => {
    const user = await registerUser();
    const subs = Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`!r${i}:test.local`, { timeline_limit: 1 }]));
    const r = await ssRaw(user, { room_subscriptions: subs });
    expect(r.status).toBe(400);
  });
});
