// Initial /sync (no `since`): spec client-server "Syncing" and GET /sync (sync.yaml).
import { describe, expect, it } from 'vitest';
import { call, registerUser, uniqueName } from '../helpers/client';
import { createRoom, expectEventSpec, join, knock, leave, member, messages, putState, sendOk, stateMap, timeline, type Ev } from '../helpers/rooms';
import { expectSpec } from '../helpers/spec';
import {
  ephemeralOf,
  findState,
  invite,
  joined,
  memberTargets,
  putAccountData,
  receipt,
  roomAccountDataOf,
  roomWith,
  setPresence,
  stateOf,
  sync,
  syncRaw,
  timelineIds,
  timelineOf,
  users,
} from './helpers';

const STRIPPED_KEYS = new Set(['type', 'state_key', 'content', 'sender']);

describe('initial sync: rooms.join', () => {
  it('has the whole state at the start of the timeline, none of the timeline events in state, and the default limit of 10', async () => {
    const [alice, bob] = await users(2);
    const roomId = await roomWith(alice, [bob], { name: 'Initial' });
    const sent: string[] = [];
    for (let i = 0; i < 12; i++) sent.push(await sendOk(alice, roomId, { msgtype: 'm.text', body: `m${i}` }));

    const b = await sync(bob);
    const room = joined(b, roomId)!;
    expect(room).toBeDefined();
    // Spec (sync.yaml, RoomEventFilter.limit): default 10; 12 messages do not fit, so limited.
    expect(timelineIds(b, roomId)).toEqual(sent.slice(-10));
    expect(room.timeline.limited).toBe(true);
    for (const e of timelineOf(b, roomId)) expectEventSpec(e);

    const state = stateOf(b, roomId);
    const tl = new Set(timelineIds(b, roomId));
    expect(state.filter((e) => tl.has(e.event_id))).toEqual([]);
    expect(findState(state, 'm.room.create')).toBeDefined();
    expect(findState(state, 'm.room.name')?.content).toEqual({ name: 'Initial' });
    expect(findState(state, 'm.room.join_rules')).toBeDefined();
    expect(findState(state, 'm.room.power_levels')).toBeDefined();
    expect(memberTargets(state)).toEqual([alice.userId, bob.userId].sort());
    // No state changed during the timeline: the state at its start is the current state.
    const current = await stateMap(bob, roomId);
    expect(new Map(state.map((e) => [`${e.type}|${e.state_key}`, e.event_id]))).toEqual(new Map([...current].map(([k, e]) => [k, e.event_id])));
    for (const e of state) expect(e.room_id).toBe(roomId);
  });

  it('a recent room whose history fits the timeline has an empty state list and is not limited', async () => {
    const alice = await registerUser();
    const roomId = await createRoom(alice, { preset: 'private_chat' });
    const msg = await sendOk(alice, roomId);
    const b = await sync(alice, { filter: { room: { timeline: { limit: 50 } } } });
    const room = joined(b, roomId)!;
    // Spec ("Syncing", note): the state list is the state at the START of the timeline, so it is
    // empty when the whole history, create event included, is in the timeline.
    expect(room.timeline.limited).toBe(false);
    expect(timelineOf(b, roomId)[0].type).toBe('m.room.create');
    expect(timelineIds(b, roomId).at(-1)).toBe(msg);
    expect(stateOf(b, roomId)).toEqual([]);
    const history = await timeline(alice, roomId);
    expect(timelineIds(b, roomId)).toEqual(history.map((e) => e.event_id));
  });

  it('state is the state at the start of the timeline, not at its end', async () => {
    const [alice, bob] = await users(2);
    const roomId = await roomWith(alice, [bob], { name: 'Old' });
    await sendOk(alice, roomId);
    const m1 = await sendOk(alice, roomId);
    const r = await putState(alice, roomId, 'm.room.name', { name: 'New' });
    expect(r.status).toBe(200);
    const m2 = await sendOk(alice, roomId);
    const b = await sync(bob, { filter: { room: { timeline: { limit: 3 } } } });
    expect(timelineIds(b, roomId)).toEqual([m1, r.body.event_id, m2]);
    expect(findState(stateOf(b, roomId), 'm.room.name')?.content).toEqual({ name: 'Old' });
  });

  it('prev_batch continues /messages exactly before the first timeline event', async () => {
    const [alice, bob] = await users(2);
    const roomId = await roomWith(alice, [bob]);
    for (let i = 0; i < 15; i++) await sendOk(alice, roomId, { msgtype: 'm.text', body: `p${i}` });
    const b = await sync(bob, { filter: { room: { timeline: { limit: 5 } } } });
    const room = joined(b, roomId)!;
    expect(room.timeline.limited).toBe(true);
    expect(typeof room.timeline.prev_batch).toBe('string');

    const history = (await timeline(bob, roomId)).map((e) => e.event_id);
    const first = history.indexOf(timelineIds(b, roomId)[0]);
    expect(history.slice(first)).toEqual(timelineIds(b, roomId));

    const page = await messages(bob, roomId, { from: room.timeline.prev_batch, dir: 'b', limit: 7 });
    expect(page.status, JSON.stringify(page.body)).toBe(200);
    expectSpec('GET /_matrix/client/v3/rooms/{roomId}/messages', 200, page.body);
    expect(page.body.chunk.map((e: Ev) => e.event_id)).toEqual(history.slice(first - 7, first).reverse());
  });

  it('summary has m.heroes (never the user), m.joined_member_count and m.invited_member_count', async () => {
    const [alice, bob, carol, dave] = await users(4);
    const roomId = await roomWith(alice, [bob, carol]);
    await invite(alice, roomId, dave);
    const b = await sync(bob);
    const summary = joined(b, roomId)!.summary;
    expect(summary['m.joined_member_count']).toBe(3);
    expect(summary['m.invited_member_count']).toBe(1);
    // The room has no name: heroes are required, joined or invited members other than the user.
    expect([...summary['m.heroes']].sort()).toEqual([alice.userId, carol.userId, dave.userId].sort());
  });

  it('m.heroes has at least five members when the room has that many, and the counts follow joins', async () => {
    const people = await users(8);
    const [alice, bob] = people;
    const roomId = await roomWith(alice, people.slice(1, 7));
    const b = await sync(bob);
    const summary = joined(b, roomId)!.summary;
    expect(summary['m.joined_member_count']).toBe(7);
    expect(summary['m.invited_member_count']).toBe(0);
    expect(summary['m.heroes'].length).toBeGreaterThanOrEqual(5);
    expect(summary['m.heroes']).not.toContain(bob.userId);
    for (const h of summary['m.heroes']) expect(people.slice(0, 7).map((p) => p.userId)).toContain(h);
    // A join since the last sync changes the count, which must then be sent (sync.yaml: "Required otherwise").
    expect((await join(people[7], roomId)).status).toBe(200);
    const c = await sync(bob, { since: b.next_batch });
    expect(joined(c, roomId)!.summary['m.joined_member_count']).toBe(8);
  });

  it('history the user may not see is not in the timeline (history_visibility joined)', async () => {
    const [alice, bob] = await users(2);
    const roomId = await createRoom(alice, {
      preset: 'public_chat',
      initial_state: [{ type: 'm.room.history_visibility', state_key: '', content: { history_visibility: 'joined' } }],
    });
    const secret = await sendOk(alice, roomId, { msgtype: 'm.text', body: 'before bob' });
    expect((await join(bob, roomId)).status).toBe(200);
    const visible = await sendOk(alice, roomId, { msgtype: 'm.text', body: 'after bob' });
    const b = await sync(bob);
    expect(timelineIds(b, roomId)).not.toContain(secret);
    expect(timelineIds(b, roomId)).toContain(visible);
    expect(timelineIds(b, roomId).at(-1)).toBe(visible);
  });

  it('carries room account data and ephemeral receipts of the room', async () => {
    const [alice, bob] = await users(2);
    const roomId = await roomWith(alice, [bob]);
    const msg = await sendOk(alice, roomId);
    expect((await putAccountData(bob, 'org.example.room', { colour: 'blue' }, roomId)).status).toBe(200);
    expect((await receipt(alice, roomId, msg)).status).toBe(200);
    const b = await sync(bob);
    expect(roomAccountDataOf(b, roomId)).toContainEqual({ type: 'org.example.room', content: { colour: 'blue' } });
    const receipts = ephemeralOf(b, roomId).filter((e) => e.type === 'm.receipt');
    expect(receipts).toHaveLength(1);
    expect(receipts[0].content[msg]['m.read'][alice.userId].ts).toEqual(expect.any(Number));
  });

  // sync.yaml, m.heroes: "This should be the first 5 members of the room, ordered by stream ordering,
  // which are joined or invited." (a SHOULD), not by user id.
  it('m.heroes are the first members by stream order', async () => {
    const owner = await registerUser({ localpart: uniqueName('mid') });
    const z = await registerUser({ localpart: uniqueName('zed') });
    const a = await registerUser({ localpart: uniqueName('abe') });
    const roomId = await roomWith(owner, [z, a]);
    const b = await sync(owner);
    expect(joined(b, roomId)!.summary['m.heroes']).toEqual([z.userId, a.userId]);
  });

  // modules/history_visibility.md, Server behaviour: "For m.room.history_visibility events themselves,
  // the user should be allowed to see the event if the history_visibility before or after the event
  // would allow them to see it." Before it the visibility is the default, shared, which lets a user
  // who joined later see it (here the timeline starts at the create event, so the state list is
  // empty: the timeline is where the client learns the room's visibility).
  it('the m.room.history_visibility event is visible when the visibility before it allowed it', async () => {
    const [alice, bob] = await users(2);
    const roomId = await createRoom(alice, {
      preset: 'public_chat',
      initial_state: [{ type: 'm.room.history_visibility', state_key: '', content: { history_visibility: 'joined' } }],
    });
    expect((await join(bob, roomId)).status).toBe(200);
    const b = await sync(bob);
    const seen = [...stateOf(b, roomId), ...timelineOf(b, roomId)];
    expect(findState(seen, 'm.room.history_visibility')?.content.history_visibility).toBe('joined');
  });

  // Spec ("Syncing", note): "This state list allows clients to keep their model of the room state in
  // sync with that on the server." A state event inside the timeline window that the user may not see
  // (here the name, set under history_visibility joined before the user joined) is dropped from the
  // timeline; the state list is taken at the timeline's first (visible) event, so the name must be
  // added to it (as Synapse does), or the client never learns the room's name.
  it('state hidden from the timeline by history visibility still reaches the client', async () => {
    const [alice, bob] = await users(2);
    const roomId = await createRoom(alice, {
      preset: 'public_chat',
      initial_state: [{ type: 'm.room.history_visibility', state_key: '', content: { history_visibility: 'joined' } }],
    });
    expect((await putState(alice, roomId, 'm.room.name', { name: 'Named before bob' })).status).toBe(200);
    expect((await join(bob, roomId)).status).toBe(200);
    await sendOk(alice, roomId);
    const b = await sync(bob);
    const seen = [...stateOf(b, roomId), ...timelineOf(b, roomId)];
    expect(findState(seen, 'm.room.name')?.content.name).toBe('Named before bob');
  });
});

describe('initial sync: global sections', () => {
  it('carries global account data and the presence of room mates', async () => {
    const [alice, bob] = await users(2);
    await roomWith(alice, [bob]);
    expect((await putAccountData(bob, 'org.example.global', { a: 1 })).status).toBe(200);
    expect((await setPresence(alice, { presence: 'online', status_msg: 'here' })).status).toBe(200);
    const b = await sync(bob);
    expect(b.account_data.events).toContainEqual({ type: 'org.example.global', content: { a: 1 } });
    const p = (b.presence?.events ?? []).find((e: any) => e.sender === alice.userId);
    expect(p?.type).toBe('m.presence');
    expect(p?.content).toMatchObject({ presence: 'online', status_msg: 'here', currently_active: true });
    expect(p?.content.last_active_ago).toEqual(expect.any(Number));
  });
});

describe('initial sync: rooms.invite and rooms.knock', () => {
  it('an invited room has stripped invite_state: create, join_rules, name, the inviter and the invite', async () => {
    const [alice, bob] = await users(2);
    const roomId = await createRoom(alice, { preset: 'private_chat', name: 'Invited', topic: 'secret topic' });
    await sendOk(alice, roomId, { msgtype: 'm.text', body: 'history the invitee must not see' });
    await invite(alice, roomId, bob);
    const b = await sync(bob);
    expect(joined(b, roomId)).toBeUndefined();
    const events: Ev[] = b.rooms.invite[roomId].invite_state.events;
    for (const e of events) for (const k of Object.keys(e)) expect(STRIPPED_KEYS.has(k), `stripped state has ${k}`).toBe(true);
    expect(findState(events, 'm.room.create')).toBeDefined();
    expect(findState(events, 'm.room.join_rules')?.content.join_rule).toBe('invite');
    expect(findState(events, 'm.room.name')?.content.name).toBe('Invited');
    expect(findState(events, 'm.room.member', alice.userId)?.content.membership).toBe('join');
    const inv = findState(events, 'm.room.member', bob.userId)!;
    expect(inv.content.membership).toBe('invite');
    expect(inv.sender).toBe(alice.userId);
    expect(events.some((e) => e.type === 'm.room.message')).toBe(false);
  });

  it('a knocked room (v10, join_rule knock) has knock_state with the knock', async () => {
    const [alice, bob] = await users(2);
    const roomId = await createRoom(alice, {
      room_version: '10',
      name: 'Knockable',
      initial_state: [{ type: 'm.room.join_rules', state_key: '', content: { join_rule: 'knock' } }],
    });
    const k = await knock(bob, roomId, { reason: 'let me in' });
    expect(k.status, JSON.stringify(k.body)).toBe(200);
    const b = await sync(bob);
    expect(joined(b, roomId)).toBeUndefined();
    expect(b.rooms.invite?.[roomId]).toBeUndefined();
    const events: Ev[] = b.rooms.knock[roomId].knock_state.events;
    for (const e of events) for (const key of Object.keys(e)) expect(STRIPPED_KEYS.has(key)).toBe(true);
    expect(findState(events, 'm.room.create')?.content.room_version).toBe('10');
    expect(findState(events, 'm.room.join_rules')?.content.join_rule).toBe('knock');
    expect(findState(events, 'm.room.name')?.content.name).toBe('Knockable');
    expect(findState(events, 'm.room.member', bob.userId)?.content.membership).toBe('knock');
  });
});

describe('initial sync: rooms.leave', () => {
  it('appears only with include_leave, its timeline ending at the leave', async () => {
    const [alice, bob] = await users(2);
    const roomId = await roomWith(alice, [bob]);
    const before = await sendOk(alice, roomId);
    const left = await leave(bob, roomId);
    expect(left.status).toBe(200);
    const after = await sendOk(alice, roomId);

    const plain = await sync(bob);
    expect(plain.rooms?.leave?.[roomId]).toBeUndefined();
    expect(joined(plain, roomId)).toBeUndefined();

    const b = await sync(bob, { filter: { room: { include_leave: true } } });
    expect(joined(b, roomId)).toBeUndefined();
    const room = b.rooms.leave[roomId];
    const ids = room.timeline.events.map((e: Ev) => e.event_id);
    expect(ids).toContain(before);
    expect(ids).not.toContain(after);
    const last: Ev = room.timeline.events.at(-1);
    expect(last).toMatchObject({ type: 'm.room.member', state_key: bob.userId, sender: bob.userId, content: { membership: 'leave' } });
  });

  it('includes rooms the user was kicked and banned from, each ending at the kick or ban', async () => {
    const [alice, bob] = await users(2);
    const kicked = await roomWith(alice, [bob]);
    const banned = await roomWith(alice, [bob]);
    expect((await member(alice, kicked, 'kick', bob.userId, 'out')).status).toBe(200);
    expect((await member(alice, banned, 'ban', bob.userId, 'gone')).status).toBe(200);
    const afterKick = await sendOk(alice, kicked);
    const afterBan = await sendOk(alice, banned);
    const b = await sync(bob, { filter: { room: { include_leave: true } } });
    const k = b.rooms.leave[kicked].timeline.events as Ev[];
    const x = b.rooms.leave[banned].timeline.events as Ev[];
    expect(k.map((e) => e.event_id)).not.toContain(afterKick);
    expect(x.map((e) => e.event_id)).not.toContain(afterBan);
    expect(k.at(-1)).toMatchObject({ type: 'm.room.member', state_key: bob.userId, sender: alice.userId, content: { membership: 'leave', reason: 'out' } });
    expect(x.at(-1)).toMatchObject({ type: 'm.room.member', state_key: bob.userId, sender: alice.userId, content: { membership: 'ban', reason: 'gone' } });
  });
});

describe('initial sync: request errors', () => {
  it('needs an access token (header or query)', async () => {
    const bob = await registerUser();
    const missing = await call('GET', '/_matrix/client/v3/sync');
    expect(missing.status).toBe(401);
    expect(missing.body.errcode).toBe('M_MISSING_TOKEN');
    const unknown = await call('GET', '/_matrix/client/v3/sync', { token: 'syt_bogus_token' });
    expect(unknown.status).toBe(401);
    expect(unknown.body.errcode).toBe('M_UNKNOWN_TOKEN');
    const byQuery = await call('GET', `/_matrix/client/v3/sync?access_token=${encodeURIComponent(bob.token)}`);
    expect(byQuery.status).toBe(200);
    expectSpec('GET /_matrix/client/v3/sync', 200, byQuery.body);
  });

  it('rejects malformed parameters with 400, never a 500', async () => {
    const bob = await registerUser();
    for (const qs of ['timeout=soon', 'timeout=-1', 'full_state=maybe', 'set_presence=busy', 'since=garbage']) {
      const r = await call('GET', `/_matrix/client/v3/sync?${qs}`, { token: bob.token });
      expect(r.status, qs).toBe(400);
      expect(typeof r.body.errcode, qs).toBe('string');
    }
    const ok = await syncRaw(bob, { timeout: 0, full_state: false, set_presence: 'online' });
    expect(ok.status).toBe(200);
  });
});
