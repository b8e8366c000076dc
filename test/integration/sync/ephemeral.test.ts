// Ephemeral room data in /sync: typing (modules/typing_notifications.md, typing.yaml), receipts
// (modules/receipts.md, receipts.yaml) and read markers (modules/read_markers.md, read_markers.yaml).
import { describe, expect, it } from 'vitest';
import { call } from '../helpers/client';
import { createRoom, enc, sendOk } from '../helpers/rooms';
import { expectSpec } from '../helpers/spec';
import { ephemeralOf, joined, putAccountData, receipt, roomAccountDataOf, roomWith, sync, syncUntil, typing, users, type SyncBody } from './helpers';

const typingOf = (b: SyncBody, roomId: string) => ephemeralOf(b, roomId).find((e) => e.type === 'm.typing')?.content.user_ids as string[] | undefined;
const receiptOf = (b: SyncBody, roomId: string) => ephemeralOf(b, roomId).find((e) => e.type === 'm.receipt')?.content as Record<string, Record<string, Record<string, any>>> | undefined;

function readMarkers(user: { token: string }, roomId: string, body: unknown) {
  return call('POST', `/_matrix/client/v3/rooms/${enc(roomId)}/read_markers`, { token: user.token, body });
}

function expectEmpty(r: { status: number; body: unknown }, op: string) {
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  expectSpec(op, 200, r.body);
}

describe('typing', () => {
  it('room members see who types, in initial and incremental syncs; stopping clears the list', async () => {
    const [alice, bob, carol] = await users(3);
    const roomId = await roomWith(alice, [bob]);
    const first = await sync(bob);
    expect(typingOf(first, roomId)).toBeUndefined();
    expectEmpty(await typing(alice, roomId, { typing: true, timeout: 30_000 }), 'PUT /_matrix/client/v3/rooms/{roomId}/typing/{userId}');
    const b = await sync(bob, { since: first.next_batch });
    expect(typingOf(b, roomId)).toEqual([alice.userId]);
    const fresh = await sync(bob);
    expect(typingOf(fresh, roomId)).toEqual([alice.userId]);
    // Someone outside the room learns nothing of it.
    const outsider = await sync(carol);
    expect(joined(outsider, roomId)).toBeUndefined();

    expectEmpty(await typing(alice, roomId, { typing: false }), 'PUT /_matrix/client/v3/rooms/{roomId}/typing/{userId}');
    const c = await sync(bob, { since: b.next_batch });
    // Spec: the list REPLACES what the client knows, so an empty list means nobody types.
    expect(typingOf(c, roomId)).toEqual([]);
    const d = await sync(bob, { since: c.next_batch });
    expect(typingOf(d, roomId)).toBeUndefined();
  });

  it('typing stops by itself after its timeout (Durable Object alarm)', async () => {
    const [alice, bob] = await users(2);
    const roomId = await roomWith(alice, [bob]);
    const first = await sync(bob);
    expect((await typing(alice, roomId, { typing: true, timeout: 1000 })).status).toBe(200);
    const b = await sync(bob, { since: first.next_batch });
    expect(typingOf(b, roomId)).toEqual([alice.userId]);
    // Long-poll until the expiry arrives (a few rounds at most).
    const seen = await syncUntil(bob, b.next_batch, (x) => typingOf(x, roomId) !== undefined, {}, 5);
    expect(typingOf(seen.at(-1)!, roomId)).toEqual([]);
    expect(typingOf(await sync(bob), roomId)).toBeUndefined();
  });

  it('only members may type, and only as themselves (403); bad bodies are 400', async () => {
    const [alice, bob, carol] = await users(3);
    const roomId = await roomWith(alice, [bob]);
    const outsider = await typing(carol, roomId, { typing: true, timeout: 1000 });
    expect(outsider.status).toBe(403);
    expect(outsider.body.errcode).toBe('M_FORBIDDEN');
    const impostor = await typing(alice, roomId, { typing: true, timeout: 1000 }, bob.userId);
    expect(impostor.status).toBe(403);
    expect(impostor.body.errcode).toBe('M_FORBIDDEN');
    const noFlag = await typing(alice, roomId, { timeout: 1000 });
    expect(noFlag.status).toBe(400);
    expect(noFlag.body.errcode).toBe('M_BAD_JSON');
    const notJson = await call('PUT', `/_matrix/client/v3/rooms/${enc(roomId)}/typing/${enc(alice.userId)}`, { token: alice.token, raw: '{typing', headers: { 'content-type': 'application/json' } });
    expect(notJson.status).toBe(400);
    expect(notJson.body.errcode).toBe('M_NOT_JSON');
    // Nothing of this reached the room.
    expect(typingOf(await sync(bob), roomId)).toBeUndefined();
  });
});

describe('receipts', () => {
  it('m.read is visible to every member, with its ts', async () => {
    const [alice, bob] = await users(2);
    const roomId = await roomWith(alice, [bob]);
    const msg = await sendOk(bob, roomId);
    const first = await sync(bob);
    expectEmpty(await receipt(alice, roomId, msg), 'POST /_matrix/client/v3/rooms/{roomId}/receipt/{receiptType}/{eventId}');
    const b = await sync(bob, { since: first.next_batch });
    const content = receiptOf(b, roomId)!;
    expect(Object.keys(content)).toEqual([msg]);
    expect(content[msg]['m.read'][alice.userId]).toEqual({ ts: expect.any(Number) });
    expect(receiptOf(await sync(alice), roomId)![msg]['m.read'][alice.userId].ts).toBe(content[msg]['m.read'][alice.userId].ts);
  });

  it('m.read.private reaches only its sender', async () => {
    const [alice, bob] = await users(2);
    const roomId = await roomWith(alice, [bob]);
    const msg = await sendOk(alice, roomId);
    const aliceFirst = await sync(alice);
    const bobFirst = await sync(bob);
    expect((await receipt(bob, roomId, msg, 'm.read.private')).status).toBe(200);
    const own = await sync(bob, { since: bobFirst.next_batch });
    expect(receiptOf(own, roomId)![msg]['m.read.private'][bob.userId].ts).toEqual(expect.any(Number));
    const other = await sync(alice, { since: aliceFirst.next_batch });
    expect(receiptOf(other, roomId)).toBeUndefined();
    expect(receiptOf(await sync(alice), roomId)).toBeUndefined();
    expect(receiptOf(await sync(bob), roomId)![msg]['m.read.private']).toBeDefined();
  });

  it('threaded receipts carry their thread_id, and each thread keeps its own receipt', async () => {
    const [alice, bob] = await users(2);
    const roomId = await roomWith(alice, [bob]);
    const root = await sendOk(alice, roomId, { msgtype: 'm.text', body: 'root' });
    const reply = await sendOk(alice, roomId, { msgtype: 'm.text', body: 'in thread', 'm.relates_to': { rel_type: 'm.thread', event_id: root } });
    const main = await sendOk(alice, roomId, { msgtype: 'm.text', body: 'main again' });
    expect((await receipt(bob, roomId, reply, 'm.read', { thread_id: root })).status).toBe(200);
    expect((await receipt(bob, roomId, main, 'm.read', { thread_id: 'main' })).status).toBe(200);
    expect((await receipt(bob, roomId, root, 'm.read')).status).toBe(200);
    const content = receiptOf(await sync(alice), roomId)!;
    expect(content[reply]['m.read'][bob.userId]).toEqual({ ts: expect.any(Number), thread_id: root });
    expect(content[main]['m.read'][bob.userId]).toEqual({ ts: expect.any(Number), thread_id: 'main' });
    expect(content[root]['m.read'][bob.userId]).toEqual({ ts: expect.any(Number) });
  });

  it('receipts only move forward', async () => {
    const [alice, bob] = await users(2);
    const roomId = await roomWith(alice, [bob]);
    const m1 = await sendOk(alice, roomId);
    const m2 = await sendOk(alice, roomId);
    expect((await receipt(bob, roomId, m2)).status).toBe(200);
    const first = await sync(alice);
    expect(Object.keys(receiptOf(first, roomId)!)).toEqual([m2]);
    expect((await receipt(bob, roomId, m1)).status).toBe(200);
    const b = await sync(alice, { since: first.next_batch });
    expect(receiptOf(b, roomId)).toBeUndefined();
    expect(Object.keys(receiptOf(await sync(alice), roomId)!)).toEqual([m2]);
  });

  it('refuses unknown receipt types and empty thread ids (400), unknown events (404), outsiders (403)', async () => {
    const [alice, bob, carol] = await users(3);
    const roomId = await roomWith(alice, [bob]);
    const elsewhere = await createRoom(carol, {});
    const foreign = await sendOk(carol, elsewhere);
    const msg = await sendOk(alice, roomId);
    const badType = await receipt(bob, roomId, msg, 'm.seen');
    expect(badType.status).toBe(400);
    const emptyThread = await receipt(bob, roomId, msg, 'm.read', { thread_id: '' });
    expect(emptyThread.status).toBe(400);
    const fullyReadThreaded = await receipt(bob, roomId, msg, 'm.fully_read', { thread_id: 'main' });
    expect(fullyReadThreaded.status).toBe(400);
    expect(fullyReadThreaded.body.errcode).toBe('M_INVALID_PARAM');
    for (const type of ['m.read', 'm.read.private', 'm.fully_read']) {
      const unknown = await receipt(bob, roomId, '$doesnotexist0000000000000000000000000000000', type);
      expect(unknown.status, type).toBe(404);
      expect(unknown.body.errcode).toBe('M_NOT_FOUND');
      const otherRoom = await receipt(bob, roomId, foreign, type);
      expect(otherRoom.status, type).toBe(404);
    }
    const outsider = await receipt(carol, roomId, msg);
    expect(outsider.status).toBe(403);
    expect(outsider.body.errcode).toBe('M_FORBIDDEN');
    expect(receiptOf(await sync(alice), roomId)).toBeUndefined();
  });
});

describe('read markers', () => {
  it('/read_markers sets m.fully_read room account data and the receipts, each seen by the right people', async () => {
    const [alice, bob] = await users(2);
    const roomId = await roomWith(alice, [bob]);
    const m1 = await sendOk(alice, roomId);
    const m2 = await sendOk(alice, roomId);
    const r = await readMarkers(bob, roomId, { 'm.fully_read': m1, 'm.read': m2, 'm.read.private': m2 });
    expectEmpty(r, 'POST /_matrix/client/v3/rooms/{roomId}/read_markers');
    const own = await sync(bob);
    expect(roomAccountDataOf(own, roomId)).toContainEqual({ type: 'm.fully_read', content: { event_id: m1 } });
    const content = receiptOf(own, roomId)!;
    expect(content[m2]['m.read'][bob.userId]).toBeDefined();
    expect(content[m2]['m.read.private'][bob.userId]).toBeDefined();
    const theirs = await sync(alice);
    expect(receiptOf(theirs, roomId)![m2]['m.read'][bob.userId]).toBeDefined();
    expect(receiptOf(theirs, roomId)![m2]['m.read.private']).toBeUndefined();
    expect(roomAccountDataOf(theirs, roomId).map((e) => e.type)).not.toContain('m.fully_read');
    // The marker is readable as room account data.
    const get = await call('GET', `/_matrix/client/v3/user/${enc(bob.userId)}/rooms/${enc(roomId)}/account_data/m.fully_read`, { token: bob.token });
    expect(get.status).toBe(200);
    expect(get.body).toEqual({ event_id: m1 });
  });

  it('m.fully_read through /receipt sets the marker (and no m.receipt)', async () => {
    const [alice, bob] = await users(2);
    const roomId = await roomWith(alice, [bob]);
    const m1 = await sendOk(alice, roomId);
    expect((await receipt(bob, roomId, m1, 'm.fully_read')).status).toBe(200);
    const own = await sync(bob);
    expect(roomAccountDataOf(own, roomId)).toContainEqual({ type: 'm.fully_read', content: { event_id: m1 } });
    expect(receiptOf(own, roomId)).toBeUndefined();
  });

  it('clients cannot write m.fully_read as room account data (405 M_BAD_JSON); bad markers are refused', async () => {
    const [alice, bob] = await users(2);
    const roomId = await roomWith(alice, [bob]);
    const msg = await sendOk(alice, roomId);
    const direct = await putAccountData(bob, 'm.fully_read', { event_id: msg }, roomId);
    expect(direct.status).toBe(405);
    expect(direct.body.errcode).toBe('M_BAD_JSON');
    const unknown = await readMarkers(bob, roomId, { 'm.fully_read': '$doesnotexist0000000000000000000000000000000' });
    expect(unknown.status).toBe(404);
    const wrongType = await readMarkers(bob, roomId, { 'm.fully_read': 42 });
    expect(wrongType.status).toBe(400);
    expect(wrongType.body.errcode).toBe('M_BAD_JSON');
    expect(roomAccountDataOf(await sync(bob), roomId).map((e) => e.type)).not.toContain('m.fully_read');
  });

  // modules/read_markers.md, Server behaviour: "Upon updating the m.fully_read event due to a request
  // to /read_markers, the server MUST send the updated account data event through to the client via
  // the event stream (eg: /sync)".
  it('an m.fully_read update reaches the next incremental sync', async () => {
    const [alice, bob] = await users(2);
    const roomId = await roomWith(alice, [bob]);
    const m1 = await sendOk(alice, roomId);
    const first = await sync(bob);
    expect((await readMarkers(bob, roomId, { 'm.fully_read': m1 })).status).toBe(200);
    const b = await sync(bob, { since: first.next_batch });
    expect(roomAccountDataOf(b, roomId)).toContainEqual({ type: 'm.fully_read', content: { event_id: m1 } });
  });
});
