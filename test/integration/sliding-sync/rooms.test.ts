// Room results (MSC4186 "Room results"): what a room new to the connection carries, incremental
// responses with only the changes, required_state ($ME, wildcards, $LAZY), expanded timelines and
// state, invites, kicks, and unread counts.
import { describe, expect, it } from 'vitest';
import { registerUser } from '../helpers/client';
import { createRoom, join, knock, member, messages, putState, sendOk, sendWithTxn, setDisplayName } from '../helpers/rooms';
import { invite, receipt, roomWith, users } from '../sync/helpers';
import { ELEMENT_X_REQUIRED_STATE, listBody, memberKeys, ss, stateOf, timelineIds } from './helpers';

const one = (roomId: string, config: Record<string, unknown>) => ({ room_subscriptions: { [roomId]: { timeline_limit: 1, required_state: [], ...config } } });

describe('a room new to the connection', () => {
  it('carries name, avatar, counts, required_state, timeline, prev_batch and bump_stamp', async () => {
    const [alice, bob, carol] = await users(3);
    const roomId = await roomWith(alice, [bob], { name: 'The room', topic: 'talk' });
    expect((await putState(alice, roomId, 'm.room.avatar', { url: 'mxc://test.local/avatar' })).status).toBe(200);
    await invite(alice, roomId, carol);
    const ids = [await sendOk(alice, roomId), await sendOk(alice, roomId), await sendOk(alice, roomId)];
    const b = await ss(bob, one(roomId, { timeline_limit: 2, required_state: [['m.room.name', ''], ['m.room.member', '$ME'], ['m.room.create', '']] }));
    const room = b.rooms[roomId];
    expect(room.initial).toBe(true);
    expect(room.membership).toBe('join');
    expect(room.name).toBe('The room');
    expect(room.avatar).toBe('mxc://test.local/avatar');
    expect(room.heroes).toBeUndefined();
    expect(room.joined_count).toBe(2);
    expect(room.invited_count).toBe(1);
    expect(timelineIds(room)).toEqual(ids.slice(1));
    expect(room.limited).toBe(true);
    expect(room.num_live).toBe(0);
    expect(room.notification_count).toBe(3);
    expect(room.highlight_count).toBe(0);
    expect(room.bump_stamp).toBeGreaterThan(0);
    expect(room.required_state!.map((e) => `${e.type}|${e.state_key}`).sort()).toEqual(['m.room.create|', `m.room.member|${bob.userId}`, 'm.room.name|'].sort());
    // prev_batch continues backwards right before the timeline.
    const page = await messages(bob, roomId, { from: room.prev_batch!, dir: 'b', limit: 1 });
    expect(page.status).toBe(200);
    expect(page.body.chunk.map((e: { event_id: string }) => e.event_id)).toEqual([ids[0]]);
    // So does the response's pos (MSC4186: a pos works as a /messages token).
    const fromPos = await messages(bob, roomId, { from: b.pos, dir: 'b', limit: 1 });
    expect(fromPos.body.chunk.map((e: { event_id: string }) => e.event_id)).toEqual([ids[2]]);
  });

  it('names the heroes of a room without a name, with their display names', async () => {
    const [alice, bob] = await users(2);
    await setDisplayName(alice, 'Alice A.');
    const dm = await roomWith(alice, [bob]);
    const named = await roomWith(alice, [bob], { name: 'Named' });
    const b = await ss(bob, listBody({ ranges: [[0, 9]], required_state: [] }));
    expect(b.rooms[dm].name).toBeUndefined();
    expect(b.rooms[dm].heroes).toEqual([{ user_id: alice.userId, displayname: 'Alice A.' }]);
    expect(b.rooms[named].heroes).toBeUndefined();
  });

  it('gives the own event its transaction_id, and serves events without room_id', async () => {
    const [alice, bob] = await users(2);
    const roomId = await roomWith(alice, [bob]);
    const r = await sendWithTxn(bob, roomId, 'm.room.message', 'my-txn', { msgtype: 'm.text', body: 'mine' });
    expect(r.status).toBe(200);
    const b = await ss(bob, one(roomId, {}));
    const [e] = b.rooms[roomId].timeline!;
    expect(e.event_id).toBe(r.body.event_id);
    expect(e.unsigned?.transaction_id).toBe('my-txn');
    expect('room_id' in e).toBe(false);
  });

  it('returns all state for ["*", "*"], and every member for ["m.room.member", "*"]', async () => {
    const [alice, bob, carol] = await users(3);
    const roomId = await roomWith(alice, [bob, carol], { name: 'n', topic: 't' });
    const all = (await ss(bob, one(roomId, { required_state: [['*', '*']] }))).rooms[roomId];
    const types = new Set(all.required_state!.map((e) => e.type));
    for (const t of ['m.room.create', 'm.room.power_levels', 'm.room.join_rules', 'm.room.name', 'm.room.topic', 'm.room.member']) expect(types.has(t), t).toBe(true);
    expect(memberKeys(all)).toEqual([alice.userId, bob.userId, carol.userId].sort());
    const members = (await ss(bob, one(roomId, { required_state: [['m.room.member', '*']] }))).rooms[roomId];
    expect(memberKeys(members)).toEqual([alice.userId, bob.userId, carol.userId].sort());
    expect(members.required_state!.every((e) => e.type === 'm.room.member')).toBe(true);
  });
});

describe('incremental responses', () => {
  it('carry only what changed, and nothing when nothing did', async () => {
    const [alice, bob] = await users(2);
    const roomId = await roomWith(alice, [bob], { name: 'Before' });
    const body = listBody({ ranges: [[0, 9]], timeline_limit: 5, required_state: [['m.room.name', ''], ['m.room.member', '$ME']] });
    const first = await ss(bob, body);
    expect(first.rooms[roomId].initial).toBe(true);
    const quiet = await ss(bob, body, { pos: first.pos });
    expect(quiet.rooms).toEqual({});

    const id = await sendOk(alice, roomId);
    const next = await ss(bob, body, { pos: quiet.pos });
    const room = next.rooms[roomId];
    expect(timelineIds(room)).toEqual([id]);
    expect(room.num_live).toBe(1);
    expect(room.limited).toBe(false);
    expect(room.initial).toBeUndefined();
    expect(room.name).toBeUndefined();
    expect(room.required_state).toBeUndefined();
    expect(room.joined_count).toBeUndefined();

    // A state change asked for comes in required_state (even though it is in the timeline too);
    // one not asked for only in the timeline.
    const rename = await putState(alice, roomId, 'm.room.name', { name: 'After' });
    const topic = await putState(alice, roomId, 'm.room.topic', { topic: 'new' });
    const third = (await ss(bob, body, { pos: next.pos })).rooms[roomId];
    expect(third.name).toBe('After');
    expect(third.required_state!.map((e) => e.event_id)).toEqual([rename.body.event_id]);
    expect(timelineIds(third)).toEqual([rename.body.event_id, topic.body.event_id]);
  });

  it('say limited when more happened than the timeline holds, with a prev_batch to fill the gap', async () => {
    const [alice, bob] = await users(2);
    const roomId = await roomWith(alice, [bob]);
    const body = listBody({ ranges: [[0, 9]], timeline_limit: 2 });
    const first = await ss(bob, body);
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) ids.push(await sendOk(alice, roomId));
    const room = (await ss(bob, body, { pos: first.pos })).rooms[roomId];
    expect(timelineIds(room)).toEqual(ids.slice(2));
    expect(room.limited).toBe(true);
    expect(room.num_live).toBe(2);
    const gap = await messages(bob, roomId, { from: room.prev_batch!, dir: 'b', limit: 2 });
    expect(gap.body.chunk.map((e: { event_id: string }) => e.event_id)).toEqual([ids[1], ids[0]]);
  });

  it('send a room again with more history when its timeline_limit grows (unstable_expanded_timeline)', async () => {
    const [alice, bob] = await users(2);
    const roomId = await roomWith(alice, [bob]);
    const ids = [await sendOk(alice, roomId), await sendOk(alice, roomId), await sendOk(alice, roomId)];
    const first = await ss(bob, listBody({ ranges: [[0, 9]], timeline_limit: 1 }));
    expect(timelineIds(first.rooms[roomId])).toEqual([ids[2]]);
    const more = (await ss(bob, listBody({ ranges: [[0, 9]], timeline_limit: 3 }), { pos: first.pos })).rooms[roomId];
    expect(more.unstable_expanded_timeline).toBe(true);
    expect(more.initial).toBeUndefined();
    expect(timelineIds(more)).toEqual(ids);
    expect(more.num_live).toBe(0);
  });

  it('send the newly asked-for state when required_state grows, and only that', async () => {
    const [alice, bob] = await users(2);
    const roomId = await roomWith(alice, [bob], { name: 'n', topic: 'the topic' });
    const first = await ss(bob, listBody({ ranges: [[0, 9]], required_state: [['m.room.name', '']] }));
    expect(first.rooms[roomId].required_state!.map((e) => e.type)).toEqual(['m.room.name']);
    const grown = (await ss(bob, listBody({ ranges: [[0, 9]], required_state: [['m.room.name', ''], ['m.room.topic', '']] }), { pos: first.pos })).rooms[roomId];
    expect(grown.initial).toBeUndefined();
    expect(grown.required_state!.map((e) => e.type)).toEqual(['m.room.topic']);
    expect(stateOf(grown, 'm.room.topic')!.content.topic).toBe('the topic');
    expect(grown.timeline).toBeUndefined();
  });

  it('carry new unread counts when the user reads the room elsewhere', async () => {
    const [alice, bob] = await users(2);
    const roomId = await roomWith(alice, [bob]);
    const id = await sendOk(alice, roomId);
    const body = listBody({ ranges: [[0, 9]] });
    const first = await ss(bob, body);
    expect(first.rooms[roomId].notification_count).toBe(1);
    expect((await receipt(bob, roomId, id)).status).toBe(200);
    const read = (await ss(bob, body, { pos: first.pos })).rooms[roomId];
    expect(read.notification_count).toBe(0);
    expect(read.timeline).toBeUndefined();
  });
});

describe('lazy-loaded members ($LAZY)', () => {
  it('sends the members the timeline needs, each once per connection', async () => {
    const [alice, bob, carol, dave] = await users(4);
    const roomId = await roomWith(alice, [bob, carol, dave]);
    await sendOk(carol, roomId);
    const body = listBody({ ranges: [[0, 9]], timeline_limit: 1, required_state: [['m.room.member', '$LAZY']] });
    const first = await ss(bob, body);
    // Only the sender of the one timeline event: not the others, not even the user.
    expect(memberKeys(first.rooms[roomId])).toEqual([carol.userId]);

    await sendOk(dave, roomId);
    await sendOk(carol, roomId);
    const second = await ss(bob, body, { pos: first.pos });
    expect(second.rooms[roomId].timeline!.length).toBe(1);
    // The timeline (limit 1) holds carol's message; carol was sent already, dave is not needed.
    expect(second.rooms[roomId].required_state).toBeUndefined();

    await sendOk(dave, roomId);
    const third = (await ss(bob, body, { pos: second.pos })).rooms[roomId];
    expect(memberKeys(third)).toEqual([dave.userId]);
  });

  it('adds explicitly asked members ($ME) and sends membership changes in gapless responses', async () => {
    const [alice, bob, carol, eve] = await users(4);
    const roomId = await roomWith(alice, [bob, carol]);
    await sendOk(alice, roomId);
    const body = listBody({ ranges: [[0, 9]], timeline_limit: 10, required_state: ELEMENT_X_REQUIRED_STATE });
    const first = await ss(bob, body);
    const room = first.rooms[roomId];
    // Timeline of 10 covers the room's whole history: everyone's join is in it.
    expect(memberKeys(room)).toEqual([alice.userId, bob.userId, carol.userId].sort());
    expect(stateOf(room, 'm.room.create')).toBeDefined();
    expect(stateOf(room, 'm.room.power_levels')).toBeDefined();

    expect((await join(eve, roomId)).status).toBe(200);
    expect((await putState(carol, roomId, 'm.room.member', { membership: 'join', displayname: 'Carol!' }, carol.userId)).status).toBe(200);
    const next = (await ss(bob, body, { pos: first.pos })).rooms[roomId];
    expect(next.limited).toBe(false);
    expect(memberKeys(next)).toEqual([carol.userId, eve.userId].sort());
    expect(stateOf(next, 'm.room.member', carol.userId)!.content.displayname).toBe('Carol!');
    expect(next.joined_count).toBe(4);
  });
});

describe('memberships', () => {
  it('shows an invite with its stripped state, then the room in full once joined', async () => {
    const [alice, bob] = await users(2);
    const roomId = await createRoom(alice, { preset: 'private_chat', name: 'Secret' });
    await sendOk(alice, roomId);
    await invite(alice, roomId, bob);
    const body = listBody({ ranges: [[0, 9]], timeline_limit: 5, required_state: [['m.room.name', '']] });
    const first = await ss(bob, body);
    const inv = first.rooms[roomId];
    expect(inv.initial).toBe(true);
    expect(inv.membership).toBe('invite');
    expect(inv.timeline).toBeUndefined();
    expect(inv.required_state).toBeUndefined();
    const stateTypes = inv.invite_state!.map((e) => e.type);
    expect(stateTypes).toContain('m.room.create');
    expect(stateTypes).toContain('m.room.name');
    const own = inv.invite_state!.find((e) => e.type === 'm.room.member' && e.state_key === bob.userId);
    expect(own?.content.membership).toBe('invite');
    // The inviter's member event tells who invited.
    expect(inv.invite_state!.some((e) => e.type === 'm.room.member' && e.state_key === alice.userId)).toBe(true);

    expect((await join(bob, roomId)).status).toBe(200);
    const joined = (await ss(bob, body, { pos: first.pos })).rooms[roomId];
    expect(joined.initial).toBe(true);
    expect(joined.membership).toBe('join');
    expect(joined.invite_state).toBeUndefined();
    expect(joined.name).toBe('Secret');
    expect(joined.timeline!.at(-1)!.state_key).toBe(bob.userId);
  });

  it('shows a knock with the stripped state of the room, then the invite once the knock is accepted', async () => {
    const [alice, bob] = await users(2);
    const roomId = await createRoom(alice, { name: 'Door', initial_state: [{ type: 'm.room.join_rules', state_key: '', content: { join_rule: 'knock' } }] });
    expect((await knock(bob, roomId)).status).toBe(200);
    const body = listBody({ ranges: [[0, 9]], timeline_limit: 5, required_state: [['m.room.name', '']] });
    const first = await ss(bob, body);
    const knocked = first.rooms[roomId];
    expect(knocked.initial).toBe(true);
    expect(knocked.membership).toBe('knock');
    // Stripped state only (as Synapse, under invite_state): no timeline, no required_state.
    expect(knocked.timeline).toBeUndefined();
    expect(knocked.required_state).toBeUndefined();
    const find = (r: typeof knocked, type: string, key = '') => r.invite_state!.find((e) => e.type === type && e.state_key === key);
    expect(find(knocked, 'm.room.join_rules')!.content.join_rule).toBe('knock');
    expect(find(knocked, 'm.room.name')!.content.name).toBe('Door');
    expect(find(knocked, 'm.room.member', bob.userId)!.content.membership).toBe('knock');
    expect(knocked.bump_stamp).toBeGreaterThan(0);

    await invite(alice, roomId, bob);
    const next = await ss(bob, body, { pos: first.pos });
    const invited = next.rooms[roomId];
    expect(invited.membership).toBe('invite');
    expect(find(invited, 'm.room.member', bob.userId)!.content.membership).toBe('invite');
    expect(invited.bump_stamp).toBeGreaterThan(knocked.bump_stamp!);
  });

  it('shows a kick with the leave in required_state, and nothing after it', async () => {
    const [alice, bob] = await users(2);
    const roomId = await roomWith(alice, [bob]);
    const body = listBody({ ranges: [[0, 9]], timeline_limit: 5, required_state: [['m.room.member', '$ME']] });
    const first = await ss(bob, body);
    const kick = await member(alice, roomId, 'kick', bob.userId, 'bye');
    expect(kick.status).toBe(200);
    await sendOk(alice, roomId);
    const room = (await ss(bob, body, { pos: first.pos })).rooms[roomId];
    expect(room.membership).toBe('leave');
    expect(stateOf(room, 'm.room.member', bob.userId)!.content.membership).toBe('leave');
    expect(room.timeline!.at(-1)!.type).toBe('m.room.member');
    expect(room.timeline!.at(-1)!.state_key).toBe(bob.userId);
  });

  it('never shows rooms the user cannot see in a new connection', async () => {
    const user = await registerUser();
    const other = await registerUser();
    await createRoom(other, { preset: 'public_chat' });
    const b = await ss(user, listBody({ ranges: [[0, 99]] }));
    expect(b.lists.all.count).toBe(0);
    expect(b.rooms).toEqual({});
  });
});
