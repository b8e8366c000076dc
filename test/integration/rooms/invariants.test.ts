// The design's invariants under concurrency (../shared/DESIGN.md): 1 per-room order, 3 idempotent
// sends, 4 authorise before accept, 7 nothing lost, nothing half-written. The stored PDUs are read
// directly (test-only) to check the DAG the RoomDO built: one linear chain, no gap, no duplicate.
import { beforeAll, describe, expect, it } from 'vitest';
import { env } from 'cloudflare:test';
import { sql } from 'drizzle-orm';
import { httpDb } from '../../../src/db/client';
import { call, login, registerUser, SERVER_NAME, type Reply, type TestUser } from '../helpers/client';
import {
  context,
  createRoom,
  createRoomRaw,
  enc,
  getState,
  join,
  nextTxn,
  putState,
  redact,
  roomPath,
  sendOk,
  sendWithTxn,
  stateMap,
  storedEvents,
  timeline,
  v3,
} from '../helpers/rooms';

/** These tests put hundreds of requests through a 2-core machine at once; generous, not timed. */
const HEAVY = 180_000;

type Stored = Awaited<ReturnType<typeof storedEvents>>[number];

/** Invariant 1 on the stored room: positions strictly increase and each event's only prev_event is the one before it. */
function expectLinearChain(rows: Stored[]) {
  expect(rows.length).toBeGreaterThan(0);
  expect(rows[0].pdu.type).toBe('m.room.create');
  expect(rows[0].pdu.prev_events).toEqual([]);
  const ids = new Set<string>();
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i];
    expect(r.streamPos, r.eventId).not.toBeNull();
    expect(ids.has(r.eventId), `duplicate ${r.eventId}`).toBe(false);
    ids.add(r.eventId);
    if (i === 0) continue;
    const prev = rows[i - 1];
    expect(r.streamPos!, `position of ${r.eventId}`).toBeGreaterThan(prev.streamPos!);
    expect(r.pdu.prev_events, `prev_events of event ${i} (${r.pdu.type})`).toEqual([prev.eventId]);
    expect(r.pdu.depth).toBe(prev.pdu.depth + 1);
  }
}

/** The room state folded from the stored timeline: what current state must equal (invariant 4). */
function foldState(rows: Stored[]): Map<string, string> {
  const state = new Map<string, string>();
  for (const r of rows) if (typeof r.pdu.state_key === 'string') state.set(`${r.pdu.type}|${r.pdu.state_key}`, r.eventId);
  return state;
}

async function expectStateIsFold(user: TestUser, roomId: string) {
  const rows = await storedEvents(roomId);
  const current = await stateMap(user, roomId);
  expect(new Map([...current].map(([k, e]) => [k, e.event_id]))).toEqual(foldState(rows));
}

async function users(n: number): Promise<TestUser[]> {
  return Promise.all(Array.from({ length: n }, () => registerUser()));
}

describe('invariant 1: per-room order under concurrent senders', { timeout: HEAVY }, () => {
  it('16 users × 10 messages at once: one strictly ordered chain, no gap, no duplicate, each sender’s order kept', async () => {
    const [owner, ...senders] = await users(17);
    const roomId = await createRoom(owner, { preset: 'public_chat' });
    for (const u of senders) expect((await join(u, roomId)).status).toBe(200);

    const sent = new Map<string, string[]>();
    await Promise.all(
      senders.map(async (u, n) => {
        const mine: string[] = [];
        for (let i = 0; i < 10; i++) {
          const r = await sendWithTxn(u, roomId, 'm.room.message', nextTxn(), { msgtype: 'm.text', body: `${n}:${i}` });
          expect(r.status, JSON.stringify(r.body)).toBe(200);
          mine.push(r.body.event_id);
        }
        sent.set(u.userId, mine);
      }),
    );
    const all = [...sent.values()].flat();
    expect(new Set(all).size).toBe(160);

    const rows = await storedEvents(roomId);
    expectLinearChain(rows);
    const messages = rows.filter((r) => r.pdu.type === 'm.room.message');
    expect(messages.map((r) => r.eventId).sort()).toEqual([...all].sort());
    for (const [userId, mine] of sent) {
      expect(messages.filter((r) => r.pdu.sender === userId).map((r) => r.eventId), userId).toEqual(mine);
    }

    // The client APIs agree with the stored order: /messages forwards, and /context around an event.
    const served = await timeline(owner, roomId);
    expect(served.map((e) => e.event_id)).toEqual(rows.map((r) => r.eventId));
    const middle = messages[80];
    const ctx = await context(owner, roomId, middle.eventId, { limit: 2 });
    const at = rows.findIndex((r) => r.eventId === middle.eventId);
    expect(ctx.body.events_before.map((e: { event_id: string }) => e.event_id)).toEqual([rows[at - 1].eventId]);
    expect(ctx.body.events_after.map((e: { event_id: string }) => e.event_id)).toEqual([rows[at + 1].eventId]);
  });

  it('160 requests in flight at once, messages and state mixed: still one chain, and current state is the fold of it', async () => {
    const [owner, ...senders] = await users(9);
    const roomId = await createRoom(owner, { preset: 'public_chat', power_level_content_override: { state_default: 0 } });
    for (const u of senders) expect((await join(u, roomId)).status).toBe(200);
    const replies = await Promise.all(
      Array.from({ length: 160 }, (_, i) => {
        const u = senders[i % senders.length];
        return i % 4 === 0
          ? putState(u, roomId, 'org.example.counter', { i }, `k${i % 3}`)
          : sendWithTxn(u, roomId, 'm.room.message', nextTxn(), { msgtype: 'm.text', body: String(i) });
      }),
    );
    for (const r of replies) expect(r.status, JSON.stringify(r.body)).toBe(200);
    const rows = await storedEvents(roomId);
    expectLinearChain(rows);
    const stored = new Set(rows.map((r) => r.eventId));
    for (const r of replies) expect(stored.has(r.body.event_id)).toBe(true);
    expect(rows.filter((r) => r.pdu.type === 'org.example.counter' || r.pdu.type === 'm.room.message').length).toBe(160);
    await expectStateIsFold(owner, roomId);
  });

  it('concurrent sends into 8 rooms: every room is its own chain and no position is shared between rooms', async () => {
    const alice = await registerUser();
    const rooms = await Promise.all(Array.from({ length: 8 }, () => createRoom(alice)));
    await Promise.all(
      rooms.flatMap((roomId) => Array.from({ length: 10 }, (_, i) => sendOk(alice, roomId, { msgtype: 'm.text', body: `${i}` }))),
    );
    const positions = new Set<number>();
    for (const roomId of rooms) {
      const rows = await storedEvents(roomId);
      expectLinearChain(rows);
      expect(rows.filter((r) => r.pdu.type === 'm.room.message').length).toBe(10);
      for (const r of rows) {
        expect(positions.has(r.streamPos!)).toBe(false);
        positions.add(r.streamPos!);
      }
    }
  });
});

describe('invariant 3: idempotent sends under concurrency', { timeout: HEAVY }, () => {
  it('the same request 5 times at once creates one event, for 10 transactions at once', async () => {
    const alice = await registerUser();
    const roomId = await createRoom(alice);
    const txns = Array.from({ length: 10 }, () => nextTxn());
    const replies = await Promise.all(
      txns.flatMap((txn) => Array.from({ length: 5 }, () => sendWithTxn(alice, roomId, 'm.room.message', txn, { msgtype: 'm.text', body: txn }))),
    );
    for (const r of replies) expect(r.status, JSON.stringify(r.body)).toBe(200);
    for (let t = 0; t < txns.length; t++) {
      const five = replies.slice(t * 5, t * 5 + 5).map((r) => r.body.event_id);
      expect(new Set(five).size, txns[t]).toBe(1);
    }
    const rows = await storedEvents(roomId);
    expectLinearChain(rows);
    const messages = rows.filter((r) => r.pdu.type === 'm.room.message');
    expect(messages.length).toBe(10);
    expect(messages.map((r) => r.pdu.content.body).sort()).toEqual([...txns].sort());
  });

  it('a redaction retried 5 times at once (/redact and /send/m.room.redaction) is one redaction', async () => {
    const alice = await registerUser();
    const roomId = await createRoom(alice);
    const a = await sendOk(alice, roomId);
    const b = await sendOk(alice, roomId);
    const txnA = nextTxn();
    const txnB = nextTxn();
    const replies = await Promise.all([
      ...Array.from({ length: 5 }, () => redact(alice, roomId, a, { reason: 'r' }, txnA)),
      ...Array.from({ length: 5 }, () => sendWithTxn(alice, roomId, 'm.room.redaction', txnB, { redacts: b })),
    ]);
    for (const r of replies) expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(new Set(replies.slice(0, 5).map((r) => r.body.event_id)).size).toBe(1);
    expect(new Set(replies.slice(5).map((r) => r.body.event_id)).size).toBe(1);
    const rows = await storedEvents(roomId);
    expectLinearChain(rows);
    expect(rows.filter((r) => r.pdu.type === 'm.room.redaction').length).toBe(2);
  });

  it('retries of stored sends among new sends: each retry gets its original, each new send is stored once, the chain stays whole', async () => {
    // The room server does not look up transaction ids before writing a batch: a stored one makes
    // the write fail and the batch is built again. Whatever batches these land in, nothing may show.
    const alice = await registerUser();
    const roomId = await createRoom(alice);
    const stored = [nextTxn(), nextTxn(), nextTxn()];
    const originals = [];
    for (const txn of stored) originals.push((await sendWithTxn(alice, roomId, 'm.room.message', txn, { msgtype: 'm.text', body: txn })).body.event_id);
    const fresh = Array.from({ length: 12 }, () => nextTxn());
    const replies = await Promise.all([
      ...fresh.map((txn) => sendWithTxn(alice, roomId, 'm.room.message', txn, { msgtype: 'm.text', body: txn })),
      ...stored.flatMap((txn) => [1, 2].map(() => sendWithTxn(alice, roomId, 'm.room.message', txn, { msgtype: 'm.text', body: `${txn} again` }))),
    ]);
    for (const r of replies) expect(r.status, JSON.stringify(r.body)).toBe(200);
    const retried = replies.slice(fresh.length).map((r) => r.body.event_id);
    expect(retried).toEqual(originals.flatMap((id) => [id, id]));
    const rows = await storedEvents(roomId);
    expectLinearChain(rows);
    const messages = rows.filter((r) => r.pdu.type === 'm.room.message');
    expect(messages.map((r) => r.pdu.content.body).sort()).toEqual([...stored, ...fresh].sort());
    expect(new Set(replies.slice(0, fresh.length).map((r) => r.body.event_id)).size).toBe(fresh.length);
  });

  it('the same txnId from two devices of one user at once: one event per device', async () => {
    const alice = await registerUser();
    const other = await login(alice);
    expect(other.status).toBe(200);
    const device2 = { token: other.body.access_token as string };
    const roomId = await createRoom(alice);
    const txn = nextTxn();
    const replies = await Promise.all([
      ...Array.from({ length: 4 }, () => sendWithTxn(alice, roomId, 'm.room.message', txn, { body: 'd1' })),
      ...Array.from({ length: 4 }, () => sendWithTxn(device2, roomId, 'm.room.message', txn, { body: 'd2' })),
    ]);
    for (const r of replies) expect(r.status).toBe(200);
    const d1 = new Set(replies.slice(0, 4).map((r) => r.body.event_id));
    const d2 = new Set(replies.slice(4).map((r) => r.body.event_id));
    expect(d1.size).toBe(1);
    expect(d2.size).toBe(1);
    expect([...d1][0]).not.toBe([...d2][0]);
    expect((await storedEvents(roomId)).filter((r) => r.pdu.type === 'm.room.message').length).toBe(2);
  });
});

describe('invariant 4: authorise before accept', { timeout: HEAVY }, () => {
  it('rejected events under concurrency leave no event, no state change, and no link in the chain', async () => {
    const [alice, bob, mallory] = await users(3);
    const roomId = await createRoom(alice, { preset: 'public_chat', name: 'n0' });
    expect((await join(bob, roomId)).status).toBe(200);
    const before = await storedEvents(roomId);

    const replies = await Promise.all([
      ...Array.from({ length: 10 }, (_, i) => putState(alice, roomId, 'm.room.name', { name: `alice ${i}` })),
      ...Array.from({ length: 10 }, (_, i) => putState(bob, roomId, 'm.room.name', { name: `bob ${i}` })),
      ...Array.from({ length: 10 }, (_, i) => sendWithTxn(bob, roomId, 'm.room.message', nextTxn(), { msgtype: 'm.text', body: `bob ${i}` })),
      ...Array.from({ length: 5 }, () => sendWithTxn(mallory, roomId, 'm.room.message', nextTxn(), { msgtype: 'm.text', body: 'intruder' })),
      ...Array.from({ length: 5 }, () => putState(bob, roomId, 'm.room.power_levels', { users: { [bob.userId]: 100 } })),
    ]);
    const statuses = replies.map((r) => r.status);
    expect(statuses.slice(0, 10)).toEqual(Array(10).fill(200));
    expect(statuses.slice(10, 20)).toEqual(Array(10).fill(403));
    expect(statuses.slice(20, 30)).toEqual(Array(10).fill(200));
    expect(statuses.slice(30)).toEqual(Array(10).fill(403));
    for (const r of replies.filter((x) => x.status === 403)) expect(r.body.errcode).toBe('M_FORBIDDEN');

    const rows = await storedEvents(roomId);
    expectLinearChain(rows);
    const added = rows.slice(before.length);
    expect(added.length).toBe(20);
    expect(added.every((r) => r.pdu.sender === alice.userId || (r.pdu.sender === bob.userId && r.pdu.type === 'm.room.message'))).toBe(true);
    expect(rows.some((r) => r.pdu.sender === mallory.userId)).toBe(false);
    // The name is the last accepted one in timeline order; power levels are untouched.
    const lastName = added.filter((r) => r.pdu.type === 'm.room.name').at(-1)!;
    expect((await getState(alice, roomId, 'm.room.name')).body).toEqual(lastName.pdu.content);
    expect((await getState(alice, roomId, 'm.room.power_levels')).body.users?.[bob.userId]).toBeUndefined();
    await expectStateIsFold(alice, roomId);
  });

  it('a refused membership change leaves the member where they were', async () => {
    const [alice, bob, carol] = await users(3);
    const roomId = await createRoom(alice, { preset: 'public_chat' });
    expect((await join(bob, roomId)).status).toBe(200);
    expect((await join(carol, roomId)).status).toBe(200);
    const count = (await storedEvents(roomId)).length;
    const replies = await Promise.all([
      call('POST', roomPath(roomId, '/kick'), { token: bob.token, body: { user_id: carol.userId } }),
      call('POST', roomPath(roomId, '/ban'), { token: bob.token, body: { user_id: carol.userId } }),
      call('POST', roomPath(roomId, '/kick'), { token: carol.token, body: { user_id: alice.userId } }),
    ]);
    for (const r of replies) expect(r.status).toBe(403);
    expect((await storedEvents(roomId)).length).toBe(count);
    expect((await getState(alice, roomId, 'm.room.member', carol.userId)).body.membership).toBe('join');
    expect((await getState(alice, roomId, 'm.room.member', alice.userId)).body.membership).toBe('join');
  });
});

/**
 * A fault injected for these tests: Postgres refuses to insert an event of this type, inside the
 * transaction that persists it (a trigger on the events table). It stands for any event that
 * cannot be stored, without which no request can make a batch fail.
 */
const UNSTORABLE = 'org.example.unstorable';

async function installUnstorableTrigger() {
  const db = httpDb(env);
  await db.execute(
    sql.raw(`create or replace function myelin_test_unstorable() returns trigger language plpgsql as $$
      begin raise exception 'test fault: % cannot be stored', new.type; end $$`),
  );
  await db.execute(
    sql.raw(`do $$ begin
      if not exists (select 1 from pg_trigger where tgname = 'myelin_test_unstorable') then
        create trigger myelin_test_unstorable before insert on events for each row
          when (new.type = '${UNSTORABLE}') execute function myelin_test_unstorable();
      end if;
    end $$`),
  );
}

describe('invariant 7: nothing lost, nothing half-written', { timeout: HEAVY }, () => {
  beforeAll(installUnstorableTrigger);

  it('a batch that fails to persist leaves no trace and the room continues from the last stored event', async () => {
    const alice = await registerUser();
    const roomId = await createRoom(alice, { name: 'before' });
    const before = await storedEvents(roomId);
    const poison = await putState(alice, roomId, UNSTORABLE, { v: 1 });
    expect(poison.status).toBe(500);
    expect(poison.body.errcode).toBe('M_UNKNOWN');
    const after = await storedEvents(roomId);
    expect(after.map((r) => r.eventId)).toEqual(before.map((r) => r.eventId));
    const state = await stateMap(alice, roomId);
    expect([...state.keys()].some((k) => k.startsWith(`${UNSTORABLE}|`))).toBe(false);
    // The room goes on: the next events chain onto the last stored one, state included.
    expect((await putState(alice, roomId, 'm.room.name', { name: 'after' })).status).toBe(200);
    await sendOk(alice, roomId);
    const rows = await storedEvents(roomId);
    expectLinearChain(rows);
    expect((await getState(alice, roomId, 'm.room.name')).body).toEqual({ name: 'after' });
    await expectStateIsFold(alice, roomId);
  });

  it('concurrent good events beside a failing one: every good one is stored exactly once, the failing one left nothing', async () => {
    const alice = await registerUser();
    const roomId = await createRoom(alice);
    const replies = await Promise.all([
      ...Array.from({ length: 10 }, (_, i) => sendWithTxn(alice, roomId, 'm.room.message', nextTxn(), { msgtype: 'm.text', body: `good ${i}` })),
      putState(alice, roomId, UNSTORABLE, { v: 1 }),
      ...Array.from({ length: 10 }, (_, i) => putState(alice, roomId, 'org.example', { i }, `ok${i}`)),
    ]);
    expect(replies[10].status).toBe(500);
    const good = [...replies.slice(0, 10), ...replies.slice(11)];
    expect(good.map((r) => r.status)).toEqual(Array(20).fill(200));
    const rows = await storedEvents(roomId);
    expectLinearChain(rows);
    const stored = rows.map((r) => r.eventId);
    for (const r of good) expect(stored.filter((id) => id === r.body.event_id).length).toBe(1);
    // Everything stored past the room's creation was acknowledged.
    const acknowledged = new Set(good.map((r) => r.body.event_id));
    const created = rows.findIndex((r) => r.pdu.type === 'm.room.guest_access');
    for (const r of rows.slice(created + 1)) expect(acknowledged.has(r.eventId), r.eventId).toBe(true);
    await expectStateIsFold(alice, roomId);
    // And the room still takes events.
    await sendOk(alice, roomId);
    expectLinearChain(await storedEvents(roomId));
  });

  // Invariant 3 with 7: a retry of a transaction id that arrives while its original waits in the
  // same batch is answered with the original's event id only once that is stored; when the batch
  // fails, the events are retried one by one and the retries follow their original.
  it('a retried txnId in a batch that fails is never answered 200 with an event that does not exist', async () => {
    const alice = await registerUser();
    const roomId = await createRoom(alice);
    const txn = nextTxn();
    // The first request opens a batch; the others queue behind it and are committed together.
    const replies = await Promise.all([
      sendWithTxn(alice, roomId, 'm.room.message', nextTxn(), { msgtype: 'm.text', body: 'leader' }),
      putState(alice, roomId, UNSTORABLE, { v: 1 }),
      ...Array.from({ length: 4 }, () => sendWithTxn(alice, roomId, 'm.room.message', txn, { msgtype: 'm.text', body: 'retried' })),
    ]);
    expect(replies[1].status).toBe(500);
    const later = await sendWithTxn(alice, roomId, 'm.room.message', txn, { msgtype: 'm.text', body: 'retried' });
    expect(later.status).toBe(200);
    const stored = new Set((await storedEvents(roomId)).map((r) => r.eventId));
    expect(stored.has(later.body.event_id)).toBe(true);
    for (const r of replies.slice(2)) {
      expect(r.status).toBe(200);
      expect(r.body.event_id).toBe(later.body.event_id);
    }
    expectLinearChain(await storedEvents(roomId));
  });

  it('a createRoom that fails to persist leaves no room and frees its alias', async () => {
    const alice = await registerUser();
    const localpart = `failed-${alice.localpart}`;
    const alias = `#${localpart}:${SERVER_NAME}`;
    const r = await createRoomRaw(alice, { room_alias_name: localpart, initial_state: [{ type: UNSTORABLE, state_key: '', content: {} }] });
    expect(r.status).toBe(500);
    expect((await call('GET', v3(`/directory/room/${enc(alias)}`))).status).toBe(404);
    const rooms = await call('GET', v3('/joined_rooms'), { token: alice.token });
    expect(rooms.body.joined_rooms).toEqual([]);
    // The alias can be used again.
    const again = await createRoomRaw(alice, { room_alias_name: localpart });
    expect(again.status).toBe(200);
    expect((await call('GET', v3(`/directory/room/${enc(alias)}`))).body.room_id).toBe(again.body.room_id);
  });
});

describe('invariant 8: bad input gets a Matrix error', () => {
  // A state key, event type, transaction id or m.relates_to.event_id holding U+0000 is a valid
  // JSON string that Postgres text cannot hold: refused as the client's mistake, never a 500.
  it('U+0000 in a state key, event type, transaction id or relation target → 400, and nothing is sent', async () => {
    const alice = await registerUser();
    const roomId = await createRoom(alice);
    const before = (await storedEvents(roomId)).length;
    const replies: [Reply, string][] = [
      [await call('PUT', roomPath(roomId, '/state/org.example/%00'), { token: alice.token, body: { v: 1 } }), 'M_INVALID_PARAM'],
      [await call('PUT', roomPath(roomId, `/send/org.example%00x/${nextTxn()}`), { token: alice.token, body: { v: 1 } }), 'M_INVALID_PARAM'],
      [await call('PUT', roomPath(roomId, '/state/org.example%00x/'), { token: alice.token, body: { v: 1 } }), 'M_INVALID_PARAM'],
      [await call('PUT', roomPath(roomId, '/send/m.room.message/a%00b'), { token: alice.token, body: { body: 'x' } }), 'M_INVALID_PARAM'],
      [await sendWithTxn(alice, roomId, 'm.room.message', nextTxn(), { body: 'x', 'm.relates_to': { rel_type: 'm.reference', event_id: '$a\u0000b' } }), 'M_BAD_JSON'],
      [await createRoomRaw(alice, { initial_state: [{ type: 'org.example', state_key: '\u0000', content: {} }] }), 'M_BAD_JSON'],
    ];
    for (const [r, errcode] of replies) {
      expect(r.status, JSON.stringify(r.body)).toBe(400);
      expect(r.body.errcode).toBe(errcode);
    }
    expect((await storedEvents(roomId)).length).toBe(before);
    // U+0000 inside content is only text in the event: it is stored and served as sent.
    const ok = await sendWithTxn(alice, roomId, 'm.room.message', nextTxn(), { msgtype: 'm.text', body: 'a\u0000b' });
    expect(ok.status).toBe(200);
    expect((await call('GET', roomPath(roomId, `/event/${enc(ok.body.event_id)}`), { token: alice.token })).body.content.body).toBe('a\u0000b');
  });
});
