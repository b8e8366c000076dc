// Redactions (spec: client-server "Redactions", redaction.yaml, room_send.yaml since v1.18
// (MSC4169), rooms/v1-v11 redaction algorithms, rooms/v3 "Handling redactions").
import { describe, expect, it } from 'vitest';
import { call, registerUser, type TestUser } from '../helpers/client';
import {
  createRoom,
  enc,
  expectEventSpec,
  getEvent,
  getState,
  join,
  member,
  messages,
  nextTxn,
  putState,
  redact,
  roomPath,
  sendOk,
  sendWithTxn,
  statePath,
  storedEvents,
  type Ev,
} from '../helpers/rooms';
import { expectSpec } from '../helpers/spec';

const REDACT = 'PUT /_matrix/client/v3/rooms/{roomId}/redact/{eventId}/{txnId}';
const SEND = 'PUT /_matrix/client/v3/rooms/{roomId}/send/{eventType}/{txnId}';

/** Redacts through /redact or through /send/m.room.redaction, the two ways the spec allows. */
type Via = 'redact' | 'send';
async function redactVia(via: Via, user: TestUser, roomId: string, target: string, reason?: string, txnId = nextTxn()) {
  if (via === 'redact') return redact(user, roomId, target, reason === undefined ? {} : { reason }, txnId);
  return sendWithTxn(user, roomId, 'm.room.redaction', txnId, { redacts: target, ...(reason === undefined ? {} : { reason }) });
}

async function redactedOk(via: Via, user: TestUser, roomId: string, target: string, reason?: string): Promise<string> {
  const r = await redactVia(via, user, roomId, target, reason);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  expectSpec(via === 'redact' ? REDACT : SEND, 200, r.body);
  return r.body.event_id;
}

async function eventAs(user: TestUser, roomId: string, eventId: string): Promise<Ev> {
  const r = await getEvent(user, roomId, eventId);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  expectSpec('GET /_matrix/client/v3/rooms/{roomId}/event/{eventId}', 200, r.body);
  return r.body;
}

async function pduOf(roomId: string, eventId: string) {
  const row = (await storedEvents(roomId)).find((r) => r.eventId === eventId);
  expect(row, eventId).toBeDefined();
  return row!.pdu;
}

describe.each(['redact', 'send'] as const)('redacting a message via %s', (via) => {
  it('strips the content, keeps the event, and serves the redaction under unsigned.redacted_because', async () => {
    const alice = await registerUser();
    const roomId = await createRoom(alice);
    const target = await sendOk(alice, roomId, { msgtype: 'm.text', body: 'oops', 'org.example': 1 });
    const redactionId = await redactedOk(via, alice, roomId, target, 'typo');

    const ev = await eventAs(alice, roomId, target);
    expect(ev.content).toEqual({});
    expect(ev.type).toBe('m.room.message');
    expect(ev.sender).toBe(alice.userId);
    const because = ev.unsigned?.redacted_because;
    expect(because).toMatchObject({ event_id: redactionId, type: 'm.room.redaction', sender: alice.userId, redacts: target, room_id: roomId });
    expect(because.content.reason).toBe('typo');
    expect(because.content.redacts).toBe(target); // v12 (default): redacts is in content

    // The same in /messages, where the redaction follows the event.
    const page = await messages(alice, roomId, { limit: 2 });
    expect(page.body.chunk.map((e: Ev) => e.event_id)).toEqual([redactionId, target]);
    expect(page.body.chunk[1].content).toEqual({});
    expect(page.body.chunk[1].unsigned.redacted_because.event_id).toBe(redactionId);
    const redaction = page.body.chunk[0] as Ev;
    expectEventSpec(redaction);
    expect(redaction.redacts).toBe(target);
    expect(redaction.content).toEqual({ redacts: target, reason: 'typo' });
  });

  it('a retried transaction returns the same redaction', async () => {
    const alice = await registerUser();
    const roomId = await createRoom(alice);
    const target = await sendOk(alice, roomId);
    const txn = nextTxn();
    const a = await redactVia(via, alice, roomId, target, undefined, txn);
    const b = await redactVia(via, alice, roomId, target, undefined, txn);
    expect(a.status).toBe(200);
    expect(b.body.event_id).toBe(a.body.event_id);
    const redactions = (await storedEvents(roomId)).filter((r) => r.pdu.type === 'm.room.redaction');
    expect(redactions.map((r) => r.eventId)).toEqual([a.body.event_id]);
  });

  it('redacting another user’s event needs the redact level; one’s own does not', async () => {
    const [alice, bob] = await Promise.all([registerUser(), registerUser()]);
    const roomId = await createRoom(alice, { preset: 'public_chat' });
    expect((await join(bob, roomId)).status).toBe(200);
    const aliceMessage = await sendOk(alice, roomId, { msgtype: 'm.text', body: 'alice' });
    const bobMessage = await sendOk(bob, roomId, { msgtype: 'm.text', body: 'bob' });
    const denied = await redactVia(via, bob, roomId, aliceMessage);
    expect(denied.status).toBe(403);
    expect(denied.body.errcode).toBe('M_FORBIDDEN');
    expect((await eventAs(bob, roomId, aliceMessage)).content.body).toBe('alice');
    await redactedOk(via, bob, roomId, bobMessage);
    expect((await eventAs(alice, roomId, bobMessage)).content).toEqual({});
    await redactedOk(via, alice, roomId, aliceMessage);
    // Alice (creator) may redact Bob's events too.
    const bobSecond = await sendOk(bob, roomId, { msgtype: 'm.text', body: 'again' });
    await redactedOk(via, alice, roomId, bobSecond);
    expect((await eventAs(bob, roomId, bobSecond)).unsigned?.redacted_because.sender).toBe(alice.userId);
  });

  it('non-members cannot redact', async () => {
    const [alice, mallory] = await Promise.all([registerUser(), registerUser()]);
    const roomId = await createRoom(alice, { preset: 'public_chat' });
    const target = await sendOk(alice, roomId);
    const r = await redactVia(via, mallory, roomId, target);
    expect(r.status).toBe(403);
    expect(r.body.errcode).toBe('M_FORBIDDEN');
    expect((await eventAs(alice, roomId, target)).unsigned?.redacted_because).toBeUndefined();
  });
});

describe('redaction events per room version', () => {
  it.each(['1', '2', '3', '4', '5', '6', '7', '8', '9', '10'])('v%s: redacts is a top-level PDU key, not content; clients see it top-level', async (version) => {
    const alice = await registerUser();
    const roomId = await createRoom(alice, { room_version: version });
    const viaRedact = await sendOk(alice, roomId);
    const viaSend = await sendOk(alice, roomId);
    const r1 = await redactedOk('redact', alice, roomId, viaRedact, 'r1');
    const r2 = await redactedOk('send', alice, roomId, viaSend, 'r2');
    for (const [id, target, reason] of [[r1, viaRedact, 'r1'], [r2, viaSend, 'r2']]) {
      const pdu = await pduOf(roomId, id);
      expect(pdu.redacts).toBe(target);
      // room_send.yaml: "In rooms with a version older than 11 they MUST move the redacts property
      // inside the content to the top level of the event."
      expect(pdu.content).toEqual({ reason });
      const served = await eventAs(alice, roomId, id);
      expect(served.redacts).toBe(target);
      expect((await eventAs(alice, roomId, target)).content).toEqual({});
    }
  });

  it.each(['11', '12'])('v%s: redacts is in the PDU content', async (version) => {
    const alice = await registerUser();
    const roomId = await createRoom(alice, { room_version: version });
    const viaRedact = await sendOk(alice, roomId);
    const viaSend = await sendOk(alice, roomId);
    const r1 = await redactedOk('redact', alice, roomId, viaRedact);
    const r2 = await redactedOk('send', alice, roomId, viaSend);
    for (const [id, target] of [[r1, viaRedact], [r2, viaSend]]) {
      const pdu = await pduOf(roomId, id);
      expect(pdu.redacts).toBeUndefined();
      expect(pdu.content).toEqual({ redacts: target });
      const served = await eventAs(alice, roomId, id);
      expect(served.content.redacts).toBe(target);
    }
  });

  it('a redaction through /send without content.redacts → 400', async () => {
    const alice = await registerUser();
    const roomId = await createRoom(alice);
    const r = await sendWithTxn(alice, roomId, 'm.room.redaction', nextTxn(), { reason: 'no target' });
    expect(r.status).toBe(400);
  });

  it('/redact with an invalid event id → 400 M_INVALID_PARAM; an invalid room id → 400 M_INVALID_PARAM', async () => {
    const alice = await registerUser();
    const roomId = await createRoom(alice);
    const bad = await call('PUT', roomPath(roomId, `/redact/not-an-event/${nextTxn()}`), { token: alice.token, body: {} });
    expect(bad.status).toBe(400);
    expect(bad.body.errcode).toBe('M_INVALID_PARAM');
    const badRoom = await call('PUT', `/_matrix/client/v3/rooms/nope/redact/${enc('$abc')}/${nextTxn()}`, { token: alice.token, body: {} });
    expect(badRoom.status).toBe(400);
    expect(badRoom.body.errcode).toBe('M_INVALID_PARAM');
  });

  // rooms/v3 "Handling redactions": a redaction applies to "the event the redaction affects" when
  // its sender has the redact level (or the same domain) *in that room*; a redaction event of
  // room A must not redact an event of room B, even for a user with redact power in room A (here:
  // Alice's message in a room Bob is not even in).
  it('a redaction sent in one room does not redact an event of another room', async () => {
    const [alice, bob] = await Promise.all([registerUser(), registerUser()]);
    const aliceRoom = await createRoom(alice);
    const victim = await sendOk(alice, aliceRoom, { msgtype: 'm.text', body: 'mine' });
    const bobRoom = await createRoom(bob);
    await redact(bob, bobRoom, victim, { reason: 'cross-room' });
    const ev = await eventAs(alice, aliceRoom, victim);
    expect(ev.content.body).toBe('mine');
    expect(ev.unsigned?.redacted_because).toBeUndefined();
  });
});

describe('content kept by the redaction algorithm of each room version', () => {
  it('m.room.create: v1-10 keep only creator; v11+ keep the whole content', async () => {
    const alice = await registerUser();
    for (const version of ['10', '11', '12']) {
      const roomId = await createRoom(alice, { room_version: version, creation_content: { 'm.federate': true, 'org.example': 'x' } });
      const create = (await call('GET', `${statePath(roomId, 'm.room.create', '')}?format=event`, { token: alice.token })).body as Ev;
      await redactedOk('redact', alice, roomId, create.event_id);
      const after = await eventAs(alice, roomId, create.event_id);
      if (version === '10') expect(after.content, version).toEqual({ creator: alice.userId });
      else expect(after.content, version).toEqual({ room_version: version, 'm.federate': true, 'org.example': 'x' });
      expect(after.unsigned?.redacted_because).toBeDefined();
    }
  });

  it('m.room.power_levels: v11 keeps invite, v10 does not; neither keeps notifications', async () => {
    const alice = await registerUser();
    for (const version of ['10', '11']) {
      const roomId = await createRoom(alice, { room_version: version, preset: 'public_chat' });
      const pl = (await call('GET', `${statePath(roomId, 'm.room.power_levels', '')}?format=event`, { token: alice.token })).body as Ev;
      await redactedOk('redact', alice, roomId, pl.event_id);
      const after = (await eventAs(alice, roomId, pl.event_id)).content;
      const expected = Object.fromEntries(
        ['ban', 'events', 'events_default', 'kick', 'redact', 'state_default', 'users', 'users_default', ...(version === '11' ? ['invite'] : [])].map((k) => [k, pl.content[k]]),
      );
      expect(after, version).toEqual(expected);
    }
  });

  it('m.room.join_rules: v8+ keep allow, v7 does not; m.room.member keeps only membership; history_visibility keeps its value', async () => {
    const alice = await registerUser();
    for (const version of ['7', '8']) {
      const roomId = await createRoom(alice, { room_version: version });
      const allow = [{ type: 'm.room_membership', room_id: roomId }];
      const jr = await putState(alice, roomId, 'm.room.join_rules', { join_rule: 'invite', allow, 'org.example': 1 });
      expect(jr.status).toBe(200);
      await redactedOk('redact', alice, roomId, jr.body.event_id);
      expect((await eventAs(alice, roomId, jr.body.event_id)).content, version).toEqual(version === '7' ? { join_rule: 'invite' } : { join_rule: 'invite', allow });
    }
    const roomId = await createRoom(alice);
    const hv = await putState(alice, roomId, 'm.room.history_visibility', { history_visibility: 'joined', 'org.example': 1 });
    await redactedOk('redact', alice, roomId, hv.body.event_id);
    expect((await eventAs(alice, roomId, hv.body.event_id)).content).toEqual({ history_visibility: 'joined' });
    const me = (await call('GET', `${statePath(roomId, 'm.room.member', alice.userId)}?format=event`, { token: alice.token })).body as Ev;
    expect(me.content.displayname).toBeDefined();
    await redactedOk('redact', alice, roomId, me.event_id);
    expect((await eventAs(alice, roomId, me.event_id)).content).toEqual({ membership: 'join' });
  });

  it('a redacted redaction keeps redacts in content from v11 only', async () => {
    const alice = await registerUser();
    for (const version of ['10', '11']) {
      const roomId = await createRoom(alice, { room_version: version });
      const target = await sendOk(alice, roomId);
      const first = await redactedOk('redact', alice, roomId, target, 'why');
      await redactedOk('redact', alice, roomId, first);
      const after = await eventAs(alice, roomId, first);
      expect(after.content, version).toEqual(version === '11' ? { redacts: target } : {});
    }
  });
});

describe('redacted state', () => {
  it('a redacted state event is served redacted as current state, and as prev_content of the next one', async () => {
    const alice = await registerUser();
    const roomId = await createRoom(alice);
    const t1 = await putState(alice, roomId, 'm.room.topic', { topic: 'first' });
    await redactedOk('redact', alice, roomId, t1.body.event_id);
    // spec: a redacted topic "causes the topic to be removed from the room".
    const now = await getState(alice, roomId, 'm.room.topic');
    expect(now.status).toBe(200);
    expect(now.body).toEqual({});
    const t2 = await putState(alice, roomId, 'm.room.topic', { topic: 'second' });
    const ev = await eventAs(alice, roomId, t2.body.event_id);
    expect(ev.unsigned?.replaces_state).toBe(t1.body.event_id);
    expect(ev.unsigned?.prev_content).toEqual({});
    expect((await getState(alice, roomId, 'm.room.topic')).body).toEqual({ topic: 'second' });
  });

  it('a redacted join still counts as joined', async () => {
    const [alice, bob] = await Promise.all([registerUser(), registerUser()]);
    const roomId = await createRoom(alice, { preset: 'public_chat' });
    expect((await join(bob, roomId)).status).toBe(200);
    const joinEvent = (await call('GET', `${statePath(roomId, 'm.room.member', bob.userId)}?format=event`, { token: bob.token })).body as Ev;
    await redactedOk('redact', alice, roomId, joinEvent.event_id);
    expect((await getState(alice, roomId, 'm.room.member', bob.userId)).body).toEqual({ membership: 'join' });
    expect((await sendWithTxn(bob, roomId, 'm.room.message', nextTxn(), { msgtype: 'm.text', body: 'still here' })).status).toBe(200);
  });

  // client-server "Redactions": "When redacted, state events behave as though their properties
  // were simply not specified, except those protected by the redaction algorithm." In v10, `invite`
  // is not protected in m.room.power_levels, so after the redaction the invite level is the default
  // (0): the room authorises against the redacted content.
  it('a redacted power levels event no longer grants what its stripped keys said (v10 invite level)', async () => {
    const [alice, bob, carol] = await Promise.all([registerUser(), registerUser(), registerUser()]);
    const roomId = await createRoom(alice, { room_version: '10', preset: 'public_chat' });
    expect((await join(bob, roomId)).status).toBe(200);
    expect((await member(bob, roomId, 'invite', carol.userId)).status).toBe(403);
    const pl = (await call('GET', `${statePath(roomId, 'm.room.power_levels', '')}?format=event`, { token: alice.token })).body as Ev;
    await redactedOk('redact', alice, roomId, pl.event_id);
    const r = await member(bob, roomId, 'invite', carol.userId);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
  });

  // Same rule for /joined_members (rooms.yaml: display_name is "The display name of the user"):
  // after Bob's join event is redacted, the room has no display name for him.
  it('a redacted member event’s displayname disappears from /joined_members', async () => {
    const [alice, bob] = await Promise.all([registerUser(), registerUser()]);
    const roomId = await createRoom(alice, { preset: 'public_chat' });
    expect((await join(bob, roomId)).status).toBe(200);
    const joinEvent = (await call('GET', `${statePath(roomId, 'm.room.member', bob.userId)}?format=event`, { token: bob.token })).body as Ev;
    expect(joinEvent.content.displayname).toBe(bob.localpart);
    await redactedOk('redact', alice, roomId, joinEvent.event_id);
    const jm = await call('GET', roomPath(roomId, '/joined_members'), { token: alice.token });
    expect(jm.body.joined[bob.userId]).toEqual({});
  });
});
