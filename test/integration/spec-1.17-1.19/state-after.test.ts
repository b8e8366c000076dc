// use_state_after on GET /sync (v1.16, MSC4222). Listed here because /versions can only claim
// v1.16 and later with it: rooms then carry `state_after`, the state changes between `since` and
// the END of the timeline (timeline state events included, as clients then read state from this
// list only), always present even if empty, and never `state`.
import { describe, expect, it } from 'vitest';
import { call, registerUser } from '../helpers/client';
import { createRoom, join, leave, putState, sendOk, type Ev } from '../helpers/rooms';
import { expectSpec } from '../helpers/spec';
import { sync } from '../sync/helpers';

/** GET /sync with use_state_after (which the shared helper does not send), checked against the spec. */
async function syncAfter(user: { token: string }, since?: string, filter?: Record<string, unknown>, value = 'true') {
  const qs = new URLSearchParams({ use_state_after: value });
  if (since) qs.set('since', since);
  if (filter) qs.set('filter', JSON.stringify(filter));
  const r = await call('GET', `/_matrix/client/v3/sync?${qs}`, { token: user.token });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  expectSpec('GET /_matrix/client/v3/sync', 200, r.body);
  return r.body;
}

const keysOf = (events: Ev[]) => events.map((e) => `${e.type}|${e.state_key}`).sort();

describe('use_state_after', () => {
  it('initial sync: the whole state at the end of the timeline, timeline state included, and no state', async () => {
    const alice = await registerUser();
    const roomId = await createRoom(alice, { preset: 'public_chat', name: 'n' });
    const topic = (await putState(alice, roomId, 'm.room.topic', { topic: 'last' })).body.event_id;
    const body = await syncAfter(alice);
    const room = body.rooms.join[roomId];
    expect(room.state).toBeUndefined();
    const after = room.state_after.events as Ev[];
    expect(after.find((e) => e.type === 'm.room.topic')?.event_id).toBe(topic);
    expect(room.timeline.events.map((e: Ev) => e.event_id)).toContain(topic);
    expect(keysOf(after)).toEqual(expect.arrayContaining(['m.room.create|', 'm.room.name|', 'm.room.power_levels|', `m.room.member|${alice.userId}`]));
    // Without the parameter (or with false), the classic shape.
    for (const classic of [await sync(alice), await syncAfter(alice, undefined, undefined, 'false')]) {
      expect(classic.rooms.join[roomId].state_after).toBeUndefined();
      expect(classic.rooms.join[roomId].state).toBeDefined();
    }
  });

  it('incremental: changes up to the end of the timeline, an empty list when none, also when limited', async () => {
    const [alice, bob] = [await registerUser(), await registerUser()];
    const roomId = await createRoom(alice, { preset: 'public_chat' });
    const first = await syncAfter(alice);
    await sendOk(alice, roomId);
    const quiet = await syncAfter(alice, first.next_batch);
    expect(quiet.rooms.join[roomId].state_after).toEqual({ events: [] });
    expect(quiet.rooms.join[roomId].state).toBeUndefined();

    const topic = (await putState(alice, roomId, 'm.room.topic', { topic: 't' })).body.event_id;
    expect((await join(bob, roomId)).status).toBe(200);
    const changed = await syncAfter(alice, quiet.next_batch);
    expect(changed.rooms.join[roomId].state_after.events.map((e: Ev) => e.event_id).sort()).toEqual(
      [topic, changed.rooms.join[roomId].timeline.events.find((e: Ev) => e.state_key === bob.userId).event_id].sort(),
    );

    // A limited timeline: the state change fell out of it but is in state_after.
    const name = (await putState(alice, roomId, 'm.room.name', { name: 'renamed' })).body.event_id;
    for (let i = 0; i < 3; i++) await sendOk(alice, roomId);
    const limited = await syncAfter(alice, changed.next_batch, { room: { timeline: { limit: 2 } } });
    const lr = limited.rooms.join[roomId];
    expect(lr.timeline.limited).toBe(true);
    expect(lr.timeline.events.map((e: Ev) => e.event_id)).not.toContain(name);
    expect(lr.state_after.events.map((e: Ev) => e.event_id)).toEqual([name]);
  });

  it('left rooms carry state_after too', async () => {
    const [alice, bob] = [await registerUser(), await registerUser()];
    const roomId = await createRoom(alice, { preset: 'public_chat' });
    expect((await join(bob, roomId)).status).toBe(200);
    const before = await syncAfter(bob);
    expect((await leave(bob, roomId)).status).toBe(200);
    const after = await syncAfter(bob, before.next_batch);
    const left = after.rooms.leave[roomId];
    expect(left.state).toBeUndefined();
    expect(left.state_after.events.map((e: Ev) => [e.state_key, e.content.membership])).toEqual([[bob.userId, 'leave']]);
  });

  it('refuses a value other than true or false', async () => {
    const alice = await registerUser();
    for (const v of ['yes', '1', '']) {
      const r = await call('GET', `/_matrix/client/v3/sync?use_state_after=${v}`, { token: alice.token });
      expect(r.status, `${v}: ${JSON.stringify(r.body)}`).toBe(400);
      expect(r.body.errcode).toBe('M_INVALID_PARAM');
    }
  });
});
