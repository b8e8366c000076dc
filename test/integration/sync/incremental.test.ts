// Incremental /sync (with `since`): spec client-server "Syncing" and GET /sync (sync.yaml).
import { describe, expect, it } from 'vitest';
import { login } from '../helpers/client';
import { join, leave, member, messages, putState, redact, sendOk, sendWithTxn, type Ev } from '../helpers/rooms';
import { expectSpec } from '../helpers/spec';
import { findState, invite, joined, memberTargets, roomWith, stateOf, sync, timelineIds, timelineOf, tokenParts, users } from './helpers';

describe('incremental sync', () => {
  it('returns only the events after since, not limited, with no state', async () => {
    const [alice, bob] = await users(2);
    const roomId = await roomWith(alice, [bob]);
    const quiet = await roomWith(alice, [bob]);
    const first = await sync(bob);
    const a = await sendOk(alice, roomId, { msgtype: 'm.text', body: 'one' });
    const b2 = await sendOk(alice, roomId, { msgtype: 'm.text', body: 'two' });
    const b = await sync(bob, { since: first.next_batch });
    expect(timelineIds(b, roomId)).toEqual([a, b2]);
    expect(joined(b, roomId)!.timeline.limited).toBe(false);
    expect(stateOf(b, roomId)).toEqual([]);
    // A room with nothing new is left out.
    expect(joined(b, quiet)).toBeUndefined();
    // And the next sync from there has nothing for the room.
    const c = await sync(bob, { since: b.next_batch });
    expect(joined(c, roomId)).toBeUndefined();
  });

  it('a state change inside an unlimited timeline is in the timeline, not in state', async () => {
    const [alice, bob] = await users(2);
    const roomId = await roomWith(alice, [bob], { name: 'Before' });
    const first = await sync(bob);
    const r = await putState(alice, roomId, 'm.room.name', { name: 'After' });
    const b = await sync(bob, { since: first.next_batch });
    expect(timelineIds(b, roomId)).toEqual([r.body.event_id]);
    expect(stateOf(b, roomId)).toEqual([]);
  });

  it('next_batch never goes back', async () => {
    const [alice, bob] = await users(2);
    const roomId = await roomWith(alice, [bob]);
    let prev = tokenParts((await sync(bob)).next_batch);
    let since = (await sync(bob)).next_batch;
    for (let i = 0; i < 4; i++) {
      await sendOk(alice, roomId);
      if (i % 2) await sync(alice);
      const b = await sync(bob, { since });
      const parts = tokenParts(b.next_batch);
      for (let k = 0; k < 3; k++) expect(parts[k]).toBeGreaterThanOrEqual(prev[k]);
      expect(parts[0]).toBeGreaterThan(prev[0]);
      prev = parts;
      since = b.next_batch;
    }
  });

  it('a room joined since `since` comes with its full state and a summary', async () => {
    const [alice, bob] = await users(2);
    const first = await sync(bob);
    const roomId = await roomWith(alice, [], { name: 'Fresh' });
    const msg = await sendOk(alice, roomId);
    const j = await join(bob, roomId);
    expect(j.status).toBe(200);
    const b = await sync(bob, { since: first.next_batch, filter: { room: { timeline: { limit: 2 } } } });
    const room = joined(b, roomId)!;
    expect(room).toBeDefined();
    expect(timelineIds(b, roomId)).toHaveLength(2);
    expect(timelineIds(b, roomId)[0]).toBe(msg);
    expect(room.timeline.events.at(-1)).toMatchObject({ type: 'm.room.member', state_key: bob.userId, content: { membership: 'join' } });
    const state = stateOf(b, roomId);
    expect(findState(state, 'm.room.create')).toBeDefined();
    expect(findState(state, 'm.room.name')?.content.name).toBe('Fresh');
    expect(findState(state, 'm.room.power_levels')).toBeDefined();
    expect(memberTargets(state)).toEqual([alice.userId]);
    expect(room.summary['m.joined_member_count']).toBe(2);
  });

  it('a room left since `since` is in rooms.leave without include_leave, once, ending at the leave', async () => {
    const [alice, bob] = await users(2);
    const roomId = await roomWith(alice, [bob]);
    const first = await sync(bob);
    const msg = await sendOk(alice, roomId);
    expect((await leave(bob, roomId)).status).toBe(200);
    const after = await sendOk(alice, roomId);
    const b = await sync(bob, { since: first.next_batch });
    expect(joined(b, roomId)).toBeUndefined();
    const ids = (b.rooms.leave[roomId].timeline.events as Ev[]).map((e) => e.event_id);
    expect(ids[0]).toBe(msg);
    expect(ids).not.toContain(after);
    expect(b.rooms.leave[roomId].timeline.events.at(-1)).toMatchObject({ type: 'm.room.member', state_key: bob.userId, content: { membership: 'leave' } });
    await sendOk(alice, roomId);
    const c = await sync(bob, { since: b.next_batch });
    expect(c.rooms?.leave?.[roomId]).toBeUndefined();
  });

  it('a kick since `since` is in rooms.leave, ending at the kick', async () => {
    const [alice, bob] = await users(2);
    const roomId = await roomWith(alice, [bob]);
    const first = await sync(bob);
    const kick = await member(alice, roomId, 'kick', bob.userId, 'bye');
    expect(kick.status).toBe(200);
    const b = await sync(bob, { since: first.next_batch });
    expect(b.rooms.leave[roomId].timeline.events.at(-1)).toMatchObject({ type: 'm.room.member', sender: alice.userId, state_key: bob.userId, content: { membership: 'leave', reason: 'bye' } });
  });

  it('an invite after `since` appears once', async () => {
    const [alice, bob] = await users(2);
    const other = await roomWith(alice, [bob]);
    const roomId = await roomWith(alice, [], { name: 'Come' });
    const first = await sync(bob);
    await invite(alice, roomId, bob);
    const b = await sync(bob, { since: first.next_batch });
    expect(findState(b.rooms.invite[roomId].invite_state.events, 'm.room.member', bob.userId)?.content.membership).toBe('invite');
    const msg = await sendOk(alice, other);
    const c = await sync(bob, { since: b.next_batch });
    expect(timelineIds(c, other)).toEqual([msg]);
    expect(c.rooms?.invite?.[roomId]).toBeUndefined();
  });

  it('full_state=true sends the whole state of every joined room even with since', async () => {
    const [alice, bob] = await users(2);
    const roomId = await roomWith(alice, [bob], { name: 'Full' });
    for (let i = 0; i < 11; i++) await sendOk(alice, roomId);
    const first = await sync(bob);
    const started = Date.now();
    const b = await sync(bob, { since: first.next_batch, full_state: true, timeout: 20_000 });
    // Spec (sync.yaml, full_state): the timeout is ignored and the request returns at once.
    expect(Date.now() - started).toBeLessThan(10_000);
    const state = stateOf(b, roomId);
    expect(findState(state, 'm.room.create')).toBeDefined();
    expect(findState(state, 'm.room.name')?.content.name).toBe('Full');
    expect(memberTargets(state)).toEqual([alice.userId, bob.userId].sort());
  });

  it('a limited timeline carries the state changes of the gap, and /messages fills the gap', async () => {
    const [alice, bob] = await users(2);
    const roomId = await roomWith(alice, [bob], { name: 'Before gap' });
    const first = await sync(bob);
    const rename = await putState(alice, roomId, 'm.room.name', { name: 'In the gap' });
    expect(rename.status).toBe(200);
    const sent: string[] = [];
    for (let i = 0; i < 20; i++) sent.push(await sendOk(alice, roomId, { msgtype: 'm.text', body: `g${i}` }));
    const b = await sync(bob, { since: first.next_batch, filter: { room: { timeline: { limit: 5 } } } });
    const room = joined(b, roomId)!;
    expect(room.timeline.limited).toBe(true);
    expect(timelineIds(b, roomId)).toEqual(sent.slice(-5));
    const state = stateOf(b, roomId);
    expect(findState(state, 'm.room.name')).toMatchObject({ event_id: rename.body.event_id, content: { name: 'In the gap' } });
    // Nothing else changed in the gap.
    expect(state.map((e) => e.event_id)).toEqual([rename.body.event_id]);

    // Spec ("Syncing"): the gap is /messages from=since to=prev_batch.
    const gap = await messages(bob, roomId, { from: first.next_batch, to: room.timeline.prev_batch, dir: 'f', limit: 50 });
    expect(gap.status, JSON.stringify(gap.body)).toBe(200);
    expectSpec('GET /_matrix/client/v3/rooms/{roomId}/messages', 200, gap.body);
    expect(gap.body.chunk.map((e: Ev) => e.event_id)).toEqual([rename.body.event_id, ...sent.slice(0, 15)]);
    // And backwards from prev_batch continues exactly before the first timeline event.
    const back = await messages(bob, roomId, { from: room.timeline.prev_batch, dir: 'b', limit: 3 });
    expect(back.body.chunk.map((e: Ev) => e.event_id)).toEqual(sent.slice(12, 15).reverse());
  });

  it("the sending device gets its transaction_id in unsigned; other devices and users do not", async () => {
    const [alice, bob] = await users(2);
    const roomId = await roomWith(alice, [bob]);
    const other = await login(alice);
    expect(other.status).toBe(200);
    const laptop = { token: other.body.access_token as string };
    const [a, l, b] = await Promise.all([sync(alice), sync(laptop), sync(bob)]);
    const sent = await sendWithTxn(alice, roomId, 'm.room.message', 'txn-echo-1', { msgtype: 'm.text', body: 'echo' });
    expect(sent.status).toBe(200);
    const mine = timelineOf(await sync(alice, { since: a.next_batch }), roomId);
    expect(mine.map((e) => e.event_id)).toEqual([sent.body.event_id]);
    expect(mine[0].unsigned?.transaction_id).toBe('txn-echo-1');
    for (const [who, since] of [[laptop, l.next_batch], [bob, b.next_batch]] as const) {
      const theirs = timelineOf(await sync(who, { since }), roomId);
      expect(theirs.map((e) => e.event_id)).toEqual([sent.body.event_id]);
      expect(theirs[0].unsigned?.transaction_id).toBeUndefined();
    }
  });

  it('a redaction arrives as an m.room.redaction event, and later syncs serve the event redacted', async () => {
    const [alice, bob] = await users(2);
    const roomId = await roomWith(alice, [bob]);
    const msg = await sendOk(alice, roomId, { msgtype: 'm.text', body: 'oops' });
    const first = await sync(bob);
    const red = await redact(alice, roomId, msg, { reason: 'typo' });
    expect(red.status).toBe(200);
    const b = await sync(bob, { since: first.next_batch });
    expect(timelineOf(b, roomId)).toEqual([expect.objectContaining({ event_id: red.body.event_id, type: 'm.room.redaction' })]);
    const redaction = timelineOf(b, roomId)[0];
    expect(redaction.redacts ?? redaction.content.redacts).toBe(msg);
    const again = timelineOf(await sync(bob), roomId).find((e) => e.event_id === msg)!;
    expect(again.content).toEqual({});
    expect(again.unsigned?.redacted_because?.event_id).toBe(red.body.event_id);
  });

  // Restarting the server is out of reach of these tests: that tokens survive it is not tested here.

  // full_state=true with since: spec (sync.yaml, full_state) "The timeline will still be limited by the
  // since parameter ... possibly with an empty timeline", not resend the last events.
  it('full_state=true keeps the timeline limited by since', async () => {
    const [alice, bob] = await users(2);
    const roomId = await roomWith(alice, [bob], { name: 'Full' });
    const old = await sendOk(alice, roomId);
    const first = await sync(bob);
    const fresh = await sendOk(alice, roomId);
    const b = await sync(bob, { since: first.next_batch, full_state: true });
    expect(timelineIds(b, roomId)).not.toContain(old);
    expect(timelineIds(b, roomId)).toEqual([fresh]);
  });
});
