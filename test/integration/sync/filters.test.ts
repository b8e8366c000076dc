// Filters on /sync (spec: client-server "Filtering", "Lazy-loading room members"; filter.yaml;
// sync.yaml `filter`): inline JSON or a stored filter id, and every field that shapes a sync.
import { describe, expect, it } from 'vitest';
import { registerUser } from '../helpers/client';
import { join, leave, putState, sendOk, type Ev } from '../helpers/rooms';
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
  storeFilter,
  sync,
  syncRaw,
  timelineIds,
  timelineOf,
  typing,
  users,
} from './helpers';

/** A named room of eight members (alice created it); carol then dave spoke last. */
async function crowd() {
  const people = await users(8);
  const [alice, bob, carol, dave, erin] = people;
  const roomId = await roomWith(alice, people.slice(1), { name: 'Crowd' });
  const fromCarol = await sendOk(carol, roomId);
  const fromDave = await sendOk(dave, roomId);
  return { people, alice, bob, carol, dave, erin, roomId, fromCarol, fromDave };
}
const lazy = (extra: Record<string, unknown> = {}, limit = 2) => ({ room: { state: { lazy_load_members: true, ...extra }, timeline: { limit } } });

describe('room filter: rooms and not_rooms', () => {
  it('keeps only the listed rooms, or all but the excluded ones, invites included', async () => {
    const [alice, bob] = await users(2);
    const a = await roomWith(alice, [bob]);
    const b = await roomWith(alice, [bob]);
    const c = await roomWith(alice, []);
    await invite(alice, c, bob);
    const only = await sync(bob, { filter: { room: { rooms: [a] } } });
    expect(Object.keys(only.rooms.join)).toEqual([a]);
    expect(only.rooms.invite?.[c]).toBeUndefined();
    const without = await sync(bob, { filter: { room: { not_rooms: [a, c] } } });
    expect(Object.keys(without.rooms.join)).toEqual([b]);
    expect(without.rooms.invite?.[c]).toBeUndefined();
    const all = await sync(bob);
    expect(Object.keys(all.rooms.join).sort()).toEqual([a, b].sort());
    expect(all.rooms.invite[c]).toBeDefined();
  });
});

describe('room filter: timeline', () => {
  it('limit, types (with *), not_types, senders, not_senders and contains_url', async () => {
    const [alice, bob] = await users(2);
    const roomId = await roomWith(alice, [bob]);
    const first = await sync(bob);
    const m1 = await sendOk(alice, roomId, { msgtype: 'm.text', body: 'a1' });
    const c1 = await sendOk(alice, roomId, { n: 1 }, 'org.example.custom');
    const m2 = await sendOk(bob, roomId, { msgtype: 'm.text', body: 'b1' });
    const img = await sendOk(alice, roomId, { msgtype: 'm.image', body: 'pic.png', url: 'mxc://test.local/abc' });
    const c2 = await sendOk(bob, roomId, { n: 2 }, 'org.example.other');
    const since = first.next_batch;
    const ids = async (timeline: Record<string, unknown>) => timelineIds(await sync(bob, { since, filter: { room: { timeline } } }), roomId);

    expect(await ids({})).toEqual([m1, c1, m2, img, c2]);
    expect(await ids({ limit: 2 })).toEqual([img, c2]);
    expect(await ids({ types: ['m.room.message'] })).toEqual([m1, m2, img]);
    expect(await ids({ types: ['org.example.*'] })).toEqual([c1, c2]);
    expect(await ids({ not_types: ['org.example.*'] })).toEqual([m1, m2, img]);
    expect(await ids({ senders: [alice.userId] })).toEqual([m1, c1, img]);
    expect(await ids({ not_senders: [alice.userId] })).toEqual([m2, c2]);
    expect(await ids({ types: ['m.room.message'], not_senders: [bob.userId] })).toEqual([m1, img]);
    expect(await ids({ contains_url: true })).toEqual([img]);
    expect(await ids({ contains_url: false })).toEqual([m1, c1, m2, c2]);
    // not_types wins over types (filter.yaml: "takes precedence").
    expect(await ids({ types: ['m.room.message', 'org.example.custom'], not_types: ['org.example.custom'] })).toEqual([m1, m2, img]);
  });

  it('a limit that cuts the timeline marks it limited', async () => {
    const [alice, bob] = await users(2);
    const roomId = await roomWith(alice, [bob]);
    const first = await sync(bob);
    for (let i = 0; i < 3; i++) await sendOk(alice, roomId);
    const b = await sync(bob, { since: first.next_batch, filter: { room: { timeline: { limit: 2 } } } });
    expect(timelineIds(b, roomId)).toHaveLength(2);
    expect(joined(b, roomId)!.timeline.limited).toBe(true);
  });
});

describe('room filter: state', () => {
  it('types and not_types select the state events', async () => {
    const [alice, bob] = await users(2);
    const roomId = await roomWith(alice, [bob], { name: 'Filtered', topic: 'topic' });
    for (let i = 0; i < 11; i++) await sendOk(alice, roomId);
    const onlyName = await sync(bob, { filter: { room: { state: { types: ['m.room.name'] } } } });
    expect(stateOf(onlyName, roomId).map((e) => e.type)).toEqual(['m.room.name']);
    const noMembers = await sync(bob, { filter: { room: { state: { not_types: ['m.room.member'] } } } });
    const types = stateOf(noMembers, roomId).map((e) => e.type);
    expect(types).not.toContain('m.room.member');
    expect(types).toEqual(expect.arrayContaining(['m.room.create', 'm.room.name', 'm.room.topic', 'm.room.power_levels']));
    const wild = await sync(bob, { filter: { room: { state: { types: ['m.room.t*'] } } } });
    expect(stateOf(wild, roomId).map((e) => e.type)).toEqual(['m.room.topic']);
  });
});

describe('lazy_load_members', () => {
  it('the initial sync holds only the member events of timeline senders and of the syncing user (and heroes)', async () => {
    const { people, bob, carol, dave, roomId, fromCarol, fromDave } = await crowd();
    const b = await sync(bob, { filter: lazy() });
    expect(timelineIds(b, roomId)).toEqual([fromCarol, fromDave]);
    const state = stateOf(b, roomId);
    const targets = memberTargets(state);
    expect(targets).toEqual(expect.arrayContaining([bob.userId, carol.userId, dave.userId]));
    // Heroes' member events may come too (sync.yaml, m.heroes), nobody else's.
    const allowed = new Set([bob.userId, carol.userId, dave.userId, ...(joined(b, roomId)!.summary?.['m.heroes'] ?? [])]);
    for (const t of targets) expect(allowed.has(t), `${t} is neither a sender, the user nor a hero`).toBe(true);
    expect(targets.length).toBeLessThan(people.length);
    // The rest of the state is whole.
    expect(findState(state, 'm.room.name')?.content.name).toBe('Crowd');
    expect(findState(state, 'm.room.create')).toBeDefined();
    // Without lazy loading every member is there.
    const full = await sync(bob, { filter: { room: { timeline: { limit: 2 } } } });
    expect(memberTargets(stateOf(full, roomId))).toEqual(people.map((p) => p.userId).sort());
  });

  it('without include_redundant_members a member event already sent to the device is not sent again', async () => {
    const { bob, carol, roomId } = await crowd();
    const first = await sync(bob, { filter: lazy() });
    expect(memberTargets(stateOf(first, roomId))).toContain(carol.userId);
    const again = await sendOk(carol, roomId);
    const b = await sync(bob, { since: first.next_batch, filter: lazy() });
    expect(timelineIds(b, roomId)).toEqual([again]);
    expect(memberTargets(stateOf(b, roomId))).not.toContain(carol.userId);
  });
  it('a limited lazy-loading sync still carries non-member state changes of the gap', async () => {
    const { alice, bob, roomId } = await crowd();
    const first = await sync(bob, { filter: lazy() });
    const r = await putState(alice, roomId, 'm.room.topic', { topic: 'gap' });
    for (let i = 0; i < 5; i++) await sendOk(alice, roomId);
    const b = await sync(bob, { since: first.next_batch, filter: lazy() });
    expect(findState(stateOf(b, roomId), 'm.room.topic')?.event_id).toBe(r.body.event_id);
    expect(timelineOf(b, roomId)).toHaveLength(2);
  });

  // Spec ("Lazy-loading room members"): with lazy loading the server returns "membership events for
  // the sender of events in the timeline". The last member to join did so before `since`, and
  // their member event was never sent to this device (they are no hero); when they speak, the
  // incremental sync must carry it, limited or not.
  it('an incremental lazy-loading sync carries the member event of a new timeline sender', async () => {
    const { bob, people, roomId } = await crowd();
    const last = people[7];
    const first = await sync(bob, { filter: lazy() });
    expect(memberTargets(stateOf(first, roomId))).not.toContain(last.userId);
    const said = await sendOk(last, roomId);
    const b = await sync(bob, { since: first.next_batch, filter: lazy() });
    expect(timelineIds(b, roomId)).toEqual([said]);
    expect(memberTargets(stateOf(b, roomId))).toContain(last.userId);
  });

  // Spec ("Lazy-loading room members"): "Clients may request that redundant membership events are
  // always included in responses by setting include_redundant_members to true".
  it('include_redundant_members: true sends the member events of timeline senders again', async () => {
    const { bob, carol, roomId } = await crowd();
    const filter = lazy({ include_redundant_members: true });
    const first = await sync(bob, { filter });
    expect(memberTargets(stateOf(first, roomId))).toContain(carol.userId);
    const again = await sendOk(carol, roomId);
    const b = await sync(bob, { since: first.next_batch, filter });
    expect(timelineIds(b, roomId)).toEqual([again]);
    expect(memberTargets(stateOf(b, roomId))).toContain(carol.userId);
  });

  // Spec (sync.yaml, GET /sync description): "When a sync is limited, the server MUST return
  // membership events for events in the gap ... regardless as to whether or not they are
  // redundant. This ensures that joins/leaves ... which occur during the gap are not lost."
  it('a limited lazy-loading sync carries the membership changes of the gap', async () => {
    const { alice, bob, roomId } = await crowd();
    const first = await sync(bob, { filter: lazy() });
    const ivan = await registerUser();
    const joinedIvan = await join(ivan, roomId);
    expect(joinedIvan.status).toBe(200);
    for (let i = 0; i < 5; i++) await sendOk(alice, roomId);
    const b = await sync(bob, { since: first.next_batch, filter: lazy() });
    expect(joined(b, roomId)!.timeline.limited).toBe(true);
    const ivanMember = stateOf(b, roomId).find((e: Ev) => e.type === 'm.room.member' && e.state_key === ivan.userId);
    expect(ivanMember?.content.membership).toBe('join');
  });

  // Spec (sync.yaml, m.heroes): "When lazy-loading room members is enabled, the membership events
  // for the heroes MUST be included in the state, unless they are redundant."
  it('lazy loading includes the member events of the heroes', async () => {
    const { bob, roomId } = await crowd();
    const b = await sync(bob, { filter: lazy() });
    const heroes: string[] = joined(b, roomId)!.summary['m.heroes'];
    expect(heroes.length).toBeGreaterThan(0);
    expect(memberTargets(stateOf(b, roomId))).toEqual(expect.arrayContaining(heroes));
  });
});

describe('state kept out of the timeline', () => {
  // As Synapse does: a state change the timeline filter leaves out still reaches the client through
  // `state`, or its model of the room would never learn it.
  it('a state event dropped by the timeline filter comes in state, in an incremental sync and alone', async () => {
    const [alice, bob] = await users(2);
    const roomId = await roomWith(alice, [bob], { name: 'Before' });
    const filter = { room: { timeline: { not_types: ['m.room.name', 'm.room.topic'] } } };
    const first = await sync(bob, { filter });
    const named = await putState(alice, roomId, 'm.room.name', { name: 'After' });
    const msg = await sendOk(alice, roomId);
    const b = await sync(bob, { since: first.next_batch, filter });
    expect(timelineIds(b, roomId)).toEqual([msg]);
    expect(findState(stateOf(b, roomId), 'm.room.name')?.event_id).toBe(named.body.event_id);
    // A room where nothing but a filtered state change happened is still in the response.
    const topic = await putState(alice, roomId, 'm.room.topic', { topic: 'quiet' });
    const c = await sync(bob, { since: b.next_batch, filter });
    expect(timelineIds(c, roomId)).toEqual([]);
    expect(findState(stateOf(c, roomId), 'm.room.topic')?.event_id).toBe(topic.body.event_id);
    expect(findState(stateOf(c, roomId), 'm.room.name')).toBeUndefined();
  });

  it('a filtered state event older than a later one of the same key in the timeline is not sent', async () => {
    const [alice, bob] = await users(2);
    const roomId = await roomWith(alice, [bob]);
    const first = await sync(bob);
    // contains_url false drops the first of the two (it has a url), not the second.
    expect((await putState(alice, roomId, 'org.example.k', { url: 'mxc://test.local/x' })).status).toBe(200);
    const shown = await putState(alice, roomId, 'org.example.k', { v: 2 });
    const b = await sync(bob, { since: first.next_batch, filter: { room: { timeline: { contains_url: false } } } });
    expect(timelineIds(b, roomId)).toEqual([shown.body.event_id]);
    expect(findState(stateOf(b, roomId), 'org.example.k')).toBeUndefined();
  });
});

describe('event_fields and event_format', () => {
  it('event_fields keeps only the listed properties of timeline and state events, dots escaped with a backslash', async () => {
    const [alice, bob] = await users(2);
    const roomId = await roomWith(alice, [bob], { name: 'Fields' });
    const target = await sendOk(alice, roomId);
    const reply = await sendOk(alice, roomId, { msgtype: 'm.text', body: 'reply', 'm.relates_to': { 'm.in_reply_to': { event_id: target } } });
    const filter = { event_fields: ['type', 'content.body', 'content.m\\.relates_to', 'content.name'], room: { timeline: { limit: 1 } } };
    const r = await syncRaw(bob, { filter });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    const room = r.body.rooms.join[roomId];
    expect(room.timeline.events).toEqual([{ type: 'm.room.message', content: { body: 'reply', 'm.relates_to': { 'm.in_reply_to': { event_id: target } } } }]);
    expect(room.state.events).toContainEqual({ type: 'm.room.name', content: { name: 'Fields' } });
    for (const e of room.state.events) expect(Object.keys(e).every((k) => k === 'type' || k === 'content'), JSON.stringify(e)).toBe(true);
    // A path into something that is not there adds nothing; an empty list keeps nothing.
    const none = await syncRaw(bob, { filter: { event_fields: [], room: { timeline: { limit: 1 } } } });
    expect(none.body.rooms.join[roomId].timeline.events).toEqual([{}]);
    expect(reply).toBeDefined();
  });

  it('event_format federation serves the events as servers exchange them, with their ids and unsigned data', async () => {
    const [alice, bob] = await users(2);
    const roomId = await roomWith(alice, [bob]);
    const msg = await sendOk(alice, roomId, { msgtype: 'm.text', body: 'raw' });
    const r = await syncRaw(bob, { filter: { event_format: 'federation', room: { timeline: { limit: 1 } } } });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    const room = r.body.rooms.join[roomId];
    const [e] = room.timeline.events;
    expect(e.event_id).toBe(msg);
    expect(e.room_id).toBe(roomId);
    expect(e.content).toEqual({ msgtype: 'm.text', body: 'raw' });
    for (const k of ['auth_events', 'prev_events', 'depth', 'hashes', 'signatures']) expect(e, k).toHaveProperty(k);
    expect(typeof e.unsigned.age).toBe('number');
    const create = room.state.events.find((x: Ev) => x.type === 'm.room.create');
    expect(create.signatures).toBeDefined();
    // The client format has none of the federation fields.
    const client = await sync(bob, { filter: { room: { timeline: { limit: 1 } } } });
    expect(timelineOf(client, roomId)[0]).not.toHaveProperty('signatures');
  });
});

describe('include_leave', () => {
  it('false (the default) leaves out left rooms in an initial sync; true includes them', async () => {
    const [alice, bob] = await users(2);
    const roomId = await roomWith(alice, [bob]);
    expect((await leave(bob, roomId)).status).toBe(200);
    const off = await sync(bob, { filter: { room: { include_leave: false } } });
    expect(off.rooms?.leave?.[roomId]).toBeUndefined();
    const on = await sync(bob, { filter: { room: { include_leave: true } } });
    expect(on.rooms.leave[roomId]).toBeDefined();
    // rooms/not_rooms apply to left rooms too.
    const excluded = await sync(bob, { filter: { room: { include_leave: true, not_rooms: [roomId] } } });
    expect(excluded.rooms?.leave?.[roomId]).toBeUndefined();
  });
});

describe('ephemeral, account_data and presence filters', () => {
  it('ephemeral not_types m.typing drops typing but keeps receipts', async () => {
    const [alice, bob] = await users(2);
    const roomId = await roomWith(alice, [bob]);
    const msg = await sendOk(alice, roomId);
    expect((await receipt(alice, roomId, msg)).status).toBe(200);
    expect((await typing(alice, roomId, { typing: true, timeout: 30_000 })).status).toBe(200);
    const all = await sync(bob);
    expect(ephemeralOf(all, roomId).map((e) => e.type).sort()).toEqual(['m.receipt', 'm.typing']);
    const filtered = await sync(bob, { filter: { room: { ephemeral: { not_types: ['m.typing'] } } } });
    expect(ephemeralOf(filtered, roomId).map((e) => e.type)).toEqual(['m.receipt']);
    const none = await sync(bob, { filter: { room: { ephemeral: { types: [] } } } });
    expect(ephemeralOf(none, roomId)).toEqual([]);
  });

  it('global and room account_data filters', async () => {
    const [alice, bob] = await users(2);
    const roomId = await roomWith(alice, [bob]);
    for (const t of ['org.example.a', 'org.example.b']) {
      expect((await putAccountData(bob, t, { t })).status).toBe(200);
      expect((await putAccountData(bob, t, { t }, roomId)).status).toBe(200);
    }
    const b = await sync(bob, { filter: { account_data: { types: ['org.example.a'] }, room: { account_data: { not_types: ['org.example.a'] } } } });
    expect(b.account_data.events.map((e: any) => e.type)).toEqual(['org.example.a']);
    expect(roomAccountDataOf(b, roomId).map((e) => e.type)).toEqual(['org.example.b']);
  });

  it('the presence filter selects presence events by type and sender', async () => {
    const [alice, bob, carol] = await users(3);
    await roomWith(alice, [bob, carol]);
    expect((await setPresence(alice, { presence: 'online' })).status).toBe(200);
    expect((await setPresence(carol, { presence: 'unavailable' })).status).toBe(200);
    const all = await sync(bob, { set_presence: 'offline' });
    expect(all.presence.events.map((e: any) => e.sender)).toEqual(expect.arrayContaining([alice.userId, carol.userId]));
    const none = await sync(bob, { set_presence: 'offline', filter: { presence: { not_types: ['m.presence'] } } });
    expect(none.presence?.events ?? []).toEqual([]);
    const onlyCarol = await sync(bob, { set_presence: 'offline', filter: { presence: { senders: [carol.userId] } } });
    expect(onlyCarol.presence.events.map((e: any) => e.sender)).toEqual([carol.userId]);
  });
});

describe('filter parameter', () => {
  it('accepts a stored filter id as well as inline JSON', async () => {
    const [alice, bob] = await users(2);
    const roomId = await roomWith(alice, [bob]);
    const last = await sendOk(alice, roomId);
    const id = await storeFilter(bob, { room: { timeline: { limit: 1 }, state: { types: ['m.room.create'] } } });
    const b = await sync(bob, { filter: id });
    expect(timelineIds(b, roomId)).toEqual([last]);
    expect(stateOf(b, roomId).map((e) => e.type)).toEqual(['m.room.create']);
    const inline = await sync(bob, { filter: { room: { timeline: { limit: 1 }, state: { types: ['m.room.create'] } } } });
    expect(timelineIds(inline, roomId)).toEqual([last]);
    expect(stateOf(inline, roomId).map((e) => e.type)).toEqual(['m.room.create']);
  });

  it('rejects bad JSON (M_NOT_JSON), a bad filter (M_BAD_JSON) and an unknown filter id (404)', async () => {
    const [alice, bob] = await users(2);
    const notJson = await syncRaw(bob, { filter: '{"room": ' });
    expect(notJson.status).toBe(400);
    expect(notJson.body.errcode).toBe('M_NOT_JSON');
    for (const bad of [{ room: { timeline: { limit: 'ten' } } }, { room: { rooms: 'not a list' } }, { event_format: 'other' }, { presence: { senders: [1] } }]) {
      const r = await syncRaw(bob, { filter: bad });
      expect(r.status, JSON.stringify(bad)).toBe(400);
      expect(r.body.errcode).toBe('M_BAD_JSON');
    }
    const unknown = await syncRaw(bob, { filter: '987654' });
    expect(unknown.status).toBe(404);
    expect(unknown.body.errcode).toBe('M_NOT_FOUND');
    // Filter ids belong to their user.
    const alices = await storeFilter(alice, { room: { timeline: { limit: 1 } } });
    const fresh = await registerUser();
    const foreign = await syncRaw(fresh, { filter: alices });
    expect(foreign.status).toBe(404);
  });
});
