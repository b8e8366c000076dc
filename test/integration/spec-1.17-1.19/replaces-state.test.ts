// unsigned.replaces_state (v1.19): a client-formatted state event that replaced an earlier state
// event names it, wherever client events are served: /event, /state, /messages, /context, /sync
// (timeline and state) and sliding sync (timeline and required_state). A state event that replaced
// nothing has none; a message event never has one.
import { describe, expect, it } from 'vitest';
import { call, registerUser } from '../helpers/client';
import { context, createRoom, expectEventSpec, getEvent, getState, members, messages, putState, roomState, sendOk, statePath, type Ev } from '../helpers/rooms';
import { expectSpec } from '../helpers/spec';
import { ss } from '../sliding-sync/helpers';
import { sync } from '../sync/helpers';

async function setup() {
  const alice = await registerUser();
  const roomId = await createRoom(alice, { preset: 'public_chat', topic: 'zero' });
  const first = (await putState(alice, roomId, 'm.room.topic', { topic: 'one' })).body.event_id as string;
  const second = (await putState(alice, roomId, 'm.room.topic', { topic: 'two' })).body.event_id as string;
  const fresh = (await putState(alice, roomId, 'org.example.state', { n: 1 }, 'k')).body.event_id as string;
  const msg = await sendOk(alice, roomId);
  return { alice, roomId, first, second, fresh, msg };
}

function expectReplaces(e: Ev | undefined, replaced: string | undefined, prevContent?: Record<string, unknown>) {
  expect(e, 'event served').toBeDefined();
  expect(e!.unsigned?.replaces_state).toBe(replaced);
  if (prevContent) expect(e!.unsigned?.prev_content).toEqual(prevContent);
}

describe('unsigned.replaces_state', () => {
  it('on /event, /state and /state/{type}?format=event', async () => {
    const { alice, roomId, first, second, fresh, msg } = await setup();
    const ev = await getEvent(alice, roomId, second);
    expect(ev.status).toBe(200);
    expectSpec('GET /_matrix/client/v3/rooms/{roomId}/event/{eventId}', 200, ev.body);
    expectReplaces(ev.body, first, { topic: 'one' });
    expectReplaces((await getEvent(alice, roomId, fresh)).body, undefined);
    expectReplaces((await getEvent(alice, roomId, msg)).body, undefined);

    const state = await roomState(alice, roomId);
    expectSpec('GET /_matrix/client/v3/rooms/{roomId}/state', 200, state.body);
    expectReplaces(state.body.find((e) => e.type === 'm.room.topic'), first);
    expectReplaces(state.body.find((e) => e.type === 'org.example.state'), undefined);

    const one = await call('GET', `${statePath(roomId, 'm.room.topic', '')}?format=event`, { token: alice.token });
    expect(one.status).toBe(200);
    // The operation's schema is oneOf [any object, ClientEvent], which no event can satisfy (both
    // match): the event is checked against its own event schema instead.
    expectEventSpec(one.body);
    expectReplaces(one.body, first);
  });

  it('on /members, for a member event that replaced the join', async () => {
    const alice = await registerUser();
    const roomId = await createRoom(alice);
    const join = (await getState(alice, roomId, 'm.room.member', alice.userId)).body;
    const before = (await roomState(alice, roomId)).body.find((e) => e.type === 'm.room.member' && e.state_key === alice.userId)!;
    const renamed = (await putState(alice, roomId, 'm.room.member', { ...join, displayname: 'Renamed' }, alice.userId)).body.event_id as string;
    const r = await members(alice, roomId);
    expect(r.status).toBe(200);
    expectSpec('GET /_matrix/client/v3/rooms/{roomId}/members', 200, r.body);
    const mine = r.body.chunk.find((e) => e.state_key === alice.userId);
    expect(mine?.event_id).toBe(renamed);
    expectReplaces(mine, before.event_id, join);
  });

  it('on /messages and /context', async () => {
    const { alice, roomId, first, second, fresh, msg } = await setup();
    const m = await messages(alice, roomId, { dir: 'b', limit: 20 });
    expectSpec('GET /_matrix/client/v3/rooms/{roomId}/messages', 200, m.body);
    const byId = new Map<string, Ev>(m.body.chunk.map((e: Ev) => [e.event_id, e]));
    expectReplaces(byId.get(second), first, { topic: 'one' });
    expectReplaces(byId.get(fresh), undefined);
    const initialTopic = [...byId.values()].find((e) => e.type === 'm.room.topic' && e.content.topic === 'zero');
    expectReplaces(byId.get(first), initialTopic!.event_id, { topic: 'zero', 'm.topic': { 'm.text': [{ body: 'zero' }] } });

    const c = await context(alice, roomId, second, { limit: 4 });
    expect(c.status).toBe(200);
    expectSpec('GET /_matrix/client/v3/rooms/{roomId}/context/{eventId}', 200, c.body);
    expectReplaces(c.body.event, first);
    expectReplaces(c.body.events_after.find((e: Ev) => e.event_id === fresh), undefined);
    expectReplaces(c.body.events_after.find((e: Ev) => e.event_id === msg), undefined);
    // The state at the end of the window carries it too.
    expectReplaces(c.body.state.find((e: Ev) => e.type === 'm.room.topic'), first);
  });

  it('on /sync, in the timeline and in the state section', async () => {
    const { alice, roomId, first, second } = await setup();
    const full = await sync(alice, { filter: { room: { timeline: { limit: 20 } } } });
    expectReplaces(full.rooms.join[roomId].timeline.events.find((e: Ev) => e.event_id === second), first, { topic: 'one' });
    // With a one-event timeline the topic comes in the state section.
    const short = await sync(alice, { filter: { room: { timeline: { limit: 1 } } } });
    expectReplaces(short.rooms.join[roomId].state.events.find((e: Ev) => e.type === 'm.room.topic'), first);
  });

  it('in sliding sync, in the timeline and in required_state', async () => {
    const { alice, roomId, first, second } = await setup();
    const body = await ss(alice, { room_subscriptions: { [roomId]: { timeline_limit: 10, required_state: [['m.room.topic', '']] } } });
    const room = body.rooms[roomId];
    expectReplaces(room.timeline?.find((e) => e.event_id === second) as Ev | undefined, first);
    expectReplaces(room.required_state?.find((e) => e.type === 'm.room.topic') as Ev | undefined, first);
  });
});
