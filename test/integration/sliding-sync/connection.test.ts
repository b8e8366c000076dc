// Simplified sliding sync connections (MSC4186 "Connections"): advertisement, authentication,
// request validation, pos handling (M_UNKNOWN_POS), retries, conn_id, and pos surviving the
// eviction of the user's object.
import { abortAllDurableObjects, env, runInDurableObject } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { call, login, registerUser } from '../helpers/client';
import { sendOk } from '../helpers/rooms';
import { roomWith, users } from '../sync/helpers';
import { listBody, ss, ssRaw, timelineIds } from './helpers';

describe('advertisement', () => {
  it('lists org.matrix.simplified_msc3575 in unstable_features, as Element X requires', async () => {
    const r = await call('GET', '/_matrix/client/versions');
    expect(r.status).toBe(200);
    expect(r.body.unstable_features['org.matrix.simplified_msc3575']).toBe(true);
  });
});

describe('authentication and validation', () => {
  it('needs an access token', async () => {
    const missing = await call('POST', '/_matrix/client/unstable/org.matrix.simplified_msc3575/sync', { body: {} });
    expect(missing.status).toBe(401);
    expect(missing.body.errcode).toBe('M_MISSING_TOKEN');
    const bad = await ssRaw({ token: 'syt_bad_token' }, {});
    expect(bad.status).toBe(401);
    expect(bad.body.errcode).toBe('M_UNKNOWN_TOKEN');
  });

  it('answers an empty request with a pos and nothing else', async () => {
    const user = await registerUser();
    const b = await ss(user, {});
    expect(b.lists).toEqual({});
    expect(b.rooms).toEqual({});
    expect(b.extensions).toEqual({});
  });

  it('refuses bodies of the wrong shape with M_BAD_JSON, and non-JSON with M_NOT_JSON', async () => {
    const user = await registerUser();
    const cases: unknown[] = [
      { lists: { a: { timeline_limit: -1, required_state: [] } } },
      { lists: { a: { timeline_limit: 1.5, required_state: [] } } },
      { lists: { a: { required_state: [] } } },
      { lists: { a: { timeline_limit: 1, required_state: [['m.room.name']] } } },
      { lists: { a: { timeline_limit: 1, required_state: [], ranges: [[0]] } } },
      { lists: { a: { timeline_limit: 1, required_state: [], ranges: [[-1, 5]] } } },
      { lists: { a: { timeline_limit: 1, filters: { is_dm: 'yes' } } } },
      { lists: Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`l${i}`, { timeline_limit: 1 }])) },
      { room_subscriptions: { '!a:b': { required_state: [] } } },
      { extensions: { to_device: { enabled: true, since: 'abc' } } },
      { conn_id: 5 },
      [],
    ];
    for (const body of cases) {
      const r = await ssRaw(user, body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.errcode, JSON.stringify(body)).toBe('M_BAD_JSON');
    }
    const notJson = await call('POST', '/_matrix/client/unstable/org.matrix.simplified_msc3575/sync', { token: user.token, raw: '{nope', headers: { 'content-type': 'application/json' } });
    expect(notJson.status).toBe(400);
    expect(notJson.body.errcode).toBe('M_NOT_JSON');
  });

  it('refuses bad timeout and set_presence parameters with M_INVALID_PARAM', async () => {
    const user = await registerUser();
    for (const q of [{ timeout: 'soon' }, { timeout: '-5' }, { set_presence: 'busy' }]) {
      const r = await ssRaw(user, {}, q);
      expect(r.status, JSON.stringify(q)).toBe(400);
      expect(r.body.errcode).toBe('M_INVALID_PARAM');
    }
  });

  it('echoes txn_id', async () => {
    const user = await registerUser();
    expect((await ss(user, { txn_id: 'abc' })).txn_id).toBe('abc');
  });
});

describe('pos', () => {
  it('gives M_UNKNOWN_POS for a pos it never issued', async () => {
    const user = await registerUser();
    for (const pos of ['garbage', 's1_2_3', 's1_1_0_999999999', '']) {
      const r = await ssRaw(user, {}, { pos });
      if (pos === '') {
        expect(r.status).toBe(200);
        continue;
      }
      expect(r.status, pos).toBe(400);
      expect(r.body.errcode, pos).toBe('M_UNKNOWN_POS');
    }
  });

  it('gives M_UNKNOWN_POS for a pos issued to another device, another user, or another conn_id', async () => {
    const [alice, bob] = await users(2);
    const phone = await login(alice);
    const first = await ss(alice, { conn_id: 'main' });
    for (const [who, body] of [
      [{ token: phone.body.access_token as string }, { conn_id: 'main' }],
      [bob, { conn_id: 'main' }],
      [alice, { conn_id: 'other' }],
    ] as const) {
      const r = await ssRaw(who, body, { pos: first.pos });
      expect(r.status).toBe(400);
      expect(r.body.errcode).toBe('M_UNKNOWN_POS');
    }
    // The owner can still use it.
    await ss(alice, { conn_id: 'main' }, { pos: first.pos });
  });

  it('restarting a conn_id without pos forgets its earlier positions', async () => {
    const user = await registerUser();
    const first = await ss(user, { conn_id: 'c' });
    await ss(user, { conn_id: 'c' });
    const r = await ssRaw(user, { conn_id: 'c' }, { pos: first.pos });
    expect(r.body.errcode).toBe('M_UNKNOWN_POS');
  });

  it('keeps connections with different conn_ids apart', async () => {
    const [alice, bob] = await users(2);
    const roomId = await roomWith(alice, [bob]);
    const body = listBody({ ranges: [[0, 9]] });
    const a = await ss(bob, { conn_id: 'a', ...body });
    const b = await ss(bob, { conn_id: 'b', ...body });
    expect(a.rooms[roomId]?.initial).toBe(true);
    expect(b.rooms[roomId]?.initial).toBe(true);
    const id = await sendOk(alice, roomId);
    expect(timelineIds((await ss(bob, { conn_id: 'a', ...body }, { pos: a.pos })).rooms[roomId])).toEqual([id]);
    expect(timelineIds((await ss(bob, { conn_id: 'b', ...body }, { pos: b.pos })).rooms[roomId])).toEqual([id]);
  });

  it('answers a retried request (the response was lost) the same way, and then refuses the lost pos', async () => {
    const [alice, bob] = await users(2);
    const roomId = await roomWith(alice, [bob]);
    const body = listBody({ ranges: [[0, 9]] });
    const first = await ss(bob, body);
    const id = await sendOk(alice, roomId);
    const lost = await ss(bob, body, { pos: first.pos });
    expect(timelineIds(lost.rooms[roomId])).toEqual([id]);
    // The client never saw `lost`: it retries from `first` and gets the message again.
    const retry = await ss(bob, body, { pos: first.pos });
    expect(timelineIds(retry.rooms[roomId])).toEqual([id]);
    expect(retry.rooms[roomId].initial).toBeUndefined();
    // Only the newest response's pos goes on; the lost one is gone.
    const stale = await ssRaw(bob, body, { pos: lost.pos });
    expect(stale.status).toBe(400);
    expect(stale.body.errcode).toBe('M_UNKNOWN_POS');
    const next = await ss(bob, body, { pos: retry.pos });
    expect(next.rooms).toEqual({});
  });

  it('stays valid when the user object is evicted: the connection state is stored', async () => {
    const [alice, bob] = await users(2);
    const roomId = await roomWith(alice, [bob]);
    const body = listBody({ ranges: [[0, 9]] });
    const first = await ss(bob, body);
    expect(first.rooms[roomId].initial).toBe(true);
    await abortAllDurableObjects();
    const quiet = await ss(bob, body, { pos: first.pos });
    // Still known, and still remembering that the room was sent.
    expect(quiet.rooms).toEqual({});
    const id = await sendOk(alice, roomId);
    await abortAllDurableObjects();
    const next = await ss(bob, body, { pos: quiet.pos });
    expect(timelineIds(next.rooms[roomId])).toEqual([id]);
    expect(next.rooms[roomId].initial).toBeUndefined();
  });

  it('gives M_UNKNOWN_POS for the pos of a connection unused for over a week, and forgets it', async () => {
    const user = await registerUser();
    const first = await ss(user, { conn_id: 'old' });
    const kept = await ss(user, { conn_id: 'kept' });
    // Age the stored connection as a week of disuse would (the object's clock cannot be moved).
    const stub = env.USER.get(env.USER.idFromName(user.userId));
    await runInDurableObject(stub, (_instance, state) => {
      state.storage.sql.exec("update sliding_sync_connections set last_used = ? where conn_id = 'old'", Date.now() - 8 * 24 * 3600_000);
    });
    await abortAllDurableObjects();
    for (let i = 0; i < 2; i++) {
      const r = await ssRaw(user, { conn_id: 'old' }, { pos: first.pos });
      expect(r.status).toBe(400);
      expect(r.body.errcode).toBe('M_UNKNOWN_POS');
    }
    // The client starts the connection afresh; other connections are untouched.
    const fresh = await ss(user, { conn_id: 'old' });
    await ss(user, { conn_id: 'old' }, { pos: fresh.pos });
    await ss(user, { conn_id: 'kept' }, { pos: kept.pos });
  });
});
