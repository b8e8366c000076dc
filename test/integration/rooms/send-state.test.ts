// Sending events and state (spec: client-server "Transaction identifiers", "Sending events to a
// room", "Size limits", room_send.yaml, room_state.yaml, rooms.yaml GET state).
import { describe, expect, it } from 'vitest';
import { call, login, registerUser, type TestUser } from '../helpers/client';
import {
  context,
  createRoom,
  enc,
  expectEventSpec,
  getEvent,
  getState,
  join,
  messages,
  nextTxn,
  putState,
  roomPath,
  send,
  sendOk,
  sendWithTxn,
  statePath,
  stateMap,
  timeline,
  type Ev,
} from '../helpers/rooms';
import { expectSpec } from '../helpers/spec';

const SEND = 'PUT /_matrix/client/v3/rooms/{roomId}/send/{eventType}/{txnId}';
const PUT_STATE = 'PUT /_matrix/client/v3/rooms/{roomId}/state/{eventType}/{stateKey}';
const GET_STATE = 'GET /_matrix/client/v3/rooms/{roomId}/state/{eventType}/{stateKey}';

async function sentOk(user: { token: string }, roomId: string, type: string, txnId: string, content: Record<string, unknown>): Promise<string> {
  const r = await sendWithTxn(user, roomId, type, txnId, content);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  expectSpec(SEND, 200, r.body);
  return r.body.event_id;
}

async function otherDevice(user: TestUser, deviceId?: string): Promise<{ token: string; deviceId: string }> {
  const r = await login(user, deviceId ? { device_id: deviceId } : {});
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  return { token: r.body.access_token, deviceId: r.body.device_id };
}

function eventIn(list: Ev[], eventId: string): Ev {
  const e = list.find((x) => x.event_id === eventId);
  expect(e, eventId).toBeDefined();
  return e!;
}

describe('send: transaction ids', () => {
  it('the same (device, room, type, txnId) returns the same event id and sends one event', async () => {
    const alice = await registerUser();
    const roomId = await createRoom(alice);
    const txn = nextTxn();
    const first = await sentOk(alice, roomId, 'm.room.message', txn, { msgtype: 'm.text', body: 'once' });
    const second = await sentOk(alice, roomId, 'm.room.message', txn, { msgtype: 'm.text', body: 'once' });
    // Even with another body: the retransmission is identified by the path alone.
    const third = await sentOk(alice, roomId, 'm.room.message', txn, { msgtype: 'm.text', body: 'changed' });
    expect(second).toBe(first);
    expect(third).toBe(first);
    const all = await timeline(alice, roomId);
    expect(all.filter((e) => e.type === 'm.room.message').map((e) => e.event_id)).toEqual([first]);
    expect(eventIn(all, first).content.body).toBe('once');
  });

  it('the same txnId in another room or for another event type is a new event', async () => {
    const alice = await registerUser();
    const [room1, room2] = await Promise.all([createRoom(alice), createRoom(alice)]);
    const txn = nextTxn();
    const a = await sentOk(alice, room1, 'm.room.message', txn, { msgtype: 'm.text', body: 'a' });
    const b = await sentOk(alice, room2, 'm.room.message', txn, { msgtype: 'm.text', body: 'b' });
    const c = await sentOk(alice, room1, 'org.example.other', txn, { x: 1 });
    expect(new Set([a, b, c]).size).toBe(3);
    const t1 = await timeline(alice, room1);
    expect(eventIn(t1, a).content.body).toBe('a');
    expect(eventIn(t1, c).type).toBe('org.example.other');
    expect(eventIn(await timeline(alice, room2), b).content.body).toBe('b');
  });

  it('another device of the same user with the same txnId sends a new event; the same device after a new login does not', async () => {
    const alice = await registerUser();
    const roomId = await createRoom(alice);
    const txn = nextTxn();
    const a = await sentOk(alice, roomId, 'm.room.message', txn, { msgtype: 'm.text', body: 'device 1' });
    const device2 = await otherDevice(alice);
    expect(device2.deviceId).not.toBe(alice.deviceId);
    const b = await sentOk(device2, roomId, 'm.room.message', txn, { msgtype: 'm.text', body: 'device 2' });
    expect(b).not.toBe(a);
    // spec: logging in again with the existing device_id keeps the device, and its transactions.
    const sameDevice = await otherDevice(alice, alice.deviceId);
    expect(sameDevice.deviceId).toBe(alice.deviceId);
    const c = await sentOk(sameDevice, roomId, 'm.room.message', txn, { msgtype: 'm.text', body: 'device 1 again' });
    expect(c).toBe(a);
    const messagesSent = (await timeline(alice, roomId)).filter((e) => e.type === 'm.room.message');
    expect(messagesSent.map((e) => e.event_id)).toEqual([a, b]);
  });

  it('unsigned.transaction_id is given only to the device that sent the event', async () => {
    const [alice, bob] = await Promise.all([registerUser(), registerUser()]);
    const roomId = await createRoom(alice, { preset: 'public_chat' });
    expect((await join(bob, roomId)).status).toBe(200);
    const txn = nextTxn();
    const eventId = await sentOk(alice, roomId, 'm.room.message', txn, { msgtype: 'm.text', body: 'mine' });
    const device2 = await otherDevice(alice);

    const own = eventIn((await messages(alice, roomId, { limit: 5 })).body.chunk, eventId);
    expect(own.unsigned?.transaction_id).toBe(txn);
    const ownEvent = await getEvent(alice, roomId, eventId);
    expect(ownEvent.body.unsigned?.transaction_id).toBe(txn);
    const ownContext = await context(alice, roomId, eventId);
    expect(ownContext.body.event.unsigned?.transaction_id).toBe(txn);

    const r2 = await call('GET', roomPath(roomId, '/messages?dir=b&limit=5'), { token: device2.token });
    expect(eventIn(r2.body.chunk, eventId).unsigned?.transaction_id).toBeUndefined();
    expect((await getEvent(device2, roomId, eventId)).body.unsigned?.transaction_id).toBeUndefined();
    const forBob = eventIn((await messages(bob, roomId, { limit: 5 })).body.chunk, eventId);
    expect(forBob.unsigned?.transaction_id).toBeUndefined();
    expect((await getEvent(bob, roomId, eventId)).body.unsigned?.transaction_id).toBeUndefined();
  });
});

describe('send: events', () => {
  it('the sent event is served with the content, type, sender and room it was sent with', async () => {
    const alice = await registerUser();
    const roomId = await createRoom(alice);
    const content = { msgtype: 'm.text', body: 'hello', format: 'org.matrix.custom.html', formatted_body: '<b>hello</b>', 'org.example.extra': { nested: [1, 'two', null, true] } };
    const eventId = await sentOk(alice, roomId, 'm.room.message', nextTxn(), content);
    const r = await getEvent(alice, roomId, eventId);
    expect(r.status).toBe(200);
    expectSpec('GET /_matrix/client/v3/rooms/{roomId}/event/{eventId}', 200, r.body);
    expectEventSpec(r.body);
    expect(r.body).toMatchObject({ event_id: eventId, type: 'm.room.message', sender: alice.userId, room_id: roomId, content });
    expect(r.body.state_key).toBeUndefined();
    expect(typeof r.body.unsigned?.age).toBe('number');
  });

  it('a body that is not JSON → 400 M_NOT_JSON; not an object → 400 M_BAD_JSON', async () => {
    const alice = await registerUser();
    const roomId = await createRoom(alice);
    const path = roomPath(roomId, `/send/m.room.message/${nextTxn()}`);
    const notJson = await call('PUT', path, { token: alice.token, raw: 'hello', headers: { 'content-type': 'application/json' } });
    expect(notJson.status).toBe(400);
    expect(notJson.body.errcode).toBe('M_NOT_JSON');
    for (const body of [[1, 2], 'text', 3]) {
      const r = await call('PUT', roomPath(roomId, `/send/m.room.message/${nextTxn()}`), { token: alice.token, body });
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.errcode).toBe('M_BAD_JSON');
    }
  });

  it('an event larger than 65536 bytes as a PDU → 413 M_TOO_LARGE, and nothing is sent; just under the limit is accepted', async () => {
    const alice = await registerUser();
    const roomId = await createRoom(alice);
    const before = await timeline(alice, roomId);
    // The content alone is under 65536 bytes; with the PDU's hashes, signatures and references it is not.
    const tooBig = await send(alice, roomId, { msgtype: 'm.text', body: 'x'.repeat(65536 - 100) });
    expect(tooBig.status).toBe(413);
    expect(tooBig.body.errcode).toBe('M_TOO_LARGE');
    const bigState = await putState(alice, roomId, 'org.example.big', { v: 'y'.repeat(65536 - 50) });
    expect(bigState.status).toBe(413);
    expect(bigState.body.errcode).toBe('M_TOO_LARGE');
    expect(await timeline(alice, roomId)).toEqual(before.map((e) => ({ ...e, unsigned: expect.anything() })));
    expect((await getState(alice, roomId, 'org.example.big')).status).toBe(404);

    const fits = await send(alice, roomId, { msgtype: 'm.text', body: 'x'.repeat(65536 - 2000) });
    expect(fits.status, JSON.stringify(fits.body)).toBe(200);
  });

  it('invalid room id, event type or transaction id → 400 M_INVALID_PARAM', async () => {
    const alice = await registerUser();
    const roomId = await createRoom(alice);
    const badRoom = await call('PUT', `/_matrix/client/v3/rooms/not-a-room/send/m.room.message/${nextTxn()}`, { token: alice.token, body: { body: 'x' } });
    expect(badRoom.status).toBe(400);
    expect(badRoom.body.errcode).toBe('M_INVALID_PARAM');
    const longType = await sendWithTxn(alice, roomId, 't'.repeat(256), nextTxn(), { body: 'x' });
    expect(longType.status).toBe(400);
    expect(longType.body.errcode).toBe('M_INVALID_PARAM');
    const longTxn = await sendWithTxn(alice, roomId, 'm.room.message', 'x'.repeat(256), { body: 'x' });
    expect(longTxn.status).toBe(400);
    expect(longTxn.body.errcode).toBe('M_INVALID_PARAM');
  });

  it('a room that does not exist → an error, not a 5xx', async () => {
    const alice = await registerUser();
    const r = await call('PUT', `/_matrix/client/v3/rooms/${enc('!doesnotexist:test.local')}/send/m.room.message/${nextTxn()}`, { token: alice.token, body: { body: 'x' } });
    expect([403, 404]).toContain(r.status);
    expect(['M_FORBIDDEN', 'M_NOT_FOUND']).toContain(r.body.errcode);
  });

  it('without a token → 401 M_MISSING_TOKEN; a bad token → 401 M_UNKNOWN_TOKEN', async () => {
    const alice = await registerUser();
    const roomId = await createRoom(alice);
    const none = await call('PUT', roomPath(roomId, `/send/m.room.message/${nextTxn()}`), { body: { body: 'x' } });
    expect(none.status).toBe(401);
    expect(none.body.errcode).toBe('M_MISSING_TOKEN');
    const bad = await call('PUT', roomPath(roomId, `/send/m.room.message/${nextTxn()}`), { token: 'nope', body: { body: 'x' } });
    expect(bad.status).toBe(401);
    expect(bad.body.errcode).toBe('M_UNKNOWN_TOKEN');
  });

  // rooms/v6+ "strictly enforce the JSON format" (appendices: Canonical JSON: integers in
  // [-(2**53)+1, (2**53)-1], no floats) and design invariant 8 (a client mistake is never a 500).
  it('content that has no canonical JSON form (floats, integers beyond 2^53) → 400 M_BAD_JSON', async () => {
    const alice = await registerUser();
    const roomId = await createRoom(alice);
    for (const raw of ['{"body": "x", "value": 1.5}', '{"body": "x", "value": 9007199254740993}']) {
      const r = await call('PUT', roomPath(roomId, `/send/org.example/${nextTxn()}`), { token: alice.token, raw, headers: { 'content-type': 'application/json' } });
      expect(r.status, raw).toBe(400);
      expect(r.body.errcode, raw).toBe('M_BAD_JSON');
    }
  });
});

describe('state: put and get', () => {
  it('puts state with a key and reads it as content (default), as content, and as a whole event', async () => {
    const alice = await registerUser();
    const roomId = await createRoom(alice);
    const content = { animal: 'cat', reason: 'fluffy' };
    const put = await putState(alice, roomId, 'm.favorite.animal.event', content, alice.userId);
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    expectSpec(PUT_STATE, 200, put.body);

    const asDefault = await getState(alice, roomId, 'm.favorite.animal.event', alice.userId);
    expect(asDefault.status).toBe(200);
    expectSpec(GET_STATE, 200, asDefault.body);
    expect(asDefault.body).toEqual(content);
    const asContent = await call('GET', `${statePath(roomId, 'm.favorite.animal.event', alice.userId)}?format=content`, { token: alice.token });
    expect(asContent.body).toEqual(content);
    const asEvent = await call('GET', `${statePath(roomId, 'm.favorite.animal.event', alice.userId)}?format=event`, { token: alice.token });
    expect(asEvent.status).toBe(200);
    // The spec's 200 schema is oneOf [object, state event], which no state event can satisfy
    // (it matches both), so the whole event is checked against the state event fields instead.
    expect(asEvent.body).toMatchObject({
      event_id: put.body.event_id,
      type: 'm.favorite.animal.event',
      state_key: alice.userId,
      sender: alice.userId,
      room_id: roomId,
      content,
    });
    expect(typeof asEvent.body.origin_server_ts).toBe('number');
    expect(asEvent.body.unsigned?.age).toBeTypeOf('number');
    const topic = await putState(alice, roomId, 'm.room.topic', { topic: 'Topic' });
    const topicEvent = await call('GET', `${statePath(roomId, 'm.room.topic', '')}?format=event`, { token: alice.token });
    expectEventSpec(topicEvent.body);
    expect(topicEvent.body.event_id).toBe(topic.body.event_id);
    const bad = await call('GET', `${statePath(roomId, 'm.favorite.animal.event', alice.userId)}?format=xml`, { token: alice.token });
    expect(bad.status).toBe(400);
  });

  it('the empty state key: PUT and GET without the trailing slash', async () => {
    const alice = await registerUser();
    const roomId = await createRoom(alice);
    const path = roomPath(roomId, '/state/m.room.bgd.color');
    const put = await call('PUT', path, { token: alice.token, body: { color: 'red', hex: '#ff0000' } });
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    const got = await call('GET', path, { token: alice.token });
    expect(got.status).toBe(200);
    expect(got.body).toEqual({ color: 'red', hex: '#ff0000' });
    const ev = await call('GET', `${path}?format=event`, { token: alice.token });
    expect(ev.body.state_key).toBe('');
    expect(ev.body.event_id).toBe(put.body.event_id);
  });

  it('a state key that looks like a transaction id is a state key', async () => {
    const alice = await registerUser();
    const roomId = await createRoom(alice);
    expect((await putState(alice, roomId, 'm.another.example.event', { key: 'with 11 as the state key' }, '11')).status).toBe(200);
    expect((await getState(alice, roomId, 'm.another.example.event', '11')).body).toEqual({ key: 'with 11 as the state key' });
    expect((await getState(alice, roomId, 'm.another.example.event')).status).toBe(404);
  });

  it('setting identical state twice returns the same event id; different content makes a new event with prev_content', async () => {
    const alice = await registerUser();
    const roomId = await createRoom(alice);
    const a = await putState(alice, roomId, 'm.room.topic', { topic: 'one' });
    const b = await putState(alice, roomId, 'm.room.topic', { topic: 'one' });
    expect(a.status).toBe(200);
    expect(b.body.event_id).toBe(a.body.event_id);
    const c = await putState(alice, roomId, 'm.room.topic', { topic: 'two' });
    expect(c.body.event_id).not.toBe(a.body.event_id);
    const topics = (await timeline(alice, roomId)).filter((e) => e.type === 'm.room.topic');
    expect(topics.map((e) => e.event_id)).toEqual([a.body.event_id, c.body.event_id]);
    expect(topics[1].unsigned?.prev_content).toEqual({ topic: 'one' });
    expect(topics[1].unsigned?.replaces_state).toBe(a.body.event_id);
  });

  it('GET /state returns the whole current state, one event per key', async () => {
    const alice = await registerUser();
    const roomId = await createRoom(alice, { name: 'n1' });
    expect((await putState(alice, roomId, 'm.room.name', { name: 'n2' })).status).toBe(200);
    expect((await putState(alice, roomId, 'org.example', { i: 1 }, 'a')).status).toBe(200);
    expect((await putState(alice, roomId, 'org.example', { i: 2 }, 'b')).status).toBe(200);
    const state = await stateMap(alice, roomId);
    const r = await call('GET', roomPath(roomId, '/state'), { token: alice.token });
    expect(r.body.length).toBe(state.size);
    for (const e of r.body) expectEventSpec(e);
    expect([...state.keys()].sort()).toEqual(
      ['m.room.create|', `m.room.member|${alice.userId}`, 'm.room.power_levels|', 'm.room.join_rules|', 'm.room.history_visibility|', 'm.room.guest_access|', 'm.room.name|', 'org.example|a', 'org.example|b'].sort(),
    );
    expect(state.get('m.room.name|')!.content).toEqual({ name: 'n2' });
    expect(state.get('org.example|b')!.content).toEqual({ i: 2 });
  });

  it('unknown state → 404 M_NOT_FOUND', async () => {
    const alice = await registerUser();
    const roomId = await createRoom(alice);
    for (const [type, key] of [['m.room.topic', ''], ['m.room.member', '@nobody:test.local'], ['org.example', 'x']]) {
      const r = await getState(alice, roomId, type, key);
      expect(r.status, `${type}/${key}`).toBe(404);
      expect(r.body.errcode).toBe('M_NOT_FOUND');
    }
  });

  it('refused: invalid room id (400 M_INVALID_PARAM), a state key over 255 bytes (400), a member event whose key is not a user id (400), bad bodies', async () => {
    const alice = await registerUser();
    const roomId = await createRoom(alice);
    const badRoom = await call('PUT', '/_matrix/client/v3/rooms/nope/state/m.room.topic', { token: alice.token, body: { topic: 'x' } });
    expect(badRoom.status).toBe(400);
    expect(badRoom.body.errcode).toBe('M_INVALID_PARAM');
    const badRoomGet = await call('GET', '/_matrix/client/v3/rooms/nope/state', { token: alice.token });
    expect(badRoomGet.status).toBe(400);
    expect(badRoomGet.body.errcode).toBe('M_INVALID_PARAM');
    const longKey = await putState(alice, roomId, 'org.example', { a: 1 }, 'k'.repeat(256));
    expect(longKey.status).toBe(400);
    const memberKey = await putState(alice, roomId, 'm.room.member', { membership: 'join' }, 'not-a-user');
    expect(memberKey.status).toBe(400);
    expect(memberKey.body.errcode).toBe('M_INVALID_PARAM');
    const badMembership = await putState(alice, roomId, 'm.room.member', { membership: 'dance' }, alice.userId);
    expect(badMembership.status).toBe(400);
    expect(badMembership.body.errcode).toBe('M_BAD_JSON');
    const notJson = await call('PUT', roomPath(roomId, '/state/m.room.topic'), { token: alice.token, raw: 'topic', headers: { 'content-type': 'application/json' } });
    expect(notJson.status).toBe(400);
    expect(notJson.body.errcode).toBe('M_NOT_JSON');
  });

  it('m.room.member through the state API: a display name change of one’s own join, and a kick by setting leave', async () => {
    const [alice, bob] = await Promise.all([registerUser(), registerUser()]);
    const roomId = await createRoom(alice, { preset: 'public_chat' });
    expect((await join(bob, roomId)).status).toBe(200);
    const rename = await putState(bob, roomId, 'm.room.member', { membership: 'join', displayname: 'Room-only Bob' }, bob.userId);
    expect(rename.status, JSON.stringify(rename.body)).toBe(200);
    expect((await getState(alice, roomId, 'm.room.member', bob.userId)).body).toEqual({ membership: 'join', displayname: 'Room-only Bob' });
    const kick = await putState(alice, roomId, 'm.room.member', { membership: 'leave', reason: 'bye' }, bob.userId);
    expect(kick.status).toBe(200);
    const ev = await call('GET', `${statePath(roomId, 'm.room.member', bob.userId)}?format=event`, { token: alice.token });
    expect(ev.body.sender).toBe(alice.userId);
    expect(ev.body.content).toEqual({ membership: 'leave', reason: 'bye' });
    expect(ev.body.unsigned?.prev_content).toEqual({ membership: 'join', displayname: 'Room-only Bob' });
  });

  it('state sent as a message (/send) is not state', async () => {
    const alice = await registerUser();
    const roomId = await createRoom(alice, { name: 'kept' });
    const eventId = await sendOk(alice, roomId, { name: 'not state' }, 'm.room.name');
    const ev = await getEvent(alice, roomId, eventId);
    expect(ev.body.state_key).toBeUndefined();
    expect((await getState(alice, roomId, 'm.room.name')).body).toEqual({ name: 'kept' });
  });

  // room_state.yaml / rooms.yaml, stateKey: "When an empty string, the trailing slash on this
  // endpoint is optional."
  it('the empty state key with the trailing slash: PUT and GET /state/{eventType}/', async () => {
    const alice = await registerUser();
    const roomId = await createRoom(alice);
    const path = roomPath(roomId, '/state/m.room.bgd.color/');
    const put = await call('PUT', path, { token: alice.token, body: { color: 'blue' } });
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    expectSpec(PUT_STATE, 200, put.body);
    const got = await call('GET', path, { token: alice.token });
    expect(got.status, JSON.stringify(got.body)).toBe(200);
    expect(got.body).toEqual({ color: 'blue' });
    const withoutSlash = await call('GET', roomPath(roomId, '/state/m.room.bgd.color?format=event'), { token: alice.token });
    expect(withoutSlash.body.event_id).toBe(put.body.event_id);
  });
});
