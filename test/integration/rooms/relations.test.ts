import { describe, expect, it } from 'vitest';
import { call, registerUser, type TestUser } from '../helpers/client';
import { createRoom, join, send, sendOk } from '../helpers/rooms';
import { expectSpec } from '../helpers/spec';

const enc = encodeURIComponent;
const rel = (relType: string, eventId: string, extra: Record<string, unknown> = {}) => ({ 'm.relates_to': { rel_type: relType, event_id: eventId, ...extra } });

async function room() {
  const alice = await registerUser();
  const bob = await registerUser();
  const roomId = await createRoom(alice, { preset: 'public_chat' });
  await join(bob, roomId);
  return { alice, bob, roomId };
}

const getEvent = (u: TestUser, roomId: string, id: string) => call('GET', `/_matrix/client/v3/rooms/${enc(roomId)}/event/${enc(id)}`, { token: u.token });

describe('bundled aggregations', () => {
  it('bundles the latest valid edit, ignoring edits by others or of another type', async () => {
    const { alice, bob, roomId } = await room();
    const root = await sendOk(alice, roomId, { msgtype: 'm.text', body: 'I like cake' });
    const edit1 = await sendOk(alice, roomId, { msgtype: 'm.text', body: '* I like pie', 'm.new_content': { msgtype: 'm.text', body: 'I like pie' }, ...rel('m.replace', root) });
    await new Promise((r) => setTimeout(r, 5));
    const edit2 = await sendOk(alice, roomId, { msgtype: 'm.text', body: '* I like tea', 'm.new_content': { msgtype: 'm.text', body: 'I like tea' }, ...rel('m.replace', root) });
    await sendOk(bob, roomId, { msgtype: 'm.text', body: '* hijack', 'm.new_content': { msgtype: 'm.text', body: 'hijack' }, ...rel('m.replace', root) });
    await sendOk(alice, roomId, { body: 'no new content', ...rel('m.replace', root) }, 'm.room.message');
    const r = await getEvent(bob, roomId, root);
    expect(r.status).toBe(200);
    expectSpec('GET /_matrix/client/v3/rooms/{roomId}/event/{eventId}', 200, r.body);
    expect(r.body.content.body).toBe('I like cake'); // the original content is left intact
    const replace = r.body.unsigned['m.relations']['m.replace'];
    expect(replace.event_id).toBe(edit2);
    expect(replace.content['m.new_content'].body).toBe('I like tea');
    expect(edit1).not.toBe(edit2);
  });

  it('bundles thread summaries with count, latest event and participation', async () => {
    const { alice, bob, roomId } = await room();
    const carol = await registerUser();
    await join(carol, roomId);
    const root = await sendOk(alice, roomId, { msgtype: 'm.text', body: 'thread root' });
    await sendOk(bob, roomId, { msgtype: 'm.text', body: 'reply 1', ...rel('m.thread', root, { is_falling_back: true }) });
    const last = await sendOk(bob, roomId, { msgtype: 'm.text', body: 'reply 2', ...rel('m.thread', root) });
    const forBob = await getEvent(bob, roomId, root);
    const thread = forBob.body.unsigned['m.relations']['m.thread'];
    expect(thread.count).toBe(2);
    expect(thread.latest_event.event_id).toBe(last);
    expect(thread.current_user_participated).toBe(true);
    const forAlice = await getEvent(alice, roomId, root);
    expect(forAlice.body.unsigned['m.relations']['m.thread'].current_user_participated).toBe(true); // the root's sender
    const forCarol = await getEvent(carol, roomId, root);
    expect(forCarol.body.unsigned['m.relations']['m.thread'].current_user_participated).toBe(false);
    // The bundle comes with /messages too.
    const m = await call('GET', `/_matrix/client/v3/rooms/${enc(roomId)}/messages?dir=b&limit=10`, { token: carol.token });
    const inTimeline = m.body.chunk.find((e: { event_id: string }) => e.event_id === root);
    expect(inTimeline.unsigned['m.relations']['m.thread'].count).toBe(2);
  });

  it('bundles references, and not annotations', async () => {
    const { alice, bob, roomId } = await room();
    const root = await sendOk(alice, roomId, { msgtype: 'm.text', body: 'poll' });
    const ref = await sendOk(bob, roomId, { body: 'ref', ...rel('m.reference', root) }, 'org.example.ref');
    await sendOk(bob, roomId, rel('m.annotation', root, { key: '👍' }), 'm.reaction');
    const r = await getEvent(alice, roomId, root);
    expect(r.body.unsigned['m.relations']).toEqual({ 'm.reference': { chunk: [{ event_id: ref }] } });
  });

  it('drops a redacted edit and bundles nothing for a redacted original', async () => {
    const { alice, roomId } = await room();
    const root = await sendOk(alice, roomId, { msgtype: 'm.text', body: 'a' });
    const edit = await sendOk(alice, roomId, { msgtype: 'm.text', body: '* b', 'm.new_content': { msgtype: 'm.text', body: 'b' }, ...rel('m.replace', root) });
    await call('PUT', `/_matrix/client/v3/rooms/${enc(roomId)}/redact/${enc(edit)}/r1`, { token: alice.token, body: {} });
    expect((await getEvent(alice, roomId, root)).body.unsigned['m.relations']).toBeUndefined();
    const edit2 = await sendOk(alice, roomId, { msgtype: 'm.text', body: '* c', 'm.new_content': { msgtype: 'm.text', body: 'c' }, ...rel('m.replace', root) });
    expect((await getEvent(alice, roomId, root)).body.unsigned['m.relations']['m.replace'].event_id).toBe(edit2);
    await call('PUT', `/_matrix/client/v3/rooms/${enc(roomId)}/redact/${enc(root)}/r2`, { token: alice.token, body: {} });
    expect((await getEvent(alice, roomId, root)).body.unsigned['m.relations']).toBeUndefined();
  });
});

describe('GET /relations', () => {
  it('paginates children newest first, filters by rel_type and event type', async () => {
    const { alice, bob, roomId } = await room();
    const root = await sendOk(alice, roomId, { msgtype: 'm.text', body: 'root' });
    const reactions: string[] = [];
    for (const key of ['a', 'b', 'c']) reactions.push(await sendOk(bob, roomId, rel('m.annotation', root, { key }), 'm.reaction'));
    const reply = await sendOk(bob, roomId, { msgtype: 'm.text', body: 'in thread', ...rel('m.thread', root) });
    const base = `/_matrix/client/v1/rooms/${enc(roomId)}/relations/${enc(root)}`;

    const all = await call('GET', `${base}?limit=10`, { token: alice.token });
    expect(all.status).toBe(200);
    expectSpec('GET /_matrix/client/v1/rooms/{roomId}/relations/{eventId}', 200, all.body);
    expect(all.body.chunk.map((e: { event_id: string }) => e.event_id)).toEqual([reply, reactions[2], reactions[1], reactions[0]]);

    const page1 = await call('GET', `${base}/m.annotation/m.reaction?limit=2`, { token: alice.token });
    expectSpec('GET /_matrix/client/v1/rooms/{roomId}/relations/{eventId}/{relType}/{eventType}', 200, page1.body);
    expect(page1.body.chunk.map((e: { event_id: string }) => e.event_id)).toEqual([reactions[2], reactions[1]]);
    expect(page1.body.next_batch).toEqual(expect.any(String));
    const page2 = await call('GET', `${base}/m.annotation/m.reaction?limit=2&from=${page1.body.next_batch}`, { token: alice.token });
    expect(page2.body.chunk.map((e: { event_id: string }) => e.event_id)).toEqual([reactions[0]]);
    expect(page2.body.next_batch).toBeUndefined();

    const forward = await call('GET', `${base}/m.annotation?dir=f&limit=10`, { token: alice.token });
    expect(forward.body.chunk.map((e: { event_id: string }) => e.event_id)).toEqual(reactions);
    const threads = await call('GET', `${base}/m.thread`, { token: alice.token });
    expect(threads.body.chunk.map((e: { event_id: string }) => e.event_id)).toEqual([reply]);
  });

  it('follows relations of relations with recurse', async () => {
    const { alice, bob, roomId } = await room();
    const root = await sendOk(alice, roomId, { msgtype: 'm.text', body: 'root' });
    const reply = await sendOk(bob, roomId, { msgtype: 'm.text', body: 'reply', ...rel('m.thread', root) });
    const reaction = await sendOk(alice, roomId, rel('m.annotation', reply, { key: 'x' }), 'm.reaction');
    const base = `/_matrix/client/v1/rooms/${enc(roomId)}/relations/${enc(root)}`;
    const flat = await call('GET', `${base}?limit=10`, { token: alice.token });
    expect(flat.body.chunk.map((e: { event_id: string }) => e.event_id)).toEqual([reply]);
    expect(flat.body.recursion_depth).toBeUndefined();
    const deep = await call('GET', `${base}?limit=10&recurse=true`, { token: alice.token });
    expect(deep.body.chunk.map((e: { event_id: string }) => e.event_id)).toEqual([reaction, reply]);
    expect(deep.body.recursion_depth).toBe(3);
  });

  it('refuses unknown events, other rooms and non-members', async () => {
    const { alice, roomId } = await room();
    const stranger = await registerUser();
    const root = await sendOk(alice, roomId);
    const other = await createRoom(alice, {});
    const otherEvent = await sendOk(alice, other);
    const base = `/_matrix/client/v1/rooms/${enc(roomId)}/relations`;
    expect((await call('GET', `${base}/${enc('$nope')}`, { token: alice.token })).status).toBe(404);
    expect((await call('GET', `${base}/${enc(otherEvent)}`, { token: alice.token })).status).toBe(404);
    const privateRoom = await createRoom(alice, { preset: 'private_chat' });
    const secret = await sendOk(alice, privateRoom);
    const r = await call('GET', `/_matrix/client/v1/rooms/${enc(privateRoom)}/relations/${enc(secret)}`, { token: stranger.token });
    expect(r.status).toBe(404);
    expect((await call('GET', `${base}/${enc(root)}?dir=x`, { token: alice.token })).body.errcode).toBe('M_INVALID_PARAM');
  });
});

describe('threads', () => {
  it('GET /threads lists roots by latest activity, and participated ones', async () => {
    const { alice, bob, roomId } = await room();
    const t1 = await sendOk(alice, roomId, { msgtype: 'm.text', body: 't1' });
    const t2 = await sendOk(bob, roomId, { msgtype: 'm.text', body: 't2' });
    await sendOk(bob, roomId, { msgtype: 'm.text', body: 'r', ...rel('m.thread', t1) });
    await sendOk(bob, roomId, { msgtype: 'm.text', body: 'r', ...rel('m.thread', t2) });
    await sendOk(bob, roomId, { msgtype: 'm.text', body: 'r', ...rel('m.thread', t1) });
    const all = await call('GET', `/_matrix/client/v1/rooms/${enc(roomId)}/threads`, { token: alice.token });
    expect(all.status).toBe(200);
    expectSpec('GET /_matrix/client/v1/rooms/{roomId}/threads', 200, all.body);
    expect(all.body.chunk.map((e: { event_id: string }) => e.event_id)).toEqual([t1, t2]);
    expect(all.body.chunk[0].unsigned['m.relations']['m.thread'].count).toBe(2);
    const page = await call('GET', `/_matrix/client/v1/rooms/${enc(roomId)}/threads?limit=1`, { token: alice.token });
    expect(page.body.chunk.map((e: { event_id: string }) => e.event_id)).toEqual([t1]);
    const next = await call('GET', `/_matrix/client/v1/rooms/${enc(roomId)}/threads?limit=1&from=${page.body.next_batch}`, { token: alice.token });
    expect(next.body.chunk.map((e: { event_id: string }) => e.event_id)).toEqual([t2]);
    const mine = await call('GET', `/_matrix/client/v1/rooms/${enc(roomId)}/threads?include=participated`, { token: alice.token });
    expect(mine.body.chunk.map((e: { event_id: string }) => e.event_id)).toEqual([t1]);
  });

  it('refuses to start a thread from an event that is itself a relation (400 M_UNKNOWN)', async () => {
    const { alice, bob, roomId } = await room();
    const root = await sendOk(alice, roomId);
    const reply = await sendOk(bob, roomId, { msgtype: 'm.text', body: 'r', ...rel('m.thread', root) });
    const r = await send(alice, roomId, { msgtype: 'm.text', body: 'nested', ...rel('m.thread', reply) });
    expect(r.status).toBe(400);
    expect(r.body.errcode).toBe('M_UNKNOWN');
    const elsewhere = await send(alice, roomId, { msgtype: 'm.text', body: 'x', ...rel('m.thread', '$unknown:test.local') });
    expect(elsewhere.status).toBe(400);
  });
});
