// GET /_matrix/client/v1/rooms/{roomId}/timestamp_to_event.
import { beforeAll, describe, expect, it } from 'vitest';
import { call, registerUser, SERVER_NAME, type TestUser } from '../helpers/client';
import { createRoom, join, messages, putState, sendOk } from '../helpers/rooms';
import { expectSpec } from '../helpers/spec';

const OP = 'GET /_matrix/client/v1/rooms/{roomId}/timestamp_to_event';
const lookup = (user: TestUser | undefined, roomId: string, query: string) =>
  call('GET', `/_matrix/client/v1/rooms/${encodeURIComponent(roomId)}/timestamp_to_event?${query}`, { token: user?.token });

/** The room's timeline, oldest first, as the user sees it. */
async function timeline(user: TestUser, roomId: string): Promise<{ event_id: string; origin_server_ts: number }[]> {
  const r = await messages(user, roomId, { dir: 'f', limit: 100 });
  expect(r.status).toBe(200);
  return r.body.chunk;
}

describe('timestamp_to_event', () => {
  let alice: TestUser;
  let room: string;
  let events: { event_id: string; origin_server_ts: number }[];

  beforeAll(async () => {
    alice = await registerUser();
    room = await createRoom(alice, { preset: 'public_chat' });
    for (let i = 0; i < 4; i++) await sendOk(alice, room, { msgtype: 'm.text', body: `message ${i}` });
    events = await timeline(alice, room);
  });

  it('finds the closest event in either direction', async () => {
    const target = events[events.length - 2];
    const f = await lookup(alice, room, `ts=${target.origin_server_ts}&dir=f`);
    expect(f.status, JSON.stringify(f.body)).toBe(200);
    expectSpec(OP, 200, f.body);
    // Forwards: the first event at or after the time; backwards: the last at or before it.
    const first = events.find((e) => e.origin_server_ts >= target.origin_server_ts)!;
    expect(f.body).toEqual({ event_id: first.event_id, origin_server_ts: first.origin_server_ts });
    const b = await lookup(alice, room, `ts=${target.origin_server_ts}&dir=b`);
    expectSpec(OP, 200, b.body);
    const last = events.filter((e) => e.origin_server_ts <= target.origin_server_ts).pop()!;
    expect(b.body).toEqual({ event_id: last.event_id, origin_server_ts: last.origin_server_ts });

    expect((await lookup(alice, room, 'ts=0&dir=f')).body.event_id).toBe(events[0].event_id);
    expect((await lookup(alice, room, `ts=${Date.now() + 86_400_000}&dir=b`)).body.event_id).toBe(events[events.length - 1].event_id);
  });

  it('answers 404 when nothing lies in that direction', async () => {
    const late = await lookup(alice, room, `ts=${Date.now() + 86_400_000}&dir=f`);
    expect(late.status).toBe(404);
    expect(late.body.errcode).toBe('M_NOT_FOUND');
    expect((await lookup(alice, room, 'ts=1&dir=b')).status).toBe(404);
  });

  it('skips events the user may not see, and refuses non-members unless the room is world-readable', async () => {
    const carol = await registerUser();
    const hidden = await createRoom(alice, { preset: 'public_chat', initial_state: [{ type: 'm.room.history_visibility', content: { history_visibility: 'joined' } }] });
    const secret = await sendOk(alice, hidden, { msgtype: 'm.text', body: 'before carol' });
    const denied = await lookup(carol, hidden, `ts=${Date.now()}&dir=b`);
    expect(denied.status).toBe(403);
    expect(denied.body.errcode).toBe('M_FORBIDDEN');
    const beforeJoin = Date.now();
    expect((await join(carol, hidden)).status).toBe(200);
    // Alice's message (under `joined` visibility, before carol joined) is hidden from carol: looking
    // back from just before her join finds the last event she may see, from before the visibility
    // was set (shared by default).
    const seen = await timeline(carol, hidden);
    expect(seen.map((e) => e.event_id)).not.toContain(secret);
    expect((await lookup(alice, hidden, `ts=${beforeJoin}&dir=b`)).body.event_id).toBe(secret);
    const back = await lookup(carol, hidden, `ts=${beforeJoin}&dir=b`);
    expect(back.status).toBe(200);
    expect(back.body.event_id).toBe(seen.filter((e) => e.origin_server_ts <= beforeJoin).pop()!.event_id);
    const f = await lookup(carol, hidden, `ts=${seen[seen.length - 2].origin_server_ts + 1}&dir=f`);
    expect(f.body.event_id).toBe(seen[seen.length - 1].event_id);

    const open = await createRoom(alice, { preset: 'private_chat', initial_state: [{ type: 'm.room.history_visibility', content: { history_visibility: 'world_readable' } }] });
    expect((await lookup(carol, open, 'ts=0&dir=f')).status).toBe(200);
    expect((await putState(alice, open, 'm.room.history_visibility', { history_visibility: 'shared' })).status).toBe(200);
    expect((await lookup(carol, open, 'ts=0&dir=f')).status).toBe(403);
    expect((await lookup(carol, `!unknown:${SERVER_NAME}`, 'ts=0&dir=f')).status).toBe(403);
  });

  it('refuses bad parameters', async () => {
    for (const [q, errcode] of [
      ['dir=f', 'M_MISSING_PARAM'],
      ['ts=1', 'M_MISSING_PARAM'],
      ['ts=1&dir=x', 'M_INVALID_PARAM'],
      ['ts=soon&dir=f', 'M_INVALID_PARAM'],
      ['ts=1.5&dir=f', 'M_INVALID_PARAM'],
    ]) {
      const r = await lookup(alice, room, q);
      expect(r.status, q).toBe(400);
      expect(r.body.errcode, q).toBe(errcode);
    }
    expect((await lookup(alice, 'not-a-room', 'ts=1&dir=f')).body.errcode).toBe('M_INVALID_PARAM');
    expect((await lookup(undefined, room, 'ts=1&dir=f')).status).toBe(401);
  });
});
