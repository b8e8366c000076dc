// Membership transitions as /sync reports them (spec: GET /sync rooms.invite / knock / leave;
// client-server "Stripped state", "Room membership").
import { describe, expect, it } from 'vitest';
import { createRoom, forget, join, knock, leave, member, putState, sendOk, type Ev } from '../helpers/rooms';
import { findState, invite, joined, memberTargets, roomWith, stateOf, sync, users } from './helpers';

const leftTimeline = (b: Record<string, any>, roomId: string): Ev[] => b.rooms?.leave?.[roomId]?.timeline?.events ?? [];

async function knockRoom(owner: Parameters<typeof createRoom>[0]) {
  return createRoom(owner, {
    room_version: '10',
    name: 'Knock knock',
    initial_state: [{ type: 'm.room.join_rules', state_key: '', content: { join_rule: 'knock' } }],
  });
}

describe('invites', () => {
  it('an accepted invite moves the room from rooms.invite to rooms.join with full state', async () => {
    const [alice, bob] = await users(2);
    const roomId = await createRoom(alice, { preset: 'private_chat', name: 'Private' });
    await invite(alice, roomId, bob);
    const first = await sync(bob);
    expect(first.rooms.invite[roomId]).toBeDefined();
    expect(joined(first, roomId)).toBeUndefined();
    expect((await join(bob, roomId)).status).toBe(200);
    const b = await sync(bob, { since: first.next_batch });
    expect(b.rooms?.invite?.[roomId]).toBeUndefined();
    const room = joined(b, roomId)!;
    expect(room.timeline.events.at(-1)).toMatchObject({ type: 'm.room.member', state_key: bob.userId, content: { membership: 'join' } });
    // Full state: everything the timeline does not already carry.
    const all = [...stateOf(b, roomId), ...room.timeline.events];
    expect(findState(all, 'm.room.create')).toBeDefined();
    expect(findState(all, 'm.room.name')?.content.name).toBe('Private');
    expect(memberTargets(all)).toEqual(expect.arrayContaining([alice.userId, bob.userId]));
    expect(room.summary['m.joined_member_count']).toBe(2);
  });

  it('a rejected invite moves the room to rooms.leave, ending at the rejection', async () => {
    const [alice, bob] = await users(2);
    const roomId = await createRoom(alice, { preset: 'private_chat' });
    await invite(alice, roomId, bob);
    const first = await sync(bob);
    expect(first.rooms.invite[roomId]).toBeDefined();
    expect((await leave(bob, roomId)).status).toBe(200);
    const b = await sync(bob, { since: first.next_batch });
    expect(b.rooms?.invite?.[roomId]).toBeUndefined();
    expect(b.rooms.leave[roomId]).toBeDefined();
    expect(leftTimeline(b, roomId).at(-1)).toMatchObject({ type: 'm.room.member', state_key: bob.userId, sender: bob.userId, content: { membership: 'leave' } });
  });

  it('a rescinded invite moves the room to rooms.leave', async () => {
    const [alice, bob] = await users(2);
    const roomId = await createRoom(alice, { preset: 'private_chat' });
    await invite(alice, roomId, bob);
    const first = await sync(bob);
    expect((await member(alice, roomId, 'kick', bob.userId)).status).toBe(200);
    const b = await sync(bob, { since: first.next_batch });
    expect(b.rooms?.invite?.[roomId]).toBeUndefined();
    expect(leftTimeline(b, roomId).at(-1)).toMatchObject({ type: 'm.room.member', state_key: bob.userId, sender: alice.userId, content: { membership: 'leave' } });
  });

  it('invite_state carries no room history and only stripped events', async () => {
    const [alice, bob] = await users(2);
    const roomId = await createRoom(alice, { preset: 'private_chat', name: 'At invite' });
    const secret = await sendOk(alice, roomId, { msgtype: 'm.text', body: 'before the invite' });
    await invite(alice, roomId, bob);
    const b = await sync(bob);
    const events: Ev[] = b.rooms.invite[roomId].invite_state.events;
    expect(events.map((e) => e.event_id)).not.toContain(secret);
    expect(events.some((e) => e.type === 'm.room.message')).toBe(false);
    // Stripped state events are not full events (spec: only sender, type, state_key, content).
    for (const e of events) expect(e.event_id).toBeUndefined();
    expect(findState(events, 'm.room.name')?.content.name).toBe('At invite');
  });
});

describe('knocks', () => {
  it('a knock after since appears once in rooms.knock; an accepting invite moves it to rooms.invite', async () => {
    const [alice, bob] = await users(2);
    const roomId = await knockRoom(alice);
    const first = await sync(bob);
    expect((await knock(bob, roomId)).status).toBe(200);
    const b = await sync(bob, { since: first.next_batch });
    expect(findState(b.rooms.knock[roomId].knock_state.events, 'm.room.member', bob.userId)?.content.membership).toBe('knock');
    // The owner sees the knock in the timeline.
    const ownerView = await sync(alice);
    expect(joined(ownerView, roomId)!.timeline.events.at(-1)).toMatchObject({ type: 'm.room.member', state_key: bob.userId, content: { membership: 'knock' } });
    await invite(alice, roomId, bob);
    const c = await sync(bob, { since: b.next_batch });
    expect(c.rooms?.knock?.[roomId]).toBeUndefined();
    expect(findState(c.rooms.invite[roomId].invite_state.events, 'm.room.member', bob.userId)?.content.membership).toBe('invite');
    expect((await join(bob, roomId)).status).toBe(200);
    const d = await sync(bob, { since: c.next_batch });
    expect(joined(d, roomId)).toBeDefined();
    expect(d.rooms?.invite?.[roomId]).toBeUndefined();
  });

  it('a denied knock moves the room to rooms.leave', async () => {
    const [alice, bob] = await users(2);
    const roomId = await knockRoom(alice);
    expect((await knock(bob, roomId)).status).toBe(200);
    const first = await sync(bob);
    expect(first.rooms.knock[roomId]).toBeDefined();
    expect((await member(alice, roomId, 'kick', bob.userId, 'no')).status).toBe(200);
    const b = await sync(bob, { since: first.next_batch });
    expect(b.rooms?.knock?.[roomId]).toBeUndefined();
    expect(b.rooms.leave[roomId]).toBeDefined();
  });
});

describe('left rooms', () => {
  it('the state of a left room is the state at the start of its final timeline; later changes stay hidden', async () => {
    const [alice, bob] = await users(2);
    const roomId = await roomWith(alice, [bob], { name: 'While there' });
    for (let i = 0; i < 11; i++) await sendOk(alice, roomId);
    expect((await leave(bob, roomId)).status).toBe(200);
    expect((await putState(alice, roomId, 'm.room.name', { name: 'After leaving' })).status).toBe(200);
    const late = await sendOk(alice, roomId);
    const b = await sync(bob, { filter: { room: { include_leave: true } } });
    const room = b.rooms.leave[roomId];
    expect(room.timeline.events).toHaveLength(10);
    expect(room.timeline.limited).toBe(true);
    expect(leftTimeline(b, roomId).map((e) => e.event_id)).not.toContain(late);
    expect(findState(stateOf(b, roomId, 'leave'), 'm.room.name')?.content.name).toBe('While there');
    expect(memberTargets(stateOf(b, roomId, 'leave'))).toEqual([alice.userId, bob.userId].sort());
  });

  it('a ban since since is in rooms.leave, ending at the ban', async () => {
    const [alice, bob] = await users(2);
    const roomId = await roomWith(alice, [bob]);
    const first = await sync(bob);
    expect((await member(alice, roomId, 'ban', bob.userId, 'spam')).status).toBe(200);
    const b = await sync(bob, { since: first.next_batch });
    expect(joined(b, roomId)).toBeUndefined();
    expect(leftTimeline(b, roomId).at(-1)).toMatchObject({ type: 'm.room.member', sender: alice.userId, state_key: bob.userId, content: { membership: 'ban', reason: 'spam' } });
  });

  it('a forgotten room no longer appears, even with include_leave', async () => {
    const [alice, bob] = await users(2);
    const roomId = await roomWith(alice, [bob]);
    expect((await leave(bob, roomId)).status).toBe(200);
    const before = await sync(bob, { filter: { room: { include_leave: true } } });
    expect(before.rooms.leave[roomId]).toBeDefined();
    expect((await forget(bob, roomId)).status).toBe(200);
    const after = await sync(bob, { filter: { room: { include_leave: true } } });
    expect(after.rooms?.leave?.[roomId]).toBeUndefined();
  });

  it('a user who rejoins gets the room back in rooms.join with its full state', async () => {
    const [alice, bob] = await users(2);
    const roomId = await roomWith(alice, [bob], { name: 'Again' });
    expect((await leave(bob, roomId)).status).toBe(200);
    const first = await sync(bob);
    expect(joined(first, roomId)).toBeUndefined();
    for (let i = 0; i < 11; i++) await sendOk(alice, roomId);
    expect((await join(bob, roomId)).status).toBe(200);
    const b = await sync(bob, { since: first.next_batch });
    expect(findState(stateOf(b, roomId), 'm.room.name')?.content.name).toBe('Again');
    expect(findState(stateOf(b, roomId), 'm.room.create')).toBeDefined();
  });
});
