// POST /search (room_events) with Postgres full-text search.
import { beforeAll, describe, expect, it } from 'vitest';
import { call, registerUser, type TestUser } from '../helpers/client';
import { createRoom, join, leave, putState, sendOk } from '../helpers/rooms';
import { expectSpec } from '../helpers/spec';

const OP = 'POST /_matrix/client/v3/search';
type Criteria = Record<string, unknown>;

function search(user: TestUser, criteria: Criteria, nextBatch?: string) {
  const qs = nextBatch ? `?next_batch=${encodeURIComponent(nextBatch)}` : '';
  return call('POST', `/_matrix/client/v3/search${qs}`, { token: user.token, body: { search_categories: { room_events: criteria } } });
}

async function searchOk(user: TestUser, criteria: Criteria, nextBatch?: string) {
  const r = await search(user, criteria, nextBatch);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  expectSpec(OP, 200, r.body);
  return r.body.search_categories.room_events;
}

const ids = (results: { result: { event_id: string } }[]) => results.map((r) => r.result.event_id);
const text = (body: string) => ({ msgtype: 'm.text', body });

/** Follows next_batch to the end. */
async function allPages(user: TestUser, criteria: Criteria) {
  const out: any[] = [];
  let next: string | undefined;
  for (let i = 0; i < 30; i++) {
    const page = await searchOk(user, criteria, next);
    out.push(...page.results);
    next = page.next_batch;
    if (!next) break;
  }
  return out;
}

describe('search', () => {
  let alice: TestUser;
  let bob: TestUser;
  let room: string;
  let quick: string;
  let running: string;
  let lazy: string;
  let file: string;
  let byBob: string;

  beforeAll(async () => {
    [alice, bob] = await Promise.all([registerUser(), registerUser()]);
    const r = await call('PUT', `/_matrix/client/v3/profile/${encodeURIComponent(bob.userId)}/displayname`, { token: bob.token, body: { displayname: 'Bob B' } });
    expect(r.status).toBe(200);
    room = await createRoom(alice, { preset: 'public_chat' });
    expect((await join(bob, room)).status).toBe(200);
    quick = await sendOk(alice, room, text('The quick brown fox jumps'));
    running = await sendOk(alice, room, text('Foxes are running in the field'));
    lazy = await sendOk(alice, room, text('A lazy dog sleeps'));
    file = await sendOk(alice, room, { msgtype: 'm.file', body: 'fox photo', url: 'mxc://test.local/fox' });
    byBob = await sendOk(bob, room, text('bob saw a fox too'));
    expect((await putState(alice, room, 'm.room.name', { name: 'Fox den' })).status).toBe(200);
    expect((await putState(alice, room, 'm.room.topic', { topic: 'All about foxes' })).status).toBe(200);
  });

  it('finds messages, names and topics by stem, ranked, with highlights and a count', async () => {
    const res = await searchOk(alice, { search_term: 'fox' });
    expect(res.count).toBe(6);
    expect(res.results).toHaveLength(6);
    expect(ids(res.results)).toEqual(expect.arrayContaining([quick, running, file, byBob]));
    expect(ids(res.results)).not.toContain(lazy);
    const types = res.results.map((r: any) => r.result.type);
    expect(types).toEqual(expect.arrayContaining(['m.room.name', 'm.room.topic']));
    const ranks = res.results.map((r: any) => r.rank);
    expect(ranks).toEqual([...ranks].sort((a, b) => b - a));
    expect(res.highlights).toEqual(expect.arrayContaining(['fox', 'foxes']));
    expect(res.next_batch).toBeUndefined();
    expect(res.results[0].context).toBeUndefined();
    const quickResult = res.results.find((r: any) => r.result.event_id === quick).result;
    expect(quickResult).toMatchObject({ room_id: room, sender: alice.userId, type: 'm.room.message', content: text('The quick brown fox jumps') });
  });

  it('searches only the keys asked for, and applies the filter', async () => {
    const only = async (criteria: Criteria) => ids((await searchOk(alice, { search_term: 'fox', ...criteria })).results).sort();
    expect(await only({ keys: ['content.body'] })).toEqual([quick, running, file, byBob].sort());
    expect((await searchOk(alice, { search_term: 'fox', keys: ['content.name'] })).results.map((r: any) => r.result.type)).toEqual(['m.room.name']);
    expect(await only({ filter: { senders: [bob.userId] } })).toEqual([byBob]);
    expect(await only({ keys: ['content.body'], filter: { not_senders: [bob.userId] } })).toEqual([quick, running, file].sort());
    expect(await only({ filter: { contains_url: true } })).toEqual([file]);
    expect(await only({ filter: { types: ['m.room.message'], contains_url: false } })).toEqual([quick, running, byBob].sort());
    expect(await only({ filter: { not_types: ['m.room.*'] } })).toEqual([]);
    expect(await only({ filter: { not_rooms: [room] } })).toEqual([]);
    expect(await only({ keys: ['content.body'], filter: { rooms: [room], limit: 10 } })).toEqual([quick, running, file, byBob].sort());
  });

  it('orders by recent and pages through both orders with next_batch', async () => {
    const recent = await searchOk(alice, { search_term: 'fox', keys: ['content.body'], order_by: 'recent' });
    expect(ids(recent.results)).toEqual([byBob, file, running, quick]);

    const byRecent = await allPages(alice, { search_term: 'fox', keys: ['content.body'], order_by: 'recent', filter: { limit: 1 } });
    expect(ids(byRecent)).toEqual([byBob, file, running, quick]);
    const byRank = await allPages(alice, { search_term: 'fox', filter: { limit: 2 } });
    expect(ids(byRank)).toEqual(ids((await searchOk(alice, { search_term: 'fox' })).results));

    const page = await searchOk(alice, { search_term: 'fox', filter: { limit: 2 } });
    expect(page.count).toBe(6);
    const next = await searchOk(alice, { search_term: 'fox', filter: { limit: 2 } }, page.next_batch);
    expect(next.count).toBe(6);
    const wrongOrder = await search(alice, { search_term: 'fox', order_by: 'recent' }, page.next_batch);
    expect(wrongOrder.status).toBe(400);
    expect(wrongOrder.body.errcode).toBe('M_INVALID_PARAM');
    expect((await search(alice, { search_term: 'fox' }, 'garbage')).body.errcode).toBe('M_INVALID_PARAM');
  });

  it('returns context, historic profiles and current state when asked', async () => {
    const res = await searchOk(alice, {
      search_term: 'running',
      event_context: { before_limit: 1, after_limit: 2, include_profile: true },
      include_state: true,
    });
    expect(ids(res.results)).toEqual([running]);
    const ctx = res.results[0].context;
    expect(ctx.events_before.map((e: any) => e.event_id)).toEqual([quick]);
    expect(ctx.events_after.map((e: any) => e.event_id)).toEqual([lazy, file]);
    expect(ctx.profile_info[bob.userId]).toBeUndefined();
    expect(Object.keys(ctx.profile_info)).toEqual([alice.userId]);
    expect(typeof ctx.start).toBe('string');
    expect(typeof ctx.end).toBe('string');
    // The tokens work with /messages: backwards from start is before the context.
    const before = await call('GET', `/_matrix/client/v3/rooms/${encodeURIComponent(room)}/messages?dir=b&limit=1&from=${encodeURIComponent(ctx.start)}`, { token: alice.token });
    expect(before.body.chunk[0].event_id).not.toBe(quick);
    const after = await call('GET', `/_matrix/client/v3/rooms/${encodeURIComponent(room)}/messages?dir=f&limit=1&from=${encodeURIComponent(ctx.end)}`, { token: alice.token });
    expect(after.body.chunk[0].event_id).toBe(byBob);
    expect(res.state[room].map((e: any) => e.type)).toEqual(expect.arrayContaining(['m.room.create', 'm.room.name', 'm.room.topic']));

    const bobs = await searchOk(alice, { search_term: 'saw', event_context: { before_limit: 0, after_limit: 0, include_profile: true } });
    expect(bobs.results[0].context.profile_info[bob.userId]).toEqual({ displayname: 'Bob B' });
    expect(bobs.results[0].context.events_before).toEqual([]);
  });

  it('groups results by room and by sender', async () => {
    const res = await searchOk(alice, {
      search_term: 'fox',
      keys: ['content.body'],
      order_by: 'recent',
      filter: { limit: 2 },
      groupings: { group_by: [{ key: 'room_id' }, { key: 'sender' }] },
    });
    expect(ids(res.results)).toEqual([byBob, file]);
    expect(res.groups.room_id[room].results).toEqual([byBob, file]);
    expect(res.groups.room_id[room].order).toBe(1);
    expect(res.groups.sender[bob.userId]).toEqual({ results: [byBob], order: 1 });
    expect(res.groups.sender[alice.userId].results).toEqual([file]);
    expect(res.groups.sender[alice.userId].order).toBe(2);
    // More of alice's messages remain: her group's token pages through her results only.
    const more = await searchOk(alice, { search_term: 'fox', keys: ['content.body'], order_by: 'recent', filter: { limit: 2 } }, res.groups.sender[alice.userId].next_batch);
    expect(ids(more.results)).toEqual([running, quick]);
    expect(more.next_batch).toBeUndefined();
  });

  it('shows only what history visibility allows, only in joined rooms, and never redacted text', async () => {
    const carol = await registerUser();
    const secret = await createRoom(alice, { preset: 'public_chat', initial_state: [{ type: 'm.room.history_visibility', content: { history_visibility: 'joined' } }] });
    await sendOk(alice, secret, text('hidden badger before carol'));
    expect((await join(carol, secret)).status).toBe(200);
    const seen = await sendOk(alice, secret, text('visible badger after carol'));
    const res = await searchOk(carol, { search_term: 'badger' });
    expect(ids(res.results)).toEqual([seen]);
    expect(res.count).toBe(1);

    // Not joined: nothing from the room.
    expect((await searchOk(carol, { search_term: 'fox' })).results).toEqual([]);
    expect((await leave(carol, secret)).status).toBe(200);
    expect((await searchOk(carol, { search_term: 'badger' })).results).toEqual([]);

    const doomed = await sendOk(alice, secret, text('redacted wombat'));
    expect((await searchOk(alice, { search_term: 'wombat' })).results).toHaveLength(1);
    const red = await call('PUT', `/_matrix/client/v3/rooms/${encodeURIComponent(secret)}/redact/${encodeURIComponent(doomed)}/r1`, { token: alice.token, body: {} });
    expect(red.status).toBe(200);
    const after = await searchOk(alice, { search_term: 'wombat' });
    expect(after.results).toEqual([]);
    expect(after.count).toBe(0);
  });

  it('also searches the predecessors of the rooms the filter names', async () => {
    const old = await createRoom(alice, { preset: 'public_chat', room_version: '11' });
    const ancient = await sendOk(alice, old, text('ancient narwhal'));
    const up = await call('POST', `/_matrix/client/v3/rooms/${encodeURIComponent(old)}/upgrade`, { token: alice.token, body: { new_version: '12' } });
    expect(up.status, JSON.stringify(up.body)).toBe(200);
    const modern = await sendOk(alice, up.body.replacement_room, text('modern narwhal'));
    const res = await searchOk(alice, { search_term: 'narwhal', filter: { rooms: [up.body.replacement_room] } });
    expect(ids(res.results).sort()).toEqual([ancient, modern].sort());
  });

  it('refuses malformed requests', async () => {
    const bad: unknown[] = [
      {},
      { search_categories: { room_events: {} } },
      { search_categories: { room_events: { search_term: 'x', keys: ['content.url'] } } },
      { search_categories: { room_events: { search_term: 'x', order_by: 'oldest' } } },
      { search_categories: { room_events: { search_term: 'x', filter: { limit: -1 } } } },
      { search_categories: { room_events: { search_term: 'x', groupings: { group_by: [{ key: 'type' }] } } } },
    ];
    for (const body of bad) {
      const r = await call('POST', '/_matrix/client/v3/search', { token: alice.token, body });
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.errcode, JSON.stringify(body)).toBe('M_BAD_JSON');
    }
    const none = await call('POST', '/_matrix/client/v3/search', { token: alice.token, body: { search_categories: {} } });
    expect(none.status).toBe(200);
    expectSpec(OP, 200, none.body);
    expect(none.body).toEqual({ search_categories: {} });
    expect((await call('POST', '/_matrix/client/v3/search', { body: { search_categories: {} } })).status).toBe(401);
    expect((await search(alice, { search_term: '' })).body.search_categories.room_events).toEqual({ count: 0, highlights: [], results: [] });
  });
});
