// Reading room history (spec: client-server "Getting events for a room", "Pagination",
// "Lazy-loading room members", "Room History Visibility"; message_pagination.yaml,
// event_context.yaml, rooms.yaml (members, joined_members, event)).
import { describe, expect, it } from 'vitest';
import { call, registerUser, type TestUser } from '../helpers/client';
import {
  context,
  createRoom,
  expectEventSpec,
  getEvent,
  getState,
  join,
  leave,
  member,
  members,
  messages,
  putState,
  roomPath,
  roomState,
  sendOk,
  setDisplayName,
  timeline,
  v3,
  type Ev,
} from '../helpers/rooms';
import { expectSpec } from '../helpers/spec';

const MESSAGES = 'GET /_matrix/client/v3/rooms/{roomId}/messages';
const CONTEXT = 'GET /_matrix/client/v3/rooms/{roomId}/context/{eventId}';
const MEMBERS = 'GET /_matrix/client/v3/rooms/{roomId}/members';
const EVENT = 'GET /_matrix/client/v3/rooms/{roomId}/event/{eventId}';

interface Page {
  start: string;
  end?: string;
  chunk: Ev[];
  state?: Ev[];
}

async function page(user: TestUser, roomId: string, query: Record<string, string | number>): Promise<Page> {
  const r = await messages(user, roomId, query);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  expectSpec(MESSAGES, 200, r.body);
  for (const e of r.body.chunk) expectEventSpec(e);
  return r.body;
}

async function sendMany(user: TestUser, roomId: string, n: number, prefix = 'm'): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) ids.push(await sendOk(user, roomId, { msgtype: 'm.text', body: `${prefix}${i}` }));
  return ids;
}

const ids = (events: Ev[]) => events.map((e) => e.event_id);
const bodies = (events: Ev[]) => events.filter((e) => e.type === 'm.room.message').map((e) => e.content.body);

async function sync(user: TestUser, query = ''): Promise<any> {
  const r = await call('GET', v3(`/sync?timeout=0${query}`), { token: user.token });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return r.body;
}

describe('/messages: pagination', () => {
  it('dir=b without from: newest first; following end to the start of history gives every event once; the last page has no end', async () => {
    const alice = await registerUser();
    const roomId = await createRoom(alice);
    const sent = await sendMany(alice, roomId, 7);
    const all = await timeline(alice, roomId); // forwards, whole history
    expect(ids(all).slice(-7)).toEqual(sent);
    expect(all[0].type).toBe('m.room.create');

    const seen: Ev[] = [];
    let from: string | undefined;
    for (;;) {
      const p = await page(alice, roomId, { dir: 'b', limit: 4, ...(from ? { from } : {}) });
      if (from) expect(p.start).toBe(from);
      seen.push(...p.chunk);
      if (p.end === undefined) break;
      expect(p.chunk.length).toBe(4);
      from = p.end;
    }
    expect(ids(seen)).toEqual(ids(all).reverse());
  });

  it('dir=f from the start: oldest first, in the same order as dir=b reversed', async () => {
    const alice = await registerUser();
    const roomId = await createRoom(alice);
    await sendMany(alice, roomId, 5);
    const forwards = await page(alice, roomId, { dir: 'f', limit: 100 });
    const backwards = await page(alice, roomId, { dir: 'b', limit: 100 });
    expect(ids(forwards.chunk)).toEqual(ids(backwards.chunk).reverse());
    expect(forwards.chunk[0].type).toBe('m.room.create');
    expect(backwards.end).toBeUndefined(); // the start of history
    for (let i = 1; i < forwards.chunk.length; i++) expect(forwards.chunk[i].origin_server_ts).toBeGreaterThanOrEqual(forwards.chunk[i - 1].origin_server_ts);
  });

  it('tokens are positions between events: dir=f from a backward page’s end returns that page’s events in order', async () => {
    const alice = await registerUser();
    const roomId = await createRoom(alice);
    const sent = await sendMany(alice, roomId, 6);
    const back = await page(alice, roomId, { dir: 'b', limit: 3 });
    expect(ids(back.chunk)).toEqual(sent.slice(3).reverse());
    const fwd = await page(alice, roomId, { dir: 'f', from: back.end!, limit: 3 });
    expect(fwd.start).toBe(back.end);
    expect(ids(fwd.chunk)).toEqual(sent.slice(3));
    // A forward page that stops early, then backwards from its end: the same events, newest first.
    const fwd2 = await page(alice, roomId, { dir: 'f', from: back.end!, limit: 2 });
    expect(ids(fwd2.chunk)).toEqual(sent.slice(3, 5));
    expect(fwd2.end).toBeDefined();
    const again = await page(alice, roomId, { dir: 'b', from: fwd2.end!, limit: 3 });
    expect(ids(again.chunk)).toEqual(sent.slice(2, 5).reverse());
  });

  it('to: stops at the given token, in both directions', async () => {
    const alice = await registerUser();
    const roomId = await createRoom(alice);
    const sent = await sendMany(alice, roomId, 6);
    const firstThree = await page(alice, roomId, { dir: 'b', limit: 3 }); // m5 m4 m3, end = before m3
    const mid = firstThree.end!;
    const newer = await page(alice, roomId, { dir: 'b', limit: 50, to: mid });
    expect(ids(newer.chunk)).toEqual(sent.slice(3).reverse());
    const older = await page(alice, roomId, { dir: 'f', limit: 50, to: mid });
    // Forwards from the start up to the token: everything before m3.
    expect(ids(older.chunk).slice(-3)).toEqual(sent.slice(0, 3));
    expect(ids(older.chunk)).not.toContain(sent[3]);
  });

  it('limit: at most that many events; 10 by default', async () => {
    const alice = await registerUser();
    const roomId = await createRoom(alice);
    const sent = await sendMany(alice, roomId, 12);
    expect(ids((await page(alice, roomId, { dir: 'b', limit: 2 })).chunk)).toEqual(sent.slice(-2).reverse());
    expect((await page(alice, roomId, { dir: 'b' })).chunk.length).toBe(10);
    const zero = await page(alice, roomId, { dir: 'b', limit: 0 });
    expect(zero.chunk).toEqual([]);
  });

  it('sync tokens as from: prev_batch continues before the sync timeline; next_batch excludes later events', async () => {
    const alice = await registerUser();
    const roomId = await createRoom(alice);
    const sent = await sendMany(alice, roomId, 6);
    const s = await sync(alice, `&filter=${encodeURIComponent(JSON.stringify({ room: { timeline: { limit: 2 } } }))}`);
    const tl = s.rooms.join[roomId].timeline;
    expect(ids(tl.events)).toEqual(sent.slice(-2));
    const before = await page(alice, roomId, { dir: 'b', from: tl.prev_batch, limit: 2 });
    expect(ids(before.chunk)).toEqual(sent.slice(2, 4).reverse());
    const later = await sendOk(alice, roomId, { msgtype: 'm.text', body: 'after sync' });
    const upToSync = await page(alice, roomId, { dir: 'b', from: s.next_batch, limit: 3 });
    expect(ids(upToSync.chunk)).toEqual(sent.slice(-3).reverse());
    const afterSync = await page(alice, roomId, { dir: 'f', from: s.next_batch, limit: 10 });
    expect(ids(afterSync.chunk)).toEqual([later]);
  });

  it('refused: bad dir, bad token, bad limit, bad filter (400); unknown room id (not 5xx)', async () => {
    const alice = await registerUser();
    const roomId = await createRoom(alice);
    const refused: Record<string, string | number>[] = [
      { dir: 'x' },
      { dir: 'b', from: 'garbage' },
      { dir: 'b', to: 'garbage' },
      { dir: 'b', limit: 'ten' },
      { dir: 'b', limit: -1 },
      { dir: 'b', filter: '{not json' },
      { dir: 'b', filter: JSON.stringify({ types: 'm.room.message' }) },
    ];
    for (const q of refused) {
      const r = await messages(alice, roomId, q);
      expect(r.status, JSON.stringify(q)).toBe(400);
      expect(typeof r.body.errcode).toBe('string');
    }
    const bad = await call('GET', '/_matrix/client/v3/rooms/nope/messages?dir=b', { token: alice.token });
    expect(bad.status).toBe(400);
    expect(bad.body.errcode).toBe('M_INVALID_PARAM');
    const unknown = await messages(alice, '!unknown:test.local', { dir: 'b' });
    expect(unknown.status).toBeLessThan(500);
    expect(unknown.status).toBeGreaterThanOrEqual(400);
  });

  // message_pagination.yaml, start: "A token corresponding to the start of chunk. This will be the
  // same as the value given in from." Here `from` is a sync token, which is not a room token.
  it('/messages start equals from when from is a sync token', async () => {
    const alice = await registerUser();
    const roomId = await createRoom(alice);
    await sendOk(alice, roomId);
    const s = await sync(alice);
    const p = await page(alice, roomId, { dir: 'b', from: s.next_batch, limit: 2 });
    expect(p.start).toBe(s.next_batch);
  });
});

describe('/messages: filters', () => {
  async function busyRoom() {
    const [alice, bob, carol] = await Promise.all([registerUser(), registerUser(), registerUser()]);
    await setDisplayName(bob, 'Bob');
    const roomId = await createRoom(alice, { preset: 'public_chat', name: 'busy' });
    expect((await join(bob, roomId)).status).toBe(200);
    expect((await join(carol, roomId)).status).toBe(200);
    const a1 = await sendOk(alice, roomId, { msgtype: 'm.text', body: 'a1' });
    const b1 = await sendOk(bob, roomId, { msgtype: 'm.text', body: 'b1' });
    const r1 = await sendOk(bob, roomId, { 'm.relates_to': { rel_type: 'm.annotation', event_id: a1, key: '👍' } }, 'm.reaction');
    const a2 = await sendOk(alice, roomId, { msgtype: 'm.notice', body: 'a2' });
    return { alice, bob, carol, roomId, a1, b1, r1, a2 };
  }

  it('types, not_types (with * wildcards), senders and not_senders', async () => {
    const { alice, bob, roomId, a1, b1, r1, a2 } = await busyRoom();
    const q = (filter: object) => page(alice, roomId, { dir: 'b', limit: 50, filter: JSON.stringify(filter) });
    expect(ids((await q({ types: ['m.room.message'] })).chunk)).toEqual([a2, b1, a1]);
    expect(ids((await q({ types: ['m.reaction'] })).chunk)).toEqual([r1]);
    expect((await q({ types: ['m.room.*'] })).chunk.every((e) => e.type.startsWith('m.room.'))).toBe(true);
    const notMessages = (await q({ not_types: ['m.room.message', 'm.room.member'] })).chunk;
    expect(notMessages.some((e) => e.type === 'm.room.message' || e.type === 'm.room.member')).toBe(false);
    expect(ids(notMessages)).toContain(r1);
    expect(ids((await q({ senders: [bob.userId] })).chunk)).toEqual([r1, b1, ...ids((await q({ senders: [bob.userId], types: ['m.room.member'] })).chunk)]);
    expect((await q({ not_senders: [alice.userId] })).chunk.every((e) => e.sender !== alice.userId)).toBe(true);
    expect(ids((await q({ types: ['m.room.message'], senders: [alice.userId] })).chunk)).toEqual([a2, a1]);
    // The filter's limit also bounds the page.
    expect(ids((await q({ types: ['m.room.message'], limit: 1 })).chunk)).toEqual([a2]);
  });

  it('a filter fills the page past events it drops, and pagination continues where it stopped', async () => {
    const alice = await registerUser();
    const roomId = await createRoom(alice);
    const wanted: string[] = [];
    for (let i = 0; i < 5; i++) {
      wanted.push(await sendOk(alice, roomId, { msgtype: 'm.text', body: `w${i}` }));
      for (let j = 0; j < 4; j++) await sendOk(alice, roomId, { n: j }, 'org.example.noise');
    }
    const filter = JSON.stringify({ types: ['m.room.message'] });
    const first = await page(alice, roomId, { dir: 'b', limit: 3, filter });
    expect(ids(first.chunk)).toEqual(wanted.slice(2).reverse());
    expect(first.end).toBeDefined();
    const second = await page(alice, roomId, { dir: 'b', limit: 3, filter, from: first.end! });
    expect(ids(second.chunk)).toEqual(wanted.slice(0, 2).reverse());
  });

  it('lazy_load_members: state holds exactly the member events of the chunk’s senders', async () => {
    const { alice, bob, carol, roomId } = await busyRoom();
    const p = await page(alice, roomId, { dir: 'b', limit: 3, filter: JSON.stringify({ lazy_load_members: true }) });
    const senders = new Set(p.chunk.map((e) => e.sender));
    expect(senders).toEqual(new Set([alice.userId, bob.userId]));
    expect(p.state).toBeDefined();
    for (const e of p.state!) expectEventSpec(e);
    expect(p.state!.every((e) => e.type === 'm.room.member')).toBe(true);
    expect(p.state!.map((e) => e.state_key).sort()).toEqual([...senders].sort());
    expect(p.state!.find((e) => e.state_key === bob.userId)!.content.displayname).toBe('Bob');
    expect(p.state!.some((e) => e.state_key === carol.userId)).toBe(false);
    // Without lazy loading: no state.
    const plain = await page(alice, roomId, { dir: 'b', limit: 3 });
    expect(plain.state ?? []).toEqual([]);
  });
});

describe('history visibility', () => {
  async function roomWith(visibility: string, alice: TestUser, preset = 'public_chat') {
    return createRoom(alice, { preset, initial_state: [{ type: 'm.room.history_visibility', content: { history_visibility: visibility } }] });
  }

  it('joined: a user who joins later sees nothing from before their join', async () => {
    const [alice, bob] = await Promise.all([registerUser(), registerUser()]);
    const roomId = await roomWith('joined', alice);
    const before = await sendOk(alice, roomId, { msgtype: 'm.text', body: 'before' });
    expect((await join(bob, roomId)).status).toBe(200);
    const after = await sendOk(alice, roomId, { msgtype: 'm.text', body: 'after' });
    const seen = await timeline(bob, roomId);
    expect(ids(seen)).not.toContain(before);
    expect(bodies(seen)).toEqual(['after']);
    // From the join on, everything; before it, only what preceded the joined setting (when the
    // visibility was unset, i.e. shared).
    const joinAt = seen.findIndex((e) => e.type === 'm.room.member' && e.state_key === bob.userId);
    expect(joinAt).toBeGreaterThanOrEqual(0);
    expect(ids(seen.slice(joinAt + 1))).toEqual([after]);
    expect(seen.slice(0, joinAt).every((e) => typeof e.state_key === 'string')).toBe(true);
    expect((await getEvent(bob, roomId, before)).status).toBe(404);
    expect((await context(bob, roomId, before)).status).toBe(404);
    // The creator, joined throughout, sees it all.
    expect(ids(await timeline(alice, roomId))).toEqual(expect.arrayContaining([before, after]));
  });

  it('shared: a user who joins later sees the whole history', async () => {
    const [alice, bob] = await Promise.all([registerUser(), registerUser()]);
    const roomId = await roomWith('shared', alice);
    const before = await sendOk(alice, roomId, { msgtype: 'm.text', body: 'before' });
    expect((await join(bob, roomId)).status).toBe(200);
    const seen = await timeline(bob, roomId);
    expect(seen[0].type).toBe('m.room.create');
    expect(ids(seen)).toContain(before);
    expect(ids(seen)).toEqual(ids(await timeline(alice, roomId)));
    expect((await getEvent(bob, roomId, before)).status).toBe(200);
  });

  it('invited: a user sees events from their invite on, not before', async () => {
    const [alice, bob] = await Promise.all([registerUser(), registerUser()]);
    const roomId = await roomWith('invited', alice, 'private_chat');
    const before = await sendOk(alice, roomId, { msgtype: 'm.text', body: 'before invite' });
    expect((await member(alice, roomId, 'invite', bob.userId)).status).toBe(200);
    const whileInvited = await sendOk(alice, roomId, { msgtype: 'm.text', body: 'while invited' });
    expect((await join(bob, roomId)).status).toBe(200);
    const joined = await sendOk(alice, roomId, { msgtype: 'm.text', body: 'joined' });
    const seen = await timeline(bob, roomId);
    expect(ids(seen)).not.toContain(before);
    expect(bodies(seen)).toEqual(['while invited', 'joined']);
    expect(seen.some((e) => e.type === 'm.room.member' && e.state_key === bob.userId && e.content.membership === 'invite')).toBe(true);
    expect((await getEvent(bob, roomId, whileInvited)).status).toBe(200);
    expect((await getEvent(bob, roomId, joined)).status).toBe(200);
    expect((await getEvent(bob, roomId, before)).status).toBe(404);
  });

  it('joined, then changed to shared: events sent while joined-only stay hidden from later members', async () => {
    const [alice, bob] = await Promise.all([registerUser(), registerUser()]);
    const roomId = await roomWith('joined', alice);
    const hidden = await sendOk(alice, roomId, { msgtype: 'm.text', body: 'hidden' });
    expect((await putState(alice, roomId, 'm.room.history_visibility', { history_visibility: 'shared' })).status).toBe(200);
    const shared = await sendOk(alice, roomId, { msgtype: 'm.text', body: 'shared' });
    expect((await join(bob, roomId)).status).toBe(200);
    const seen = await timeline(bob, roomId);
    expect(ids(seen)).toContain(shared);
    expect(ids(seen)).not.toContain(hidden);
  });

  it('world_readable: a user who never joined may read /messages, /event and /state', async () => {
    const [alice, reader] = await Promise.all([registerUser(), registerUser()]);
    const roomId = await roomWith('world_readable', alice);
    const msg = await sendOk(alice, roomId, { msgtype: 'm.text', body: 'for everyone' });
    const p = await page(reader, roomId, { dir: 'b', limit: 5 });
    expect(ids(p.chunk)).toContain(msg);
    const ev = await getEvent(reader, roomId, msg);
    expect(ev.status).toBe(200);
    expect(ev.body.content.body).toBe('for everyone');
    const state = await roomState(reader, roomId);
    expect(state.status).toBe(200);
    expectSpec('GET /_matrix/client/v3/rooms/{roomId}/state', 200, state.body);
    // Reading is not joining.
    expect((await call('PUT', roomPath(roomId, '/send/m.room.message/t1'), { token: reader.token, body: { body: 'x' } })).status).toBe(403);
  });

  it('a user who left sees nothing sent after leaving: /messages, /event, /state and /members are as of the leave', async () => {
    const [alice, bob, carol] = await Promise.all([registerUser(), registerUser(), registerUser()]);
    const roomId = await createRoom(alice, { preset: 'public_chat', name: 'Old name' });
    expect((await join(bob, roomId)).status).toBe(200);
    const whileIn = await sendOk(alice, roomId, { msgtype: 'm.text', body: 'while in' });
    expect((await leave(bob, roomId)).status).toBe(200);
    const afterLeave = await sendOk(alice, roomId, { msgtype: 'm.text', body: 'after leave' });
    expect((await putState(alice, roomId, 'm.room.name', { name: 'New name' })).status).toBe(200);
    expect((await join(carol, roomId)).status).toBe(200);

    const seen = await timeline(bob, roomId);
    expect(ids(seen)).toContain(whileIn);
    expect(ids(seen)).not.toContain(afterLeave);
    expect(bodies(seen)).not.toContain('after leave');
    const back = await page(bob, roomId, { dir: 'b', limit: 50 });
    expect(ids(back.chunk)).not.toContain(afterLeave);
    expect((await getEvent(bob, roomId, afterLeave)).status).toBe(404);
    expect((await getEvent(bob, roomId, whileIn)).status).toBe(200);

    expect((await getState(bob, roomId, 'm.room.name')).body).toEqual({ name: 'Old name' });
    const state = await roomState(bob, roomId);
    expect(state.status).toBe(200);
    expect(state.body.find((e) => e.type === 'm.room.name')!.content.name).toBe('Old name');
    expect(state.body.some((e) => e.state_key === carol.userId)).toBe(false);
    const m = await members(bob, roomId);
    expect(m.status).toBe(200);
    expectSpec(MEMBERS, 200, m.body);
    expect(m.body.chunk.some((e) => e.state_key === carol.userId)).toBe(false);
    expect(m.body.chunk.find((e) => e.state_key === bob.userId)!.content.membership).toBe('leave');
    // A user who left cannot call /joined_members ("The current user must be in the room").
    expect((await call('GET', roomPath(roomId, '/joined_members'), { token: bob.token })).status).toBe(403);
  });

  // history_visibility module: "for the user's own m.room.member events, the user should be
  // allowed to see the event if their membership before or after the event would allow them to
  // see it (... which change their membership from join to any other value, even if
  // history_visibility is joined)".
  it('a user sees their own leave event (history joined)', async () => {
    const [alice, bob] = await Promise.all([registerUser(), registerUser()]);
    const roomId = await createRoom(alice, { preset: 'public_chat', initial_state: [{ type: 'm.room.history_visibility', content: { history_visibility: 'joined' } }] });
    expect((await join(bob, roomId)).status).toBe(200);
    expect((await leave(bob, roomId)).status).toBe(200);
    const leaveEvent = (await members(alice, roomId)).body.chunk.find((e) => e.state_key === bob.userId)!;
    expect(leaveEvent.content.membership).toBe('leave');
    expect((await getEvent(bob, roomId, leaveEvent.event_id)).status).toBe(200);
    expect(ids(await timeline(bob, roomId))).toContain(leaveEvent.event_id);
  });

  it('a kicked or banned user sees nothing sent afterwards', async () => {
    const [alice, bob] = await Promise.all([registerUser(), registerUser()]);
    const roomId = await createRoom(alice, { preset: 'public_chat' });
    expect((await join(bob, roomId)).status).toBe(200);
    expect((await member(alice, roomId, 'ban', bob.userId)).status).toBe(200);
    const after = await sendOk(alice, roomId, { msgtype: 'm.text', body: 'after ban' });
    expect(ids(await timeline(bob, roomId))).not.toContain(after);
    expect((await getEvent(bob, roomId, after)).status).toBe(404);
  });

  // history_visibility module, server behaviour 3: "If history_visibility was set to shared, and
  // the user joined the room at any point after the event was sent, allow." and "After a user has
  // left a room, they may see any events which they were allowed to see before they left".
  it('shared history from before a user’s join stays visible to them after they leave', async () => {
    const [alice, bob] = await Promise.all([registerUser(), registerUser()]);
    const roomId = await createRoom(alice, { preset: 'public_chat' });
    const before = await sendOk(alice, roomId, { msgtype: 'm.text', body: 'before bob' });
    expect((await join(bob, roomId)).status).toBe(200);
    expect((await getEvent(bob, roomId, before)).status).toBe(200);
    expect((await leave(bob, roomId)).status).toBe(200);
    expect((await getEvent(bob, roomId, before)).status).toBe(200);
    expect(ids(await timeline(bob, roomId))).toContain(before);
  });

  // Same section: "For m.room.history_visibility events themselves, the user should be allowed to
  // see the event if the history_visibility before or after the event would allow them to see it."
  it('a history_visibility change from shared to joined is visible to a user who joins later', async () => {
    const [alice, bob] = await Promise.all([registerUser(), registerUser()]);
    const roomId = await createRoom(alice, { preset: 'public_chat' });
    const change = await putState(alice, roomId, 'm.room.history_visibility', { history_visibility: 'joined' });
    expect(change.status).toBe(200);
    expect((await join(bob, roomId)).status).toBe(200);
    expect((await getEvent(bob, roomId, change.body.event_id)).status).toBe(200);
  });

  // leaving.yaml /forget: "After this API is called, however, a user will no longer be able to
  // retrieve history for this room." Reads answer as to someone who was never in the room.
  it('after /forget the user can no longer read the room’s history', async () => {
    const [alice, bob] = await Promise.all([registerUser(), registerUser()]);
    const roomId = await createRoom(alice, { preset: 'public_chat' });
    expect((await join(bob, roomId)).status).toBe(200);
    const msg = await sendOk(alice, roomId);
    expect((await leave(bob, roomId)).status).toBe(200);
    expect((await getEvent(bob, roomId, msg)).status).toBe(200);
    expect((await call('POST', roomPath(roomId, '/forget'), { token: bob.token, body: {} })).status).toBe(200);
    expect((await messages(bob, roomId, { dir: 'b' })).status).toBe(403);
    expect((await getEvent(bob, roomId, msg)).status).toBe(404);
    expect((await context(bob, roomId, msg)).status).toBe(404);
    expect((await roomState(bob, roomId)).status).toBe(403);
    expect((await getState(bob, roomId, 'm.room.create')).status).toBe(403);
    expect((await members(bob, roomId)).status).toBe(403);
    // Joining again makes the history readable again (the forgotten flag goes with the new membership).
    expect((await join(bob, roomId)).status).toBe(200);
    expect((await getEvent(bob, roomId, msg)).status).toBe(200);
  });

  // Synapse answers /messages of an invited user with 403 unless the room is world_readable
  // (rooms.yaml /messages: 403 "You aren't a member of the room").
  it('an invited user may not page the history, unless the room is world_readable', async () => {
    const [alice, bob] = await Promise.all([registerUser(), registerUser()]);
    const roomId = await createRoom(alice, { preset: 'private_chat' });
    expect((await member(alice, roomId, 'invite', bob.userId)).status).toBe(200);
    const refused = await messages(bob, roomId, { dir: 'b' });
    expect(refused.status).toBe(403);
    expect(refused.body.errcode).toBe('M_FORBIDDEN');
    const open = await createRoom(alice, { preset: 'private_chat', initial_state: [{ type: 'm.room.history_visibility', content: { history_visibility: 'world_readable' } }] });
    const msg = await sendOk(alice, open);
    expect((await member(alice, open, 'invite', bob.userId)).status).toBe(200);
    expect(ids((await page(bob, open, { dir: 'b' })).chunk)).toContain(msg);
  });

  it('/messages without from, for a user who left, starts at their leave', async () => {
    const [alice, bob] = await Promise.all([registerUser(), registerUser()]);
    const roomId = await createRoom(alice, { preset: 'public_chat' });
    expect((await join(bob, roomId)).status).toBe(200);
    const last = await sendOk(alice, roomId, { msgtype: 'm.text', body: 'last seen' });
    expect((await leave(bob, roomId)).status).toBe(200);
    const hidden = await sendMany(alice, roomId, 5, 'after');
    const p = await page(bob, roomId, { dir: 'b', limit: 2 });
    expect(p.chunk[0].type).toBe('m.room.member');
    expect(p.chunk[0].state_key).toBe(bob.userId);
    expect(p.chunk[1].event_id).toBe(last);
    // The start token is the leave: paging forward from it shows nothing of what came after.
    const forward = await page(bob, roomId, { dir: 'f', from: p.start });
    expect(ids(forward.chunk).some((id) => hidden.includes(id))).toBe(false);
    expect(forward.chunk).toEqual([]);
  });
});

describe('/context', () => {
  it('events before (newest first) and after (oldest first), split by limit, the event itself, tokens and state', async () => {
    const alice = await registerUser();
    const roomId = await createRoom(alice, { name: 'N1' });
    const sent = await sendMany(alice, roomId, 9);
    const target = sent[4];
    const r = await context(alice, roomId, target, { limit: 4 });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expectSpec(CONTEXT, 200, r.body);
    expect(r.body.event.event_id).toBe(target);
    expect(ids(r.body.events_before)).toEqual([sent[3], sent[2]]);
    expect(ids(r.body.events_after)).toEqual([sent[5], sent[6]]);
    expect(r.body.state.find((e: Ev) => e.type === 'm.room.name').content).toEqual({ name: 'N1' });
    expect(r.body.state.some((e: Ev) => e.type === 'm.room.create')).toBe(true);
    for (const e of [r.body.event, ...r.body.events_before, ...r.body.events_after, ...r.body.state]) expectEventSpec(e);

    // start paginates backwards from the oldest event returned, end forwards from the newest.
    const older = await page(alice, roomId, { dir: 'b', from: r.body.start, limit: 2 });
    expect(ids(older.chunk)).toEqual([sent[1], sent[0]]);
    const newer = await page(alice, roomId, { dir: 'f', from: r.body.end, limit: 5 });
    expect(ids(newer.chunk)).toEqual([sent[7], sent[8]]);
  });

  it('limit 0 still returns the event; the default limit is 10', async () => {
    const alice = await registerUser();
    const roomId = await createRoom(alice);
    const sent = await sendMany(alice, roomId, 14);
    const zero = await context(alice, roomId, sent[7], { limit: 0 });
    expect(zero.status).toBe(200);
    expect(zero.body.event.event_id).toBe(sent[7]);
    expect(zero.body.events_before).toEqual([]);
    expect(zero.body.events_after).toEqual([]);
    const dflt = await context(alice, roomId, sent[7]);
    expect(dflt.body.events_before.length + dflt.body.events_after.length).toBe(10);
  });

  it('filter applies to events_before/after and not to the event; lazy_load_members trims member state to the senders', async () => {
    const [alice, bob, carol] = await Promise.all([registerUser(), registerUser(), registerUser()]);
    const roomId = await createRoom(alice, { preset: 'public_chat' });
    expect((await join(bob, roomId)).status).toBe(200);
    expect((await join(carol, roomId)).status).toBe(200);
    const before = await sendOk(bob, roomId, { msgtype: 'm.text', body: 'bob' });
    const noise = await sendOk(alice, roomId, { n: 1 }, 'org.example.noise');
    const target = await sendOk(alice, roomId, { n: 2 }, 'org.example.noise');
    const after = await sendOk(alice, roomId, { msgtype: 'm.text', body: 'alice' });
    const r = await context(alice, roomId, target, { limit: 4, filter: JSON.stringify({ types: ['m.room.message'], lazy_load_members: true }) });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expectSpec(CONTEXT, 200, r.body);
    expect(r.body.event.event_id).toBe(target);
    expect(ids(r.body.events_before)).toEqual([before]);
    expect(ids(r.body.events_after)).toEqual([after]);
    expect(ids(r.body.events_before)).not.toContain(noise);
    const memberKeys = r.body.state.filter((e: Ev) => e.type === 'm.room.member').map((e: Ev) => e.state_key).sort();
    expect(memberKeys).toEqual([alice.userId, bob.userId].sort());
  });

  it('404 for an unknown event, an event of another room, and for a non-member', async () => {
    const [alice, mallory] = await Promise.all([registerUser(), registerUser()]);
    const roomA = await createRoom(alice);
    const roomB = await createRoom(alice);
    const inB = await sendOk(alice, roomB);
    const inA = await sendOk(alice, roomA);
    for (const [roomId, eventId] of [[roomA, '$unknownevent'], [roomA, inB]]) {
      const r = await context(alice, roomId, eventId);
      expect(r.status, `${roomId} ${eventId}`).toBe(404);
      expect(r.body.errcode).toBe('M_NOT_FOUND');
    }
    expect([403, 404]).toContain((await context(mallory, roomA, inA)).status);
  });

  // event_context.yaml, state: "The state of the room at the last event returned.", not at the
  // requested event when events_after contains later state changes.
  it('/context state is the state at the last event returned', async () => {
    const alice = await registerUser();
    const roomId = await createRoom(alice, { name: 'N1' });
    const target = await sendOk(alice, roomId);
    expect((await putState(alice, roomId, 'm.room.name', { name: 'N2' })).status).toBe(200);
    const last = await sendOk(alice, roomId);
    const r = await context(alice, roomId, target, { limit: 10 });
    expect(ids(r.body.events_after).at(-1)).toBe(last);
    expect(r.body.state.find((e: Ev) => e.type === 'm.room.name').content).toEqual({ name: 'N2' });
  });
});

describe('/event/{eventId}', () => {
  it('serves an event of the room; 404 M_NOT_FOUND for unknown events and for events of other rooms', async () => {
    const alice = await registerUser();
    const roomA = await createRoom(alice);
    const roomB = await createRoom(alice);
    const inA = await sendOk(alice, roomA, { msgtype: 'm.text', body: 'in A' });
    const inB = await sendOk(alice, roomB, { msgtype: 'm.text', body: 'in B' });
    const ok = await getEvent(alice, roomA, inA);
    expect(ok.status).toBe(200);
    expectSpec(EVENT, 200, ok.body);
    expect(ok.body).toMatchObject({ event_id: inA, room_id: roomA, content: { body: 'in A' } });
    for (const eventId of [inB, '$doesnotexist', 'not-an-event-id']) {
      const r = await getEvent(alice, roomA, eventId);
      expect(r.status, eventId).toBe(404);
      expect((r.body as any).errcode).toBe('M_NOT_FOUND');
    }
  });
});

describe('/members', () => {
  it('membership and not_membership filters', async () => {
    const [alice, bob, carol, dave, erin] = await Promise.all([registerUser(), registerUser(), registerUser(), registerUser(), registerUser()]);
    const roomId = await createRoom(alice, { preset: 'public_chat' });
    expect((await join(bob, roomId)).status).toBe(200);
    expect((await member(alice, roomId, 'invite', carol.userId)).status).toBe(200);
    expect((await join(dave, roomId)).status).toBe(200);
    expect((await leave(dave, roomId)).status).toBe(200);
    expect((await member(alice, roomId, 'ban', erin.userId)).status).toBe(200);
    const keys = async (query: Record<string, string>) => {
      const r = await members(alice, roomId, query);
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      expectSpec(MEMBERS, 200, r.body);
      for (const e of r.body.chunk) {
        expect(e.type).toBe('m.room.member');
        expectEventSpec(e);
      }
      return r.body.chunk.map((e) => e.state_key).sort();
    };
    expect(await keys({})).toEqual([alice.userId, bob.userId, carol.userId, dave.userId, erin.userId].sort());
    expect(await keys({ membership: 'join' })).toEqual([alice.userId, bob.userId].sort());
    expect(await keys({ membership: 'invite' })).toEqual([carol.userId]);
    expect(await keys({ membership: 'ban' })).toEqual([erin.userId]);
    expect(await keys({ not_membership: 'leave' })).toEqual([alice.userId, bob.userId, carol.userId, erin.userId].sort());
    expect(await keys({ membership: 'knock' })).toEqual([]);
    const bad = await members(alice, roomId, { membership: 'joined' });
    expect(bad.status).toBe(400);
  });

  it('at: the members as of a pagination or sync token', async () => {
    const [alice, bob, carol] = await Promise.all([registerUser(), registerUser(), registerUser()]);
    const roomId = await createRoom(alice, { preset: 'public_chat' });
    expect((await join(bob, roomId)).status).toBe(200);
    await sendOk(alice, roomId);
    const s = await sync(alice);
    const token = (await page(alice, roomId, { dir: 'b', limit: 1 })).start;
    expect((await join(carol, roomId)).status).toBe(200);
    expect((await member(alice, roomId, 'kick', bob.userId)).status).toBe(200);

    const now = await members(alice, roomId);
    expect(Object.fromEntries(now.body.chunk.map((e) => [e.state_key, e.content.membership]))).toEqual({
      [alice.userId]: 'join',
      [bob.userId]: 'leave',
      [carol.userId]: 'join',
    });
    for (const at of [token, s.next_batch]) {
      const then = await members(alice, roomId, { at });
      expect(then.status, at).toBe(200);
      expectSpec(MEMBERS, 200, then.body);
      expect(Object.fromEntries(then.body.chunk.map((e) => [e.state_key, e.content.membership])), at).toEqual({
        [alice.userId]: 'join',
        [bob.userId]: 'join',
      });
    }
    const bad = await members(alice, roomId, { at: 'garbage' });
    expect(bad.status).toBe(400);
  });

  it('a user who never joined a world_readable room may list its members; not of another room', async () => {
    const [alice, bob, reader] = await Promise.all([registerUser(), registerUser(), registerUser()]);
    const roomId = await createRoom(alice, { preset: 'public_chat', initial_state: [{ type: 'm.room.history_visibility', content: { history_visibility: 'world_readable' } }] });
    expect((await join(bob, roomId)).status).toBe(200);
    const r = await members(reader, roomId);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expectSpec(MEMBERS, 200, r.body);
    expect(r.body.chunk.map((e) => e.state_key).sort()).toEqual([alice.userId, bob.userId].sort());
    const closed = await createRoom(alice, { preset: 'public_chat' });
    const refused = await members(reader, closed);
    expect(refused.status).toBe(403);
    expect((refused.body as unknown as { errcode: string }).errcode).toBe('M_FORBIDDEN');
  });

  // rooms.yaml /members: "When specified alongside not_membership, the two parameters create an
  // 'or' condition: either the membership is the same as membership or is not the same as
  // not_membership." (Synapse ANDs them.)
  it('membership together with not_membership is an OR', async () => {
    const [alice, bob, carol] = await Promise.all([registerUser(), registerUser(), registerUser()]);
    const roomId = await createRoom(alice, { preset: 'public_chat' });
    expect((await member(alice, roomId, 'invite', bob.userId)).status).toBe(200);
    expect((await join(carol, roomId)).status).toBe(200);
    expect((await leave(carol, roomId)).status).toBe(200);
    const r = await members(alice, roomId, { membership: 'join', not_membership: 'leave' });
    expect(r.body.chunk.map((e) => e.state_key).sort()).toEqual([alice.userId, bob.userId].sort());
  });
});

describe('/joined_members', () => {
  it('maps each joined user to display_name and avatar_url', async () => {
    const [alice, bob] = await Promise.all([registerUser(), registerUser()]);
    await setDisplayName(bob, 'Bobby');
    expect((await call('PUT', v3(`/profile/${encodeURIComponent(bob.userId)}/avatar_url`), { token: bob.token, body: { avatar_url: 'mxc://test.local/bobface' } })).status).toBe(200);
    const roomId = await createRoom(alice, { preset: 'public_chat' });
    expect((await join(bob, roomId)).status).toBe(200);
    const r = await call('GET', roomPath(roomId, '/joined_members'), { token: alice.token });
    expect(r.status).toBe(200);
    expectSpec('GET /_matrix/client/v3/rooms/{roomId}/joined_members', 200, r.body);
    expect(r.body.joined[bob.userId]).toEqual({ display_name: 'Bobby', avatar_url: 'mxc://test.local/bobface' });
    expect(r.body.joined[alice.userId]).toEqual({ display_name: alice.localpart });
  });
});
