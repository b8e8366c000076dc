// Received transactions are processed once (spec: server-server "Transactions": identified by
// origin and txnId): two copies arriving together are processed once and both get the result; a
// claim left by an attempt that died does not block the retry forever; and the per-PDU results of
// a room that cannot take them are keyed by event ids computed as the room version defines.
import { env } from 'cloudflare:test';
import { sql } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import type { Env } from '../../../src/config';
import { httpDb } from '../../../src/db/client';
import { registerUser, uniqueName } from '../helpers/client';
import { createRoom, putState, stateMap } from '../helpers/rooms';
import { expectSpec } from '../helpers/spec';
import { fakeServer, interceptFederation, type FakeServer } from './fake-server';
import { sharedRoom } from './shared-room';

interceptFederation();

const db = () => httpDb(env as unknown as Env);
const OP = 'PUT /_matrix/federation/v1/send/{txnId}';


/** A message of bob's whose prev event we have never seen (its processing asks the sender for it). */
function orphan(s: Awaited<ReturnType<typeof sharedRoom>>, version = '10') {
  return s.remote.signEvent(
    {
      room_id: s.roomId,
      sender: s.bob,
      origin: s.remote.name,
      origin_server_ts: Date.now(),
      type: 'm.room.message',
      content: { msgtype: 'm.text', body: 'orphan' },
      depth: s.last.depth + 5,
      prev_events: [`$${'Q'.repeat(43)}`],
      auth_events: s.auth,
    },
    version,
  );
}

const missingRequests = (remote: FakeServer) => remote.received.filter((r) => r.url.pathname.startsWith('/_matrix/federation/v1/get_missing_events/')).length;

describe('PUT /_matrix/federation/v1/send/{txnId}: processed once', () => {
  it('two identical transactions arriving at once are processed once; both get the same answer', async () => {
    const s = await sharedRoom();
    // The sender is slow to answer: the first copy is still being processed when the second arrives.
    s.remote.on('POST', /^\/_matrix\/federation\/v1\/get_missing_events\//, async () => {
      await new Promise((r) => setTimeout(r, 400));
      return { events: [] };
    });
    const { eventId, event } = await orphan(s);
    const txnId = uniqueName('dup');
    const [a, b] = await Promise.all([s.remote.transaction([], [event], txnId), s.remote.transaction([], [event], txnId)]);
    for (const r of [a, b]) {
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      expectSpec(OP, 200, r.body);
      expect(typeof r.body.pdus[eventId]?.error).toBe('string');
    }
    expect(b.body).toEqual(a.body);
    expect(missingRequests(s.remote), 'the PDU was processed once').toBe(1);
    // A later retry is answered from memory, without processing either.
    const again = await s.remote.transaction([], [event], txnId);
    expect(again.body).toEqual(a.body);
    expect(missingRequests(s.remote)).toBe(1);
  });

  it('a claim abandoned by an attempt that died is taken over by the retry once stale', async () => {
    const s = await sharedRoom();
    const { eventId, event } = await orphan(s);
    const txnId = uniqueName('stale');
    // What a Worker that died mid-processing leaves: a claim without a response, long ago.
    await db().execute(sql`insert into received_transactions (origin, txn_id, response, received_ts) values (${s.remote.name}, ${txnId}, '{}'::jsonb, ${Date.now() - 10 * 60_000})`);
    const r = await s.remote.transaction([], [event], txnId);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(typeof r.body.pdus[eventId]?.error).toBe('string');
    expect(missingRequests(s.remote)).toBe(1);
    const row = (await db().execute(sql`select response from received_transactions where origin = ${s.remote.name} and txn_id = ${txnId}`)) as unknown as { rows: { response: unknown }[] };
    expect(row.rows[0].response).toEqual(r.body);
  });

  it('a copy waits for a claim in progress and answers with its result; a released claim is processed afresh', async () => {
    const s = await sharedRoom();
    const { eventId, event } = await orphan(s);
    const txnId = uniqueName('wait');
    const stored = { pdus: { [eventId]: { error: 'answered by the first copy' } } };
    await db().execute(sql`insert into received_transactions (origin, txn_id, response, received_ts) values (${s.remote.name}, ${txnId}, '{}'::jsonb, ${Date.now()})`);
    const waiting = s.remote.transaction([], [event], txnId);
    await new Promise((r) => setTimeout(r, 300));
    await db().execute(sql`update received_transactions set response = ${JSON.stringify(stored)}::jsonb where origin = ${s.remote.name} and txn_id = ${txnId}`);
    const r = await waiting;
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(r.body).toEqual(stored);
    expect(missingRequests(s.remote), 'not processed by the copy').toBe(0);

    // The first attempt failed and released its claim: the waiting copy processes the transaction.
    const txn2 = uniqueName('released');
    await db().execute(sql`insert into received_transactions (origin, txn_id, response, received_ts) values (${s.remote.name}, ${txn2}, '{}'::jsonb, ${Date.now()})`);
    const second = s.remote.transaction([], [event], txn2);
    await new Promise((r) => setTimeout(r, 300));
    await db().execute(sql`delete from received_transactions where origin = ${s.remote.name} and txn_id = ${txn2}`);
    const r2 = await second;
    expect(r2.status, JSON.stringify(r2.body)).toBe(200);
    expect(typeof r2.body.pdus[eventId]?.error).toBe('string');
    expect(missingRequests(s.remote)).toBe(1);
  });
});

describe('PUT /_matrix/federation/v1/send/{txnId}: per-PDU errors', () => {
  it('keys the errors of PDUs for a room we are not in by their computed event ids (v3+ events carry none)', async () => {
    const remote = await fakeServer();
    const base = { sender: remote.user('bob'), origin: remote.name, origin_server_ts: Date.now(), type: 'm.room.message', content: { msgtype: 'm.text', body: 'hi' }, depth: 4 };
    const hashes = { prev_events: [`$${'P'.repeat(43)}`], auth_events: [`$${'A'.repeat(43)}`] };
    // v12 room ids have no server part; older ones are taken as v10 (v4–v10 compute ids alike).
    const v12 = await remote.signEvent({ ...base, ...hashes, room_id: `!${'R'.repeat(43)}` }, '12');
    const v10 = await remote.signEvent({ ...base, ...hashes, room_id: `!${uniqueName('elsewhere')}:${remote.name}` }, '10');
    for (const e of [v12, v10]) expect(e.event.event_id).toBeUndefined();
    const ref = (id: string) => [id, { sha256: 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA' }];
    const old = await remote.signEvent({ ...base, room_id: `!${uniqueName('old')}:${remote.name}`, event_id: `$${uniqueName('e')}:${remote.name}`, prev_events: [ref(`$p:${remote.name}`)], auth_events: [ref(`$a:${remote.name}`)] }, '1');
    const r = await remote.transaction([], [v12.event, v10.event, old.event]);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expectSpec(OP, 200, r.body);
    expect(Object.keys(r.body.pdus).sort()).toEqual([v12.eventId, v10.eventId, old.eventId].sort());
    for (const id of [v12.eventId, v10.eventId, old.eventId]) expect(typeof r.body.pdus[id].error).toBe('string');
  });

  it('keys them by the version of a room we know (v11 ids) when it refuses them all (ACL)', async () => {
    // v11 computes ids over its own redaction algorithm; bob's server is then denied by the ACL.
    const s = await sharedRoom('11');
    const acl = await putState(s.alice, s.roomId, 'm.room.server_acl', { allow: ['*'], deny: [s.remote.name], allow_ip_literals: false });
    expect(acl.status, JSON.stringify(acl.body)).toBe(200);
    const { eventId, event } = await orphan(s, '11');
    const r = await s.remote.transaction([], [event]);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(Object.keys(r.body.pdus)).toEqual([eventId]);
    expect(r.body.pdus[eventId].error).toMatch(/ACL/);
  });
});
