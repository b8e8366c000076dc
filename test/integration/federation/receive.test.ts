// Hostile or broken input on the receiving side (spec: server-server "Transactions", "Checks
// performed on receipt of a PDU", "Retrieving missing events"): a fake server whose user joined one
// of our rooms sends events that must not enter the room, and the room must stay as it was.
import { describe, expect, it } from 'vitest';
import { hashAndSignEvent } from '../../../src/matrix/event-signing';
import { roomVersion } from '../../../src/matrix/room-versions';
import { generateSigningKeyText, parseSigningKey } from '../../../src/matrix/signing';
import { call } from '../helpers/client';
import { createRoom, getEvent, sendOk, stateMap, timeline } from '../helpers/rooms';
import { expectSpec } from '../helpers/spec';
import { sync, timelineIds } from '../sync/helpers';
import { fakeServer, interceptFederation, type FakeServer } from './fake-server';
import { sharedRoom, type SharedRoom as Shared } from './shared-room';

interceptFederation();

const enc = encodeURIComponent;
const VERSION = '10';


/** An event of bob's (signed by his server) on top of the room's last event, unless told otherwise. */
function bobEvent(s: Shared, fields: { type: string; content: Record<string, unknown>; state_key?: string; prev_events?: string[]; depth?: number; auth_events?: string[] }) {
  return s.remote.signEvent(
    {
      room_id: s.roomId,
      sender: s.bob,
      origin: s.remote.name,
      origin_server_ts: Date.now(),
      depth: s.last.depth + 1,
      prev_events: [s.last.id],
      auth_events: s.auth,
      ...fields,
    },
    VERSION,
  );
}

const message = (body: string) => ({ type: 'm.room.message', content: { msgtype: 'm.text', body } });

async function send(s: Shared, pdus: unknown[], txnId?: string) {
  const r = await s.remote.transaction<{ pdus: Record<string, { error?: string }> }>([], pdus, txnId);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  expectSpec('PUT /_matrix/federation/v1/send/{txnId}', 200, r.body);
  return r.body.pdus;
}

/** The event is neither served to clients nor to servers, nor in the timeline or a sync. */
async function expectAbsent(s: Shared, eventId: string) {
  const local = await getEvent(s.alice, s.roomId, eventId);
  expect(local.status).toBe(404);
  expect((local.body as unknown as { errcode: string }).errcode).toBe('M_NOT_FOUND');
  const remote = await s.remote.request('GET', `/_matrix/federation/v1/event/${enc(eventId)}`);
  expect(remote.status).toBe(404);
  expect((await timeline(s.alice, s.roomId)).map((e) => e.event_id)).not.toContain(eventId);
  expect(timelineIds(await sync(s.alice, { filter: JSON.stringify({ room: { timeline: { limit: 50 } } }) }), s.roomId)).not.toContain(eventId);
}

/** The room still takes events from the server: a good message goes through afterwards. */
async function expectStillWorks(s: Shared) {
  const ok = await bobEvent(s, message('still here'));
  expect((await send(s, [ok.event]))[ok.eventId]).toEqual({});
  expect((await getEvent(s.alice, s.roomId, ok.eventId)).body.content.body).toBe('still here');
}

describe('PDUs that fail their checks', () => {
  it('drops a PDU whose signature is not the origin’s, with a per-PDU error', async () => {
    const s = await sharedRoom(VERSION);
    const forged = await bobEvent(s, message('forged'));
    // Signed with another key under the id of the origin's published one.
    const impostor = await parseSigningKey(generateSigningKeyText(s.remote.key.version));
    const { signatures: _sigs, ...template } = forged.event;
    const bad = await hashAndSignEvent(template as never, roomVersion(VERSION), s.remote.name, impostor);
    const results = await send(s, [bad]);
    expect(results[forged.eventId].error).toMatch(/signature/);
    // No signature at all: dropped as malformed, or refused with an error, but never accepted.
    const { signatures: _, ...unsigned } = forged.event;
    expect((await send(s, [unsigned]))[forged.eventId]).not.toEqual({});
    await expectAbsent(s, forged.eventId);
    await expectStillWorks(s);
  });

  it('keeps a PDU whose content does not match its hash only in redacted form', async () => {
    const s = await sharedRoom(VERSION);
    const signed = await bobEvent(s, message('original'));
    const tampered = { ...signed.event, content: { msgtype: 'm.text', body: 'tampered' } };
    expect((await send(s, [tampered]))[signed.eventId]).toEqual({});
    const seen = await getEvent(s.alice, s.roomId, signed.eventId);
    expect(seen.status).toBe(200);
    expect(seen.body.content).toEqual({});
    const served = await s.remote.request('GET', `/_matrix/federation/v1/event/${enc(signed.eventId)}`);
    expect(served.status).toBe(200);
    expect(served.body.pdus[0].content).toEqual({});

    // A state event with a changed hash does not set its content either.
    const topic = await bobEvent(s, { type: 'm.room.topic', state_key: '', content: { topic: 'real' }, prev_events: [signed.eventId], depth: s.last.depth + 2 });
    expect((await send(s, [{ ...topic.event, content: { topic: 'injected' } }]))[topic.eventId]).toBeDefined();
    const state = await stateMap(s.alice, s.roomId);
    expect(state.get('m.room.topic|')?.content.topic).toBeUndefined();
  });

  it('rejects a power levels change by a user without the power to make it', async () => {
    const s = await sharedRoom(VERSION);
    const before = await stateMap(s.alice, s.roomId);
    const pl = before.get('m.room.power_levels|')!.content;
    const grab = await bobEvent(s, { type: 'm.room.power_levels', state_key: '', content: { ...pl, users: { ...pl.users, [s.bob]: 100 } } });
    const results = await send(s, [grab.event]);
    expect(results[grab.eventId].error).toMatch(/auth|power|not allowed/i);
    const after = await stateMap(s.alice, s.roomId);
    expect(after.get('m.room.power_levels|')!.event_id).toBe(before.get('m.room.power_levels|')!.event_id);
    expect(after.get('m.room.power_levels|')!.content.users[s.bob]).toBeUndefined();
    await expectAbsent(s, grab.eventId);
    // Bob's next event, built on the rejected one, is judged without it: still no power.
    const next = await bobEvent(s, { type: 'm.room.name', state_key: '', content: { name: 'mine' }, prev_events: [grab.eventId], depth: s.last.depth + 2 });
    expect((await send(s, [next.event]))[next.eventId].error).toBeDefined();
    expect((await stateMap(s.alice, s.roomId)).get('m.room.name|')).toBeUndefined();
    await expectStillWorks(s);
  });
});

describe('PDUs with unknown prev_events', () => {
  it('fetches the missing events from the sender and accepts them in order', async () => {
    const s = await sharedRoom(VERSION);
    const a = await bobEvent(s, message('first, not sent'));
    const b = await bobEvent(s, { ...message('second'), prev_events: [a.eventId], depth: s.last.depth + 2 });
    s.remote.on('POST', `/_matrix/federation/v1/get_missing_events/${enc(s.roomId)}`, (req) => {
      expect((req.body as { latest_events: string[] }).latest_events).toEqual([b.eventId]);
      return { events: [a.event] };
    });
    expect((await send(s, [b.event]))[b.eventId]).toEqual({});
    const ids = (await timeline(s.alice, s.roomId)).map((e) => e.event_id);
    expect(ids.slice(-2)).toEqual([a.eventId, b.eventId]);
  });

  it('when the missing events cannot be had, takes the state at the event from the sender', async () => {
    const s = await sharedRoom(VERSION);
    const lost = await bobEvent(s, message('lost'));
    const b = await bobEvent(s, { ...message('after a gap'), prev_events: [lost.eventId], depth: s.last.depth + 2 });
    // The state at b is the room's state after bob's join, as the sender would answer it.
    const atJoin = await s.remote.request('GET', `/_matrix/federation/v1/state/${enc(s.roomId)}?event_id=${enc(s.last.id)}`);
    expect(atJoin.status).toBe(200);
    const joinPdu = (await s.remote.request('GET', `/_matrix/federation/v1/event/${enc(s.last.id)}`)).body.pdus[0];
    s.remote.on('POST', `/_matrix/federation/v1/get_missing_events/${enc(s.roomId)}`, () => ({ events: [] }));
    s.remote.on('GET', `/_matrix/federation/v1/state/${enc(s.roomId)}`, (req) => {
      expect(req.url.searchParams.get('event_id')).toBe(b.eventId);
      return { pdus: [...atJoin.body.pdus, joinPdu], auth_chain: atJoin.body.auth_chain };
    });
    expect((await send(s, [b.event]))[b.eventId]).toEqual({});
    const ids = (await timeline(s.alice, s.roomId)).map((e) => e.event_id);
    expect(ids).toContain(b.eventId);
    expect(ids).not.toContain(lost.eventId);
    expect((await getEvent(s.alice, s.roomId, b.eventId)).body.content.body).toBe('after a gap');
  });

  it('a sender lying about the state at an event cannot change the current state', async () => {
    const s = await sharedRoom(VERSION);
    const before = await stateMap(s.alice, s.roomId);
    const realPl = before.get('m.room.power_levels|')!;
    const lost = await bobEvent(s, message('lost'));
    // Power levels bob wrote himself, that no room ever accepted, served as the state.
    const forgedPl = await bobEvent(s, { type: 'm.room.power_levels', state_key: '', content: { ...realPl.content, users: { ...realPl.content.users, [s.bob]: 100 } } });
    const auth = s.auth.map((id) => (id === realPl.event_id ? forgedPl.eventId : id));
    const rename = await bobEvent(s, { type: 'm.room.name', state_key: '', content: { name: 'taken over' }, prev_events: [lost.eventId], depth: s.last.depth + 2, auth_events: auth });
    const atJoin = (await s.remote.request('GET', `/_matrix/federation/v1/state/${enc(s.roomId)}?event_id=${enc(s.last.id)}`)).body;
    const joinPdu = (await s.remote.request('GET', `/_matrix/federation/v1/event/${enc(s.last.id)}`)).body.pdus[0];
    s.remote.on('POST', `/_matrix/federation/v1/get_missing_events/${enc(s.roomId)}`, () => ({ events: [] }));
    s.remote.on('GET', `/_matrix/federation/v1/state/${enc(s.roomId)}`, () => ({
      pdus: [...atJoin.pdus.filter((p: { type: string }) => p.type !== 'm.room.power_levels'), forgedPl.event, joinPdu],
      auth_chain: [...atJoin.auth_chain, forgedPl.event],
    }));
    s.remote.on('GET', /^\/_matrix\/federation\/v1\/event_auth\//, () => ({ auth_chain: [...atJoin.auth_chain, joinPdu, forgedPl.event] }));
    expect((await send(s, [rename.event]))[rename.eventId].error).toBeDefined();
    const after = await stateMap(s.alice, s.roomId);
    expect(after.get('m.room.name|')).toBeUndefined();
    expect(after.get('m.room.power_levels|')!.event_id).toBe(realPl.event_id);
    await expectAbsent(s, rename.eventId);
    await expectAbsent(s, forgedPl.eventId);
  });

  it('drops an event whose prev_events neither the sender nor anyone can produce', async () => {
    const s = await sharedRoom(VERSION);
    const before = await stateMap(s.alice, s.roomId);
    const orphan = await bobEvent(s, { type: 'm.room.topic', state_key: '', content: { topic: 'from nowhere' }, prev_events: [`$${'A'.repeat(43)}`] });
    // The fake server answers get_missing_events, /state and /state_ids with 404 (its default).
    const results = await send(s, [orphan.event]);
    expect(results[orphan.eventId].error).toBeDefined();
    expect(s.remote.received.some((r) => r.url.pathname.startsWith('/_matrix/federation/v1/get_missing_events/'))).toBe(true);
    await expectAbsent(s, orphan.eventId);
    const after = await stateMap(s.alice, s.roomId);
    expect([...after.keys()].sort()).toEqual([...before.keys()].sort());
    expect(after.get('m.room.topic|')).toBeUndefined();
    await expectStillWorks(s);
  });
});

describe('transactions', () => {
  it('refuses a transaction whose X-Matrix signature covers another body, applying none of it', async () => {
    const s = await sharedRoom(VERSION);
    const ev = await bobEvent(s, message('smuggled'));
    const body = { origin: s.remote.name, origin_server_ts: Date.now(), pdus: [ev.event], edus: [] };
    const r = await s.remote.request('PUT', `/_matrix/federation/v1/send/smuggle${Date.now()}`, { body, signedBody: { ...body, pdus: [] } });
    expect(r.status).toBe(401);
    expect(r.body.errcode).toBe('M_UNAUTHORIZED');
    const none = await s.remote.request('PUT', `/_matrix/federation/v1/send/noauth${Date.now()}`, { body, noAuth: true });
    expect(none.status).toBe(401);
    await expectAbsent(s, ev.eventId);
  });

  it('refuses 51 PDUs or 101 EDUs with M_BAD_JSON and applies nothing', async () => {
    const s = await sharedRoom(VERSION);
    const pdus: Record<string, unknown>[] = [];
    let prev = s.last;
    for (let i = 0; i < 51; i++) {
      const e = await bobEvent(s, { ...message(`bulk ${i}`), prev_events: [prev.id], depth: prev.depth + 1 });
      pdus.push(e.event);
      prev = { id: e.eventId, depth: prev.depth + 1 };
    }
    const tooMany = await s.remote.transaction([], pdus);
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.errcode).toBe('M_BAD_JSON');
    const edus = Array.from({ length: 101 }, () => ({ edu_type: 'm.typing', content: { room_id: s.roomId, user_id: s.bob, typing: true } }));
    const tooManyEdus = await s.remote.transaction(edus, []);
    expect(tooManyEdus.status).toBe(400);
    expect(tooManyEdus.body.errcode).toBe('M_BAD_JSON');
    const bodies = (await timeline(s.alice, s.roomId)).map((e) => e.content.body);
    expect(bodies.filter((b) => typeof b === 'string' && b.startsWith('bulk '))).toEqual([]);
    // The same 50 are fine.
    const ok = await send(s, pdus.slice(0, 50));
    expect(Object.values(ok).every((r) => r.error === undefined)).toBe(true);
    expect(Object.keys(ok)).toHaveLength(50);
  });

  it('drops unparseable PDUs, and refuses a body that is not a transaction with M_BAD_JSON', async () => {
    const s = await sharedRoom(VERSION);
    const ok = await bobEvent(s, message('between the junk'));
    const junk = [null, 5, 'pdu', [], { room_id: 5 }, { room_id: s.roomId }, { ...ok.event, depth: 'deep' }];
    expect(await send(s, [...junk, ok.event])).toEqual({ [ok.eventId]: {} });
    for (const body of [{ origin: s.remote.name, pdus: 'x' }, { origin: s.remote.name, pdus: [], edus: {} }, { origin: 'someone.else', pdus: [] }, []]) {
      const r = await s.remote.request('PUT', `/_matrix/federation/v1/send/bad${Date.now()}${Math.random()}`, { body });
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.errcode).toBe('M_BAD_JSON');
    }
  });

  it('answers a replayed transaction id with the first answer and applies nothing again', async () => {
    const s = await sharedRoom(VERSION);
    const first = await bobEvent(s, message('once'));
    const txnId = `replay${Date.now()}`;
    const answer = await send(s, [first.event], txnId);
    expect(answer).toEqual({ [first.eventId]: {} });
    const since = (await sync(s.alice)).next_batch;
    // The same id again, even with other content: the old answer, and the new PDU is not applied.
    const second = await bobEvent(s, { ...message('sneaked in'), prev_events: [first.eventId], depth: s.last.depth + 2 });
    expect(await send(s, [first.event, second.event], txnId)).toEqual(answer);
    await expectAbsent(s, second.eventId);
    expect((await timeline(s.alice, s.roomId)).filter((e) => e.event_id === first.eventId)).toHaveLength(1);
    expect(timelineIds(await sync(s.alice, { since, timeout: 200 }), s.roomId)).toEqual([]);
    // Another server may use the same transaction id.
    const other = await fakeServer();
    const r = await other.transaction([], [], txnId);
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ pdus: {} });
  });
});

describe('a consistent room', () => {
  it('after a mixed transaction, state and timeline hold only the good events, once', async () => {
    const s = await sharedRoom(VERSION);
    const local = await sendOk(s.alice, s.roomId);
    const good = await bobEvent(s, { ...message('good'), prev_events: [local], depth: s.last.depth + 2 });
    const pl = (await stateMap(s.alice, s.roomId)).get('m.room.power_levels|')!.content;
    const bad = await bobEvent(s, { type: 'm.room.power_levels', state_key: '', content: { ...pl, users_default: 100 }, prev_events: [local], depth: s.last.depth + 2 });
    const results = await send(s, [good.event, bad.event, good.event]);
    expect(results[good.eventId]).toEqual({});
    expect(results[bad.eventId].error).toBeDefined();
    const events = await timeline(s.alice, s.roomId);
    expect(events.filter((e) => e.event_id === good.eventId)).toHaveLength(1);
    expect(events.map((e) => e.event_id)).not.toContain(bad.eventId);
    expect((await stateMap(s.alice, s.roomId)).get('m.room.power_levels|')!.content.users_default).toBe(0);
  });
  it('a chain of messages with a refused state change inside is stored in order, each once, and only the good ones', async () => {
    const s = await sharedRoom(VERSION);
    const pl = (await stateMap(s.alice, s.roomId)).get('m.room.power_levels|')!.content;
    const sync0 = await sync(s.alice);
    const pdus: Record<string, unknown>[] = [];
    const ids: string[] = [];
    const chain = async (fields: Parameters<typeof bobEvent>[1]) => {
      const e = await bobEvent(s, fields);
      s.last = { id: e.eventId, depth: s.last.depth + 1 };
      pdus.push(e.event);
      ids.push(e.eventId);
      return e.eventId;
    };
    for (let i = 0; i < 5; i++) await chain(message(`m${i}`));
    // Built on m4 but refused (bob has no power to change power levels): it is no extremity, so
    // the next message builds on m4 too.
    const tip = s.last;
    const bad = await bobEvent(s, { type: 'm.room.power_levels', state_key: '', content: { ...pl, users_default: 100 } });
    pdus.push(bad.event);
    s.last = tip;
    for (let i = 5; i < 8; i++) await chain(message(`m${i}`));
    const results = await send(s, pdus);
    for (const id of ids) expect(results[id], id).toEqual({});
    expect(results[bad.eventId].error).toMatch(/power|auth|state/);
    const events = await timeline(s.alice, s.roomId);
    const seen = events.map((e) => e.event_id).filter((id) => ids.includes(id));
    expect(seen).toEqual(ids);
    expect(events.map((e) => e.event_id)).not.toContain(bad.eventId);
    expect((await stateMap(s.alice, s.roomId)).get('m.room.power_levels|')!.content.users_default).toBe(0);
    // An incremental sync has every message once, in order.
    const later = await sync(s.alice, { since: sync0.next_batch, filter: JSON.stringify({ room: { timeline: { limit: 50 } } }) });
    expect(timelineIds(later, s.roomId).filter((id) => ids.includes(id))).toEqual(ids);
    // The room goes on from the last message.
    await expectStillWorks(s);
  });
});

describe('events from other servers in the search index', () => {
  it('finds a message stored on the fast path and one that forks off an older event', async () => {
    const s = await sharedRoom(VERSION);
    const fork = s.last;
    const onTip = await bobEvent(s, message('zebracrossing on the tip'));
    expect((await send(s, [onTip.event]))[onTip.eventId]).toEqual({});
    s.last = fork; // built on the join again: not the current extremity, so stored alone
    const forked = await bobEvent(s, message('zebracrossing from a fork'));
    expect((await send(s, [forked.event]))[forked.eventId]).toEqual({});
    const r = await call('POST', '/_matrix/client/v3/search', {
      token: s.alice.token,
      body: { search_categories: { room_events: { search_term: 'zebracrossing', filter: { rooms: [s.roomId] } } } },
    });
    expect(r.status).toBe(200);
    expectSpec('POST /_matrix/client/v3/search', 200, r.body);
    const found = (r.body.search_categories as { room_events: { results: { result: { event_id: string } }[] } }).room_events.results.map((x) => x.result.event_id);
    expect(found.sort()).toEqual([onTip.eventId, forked.eventId].sort());
  });
});
