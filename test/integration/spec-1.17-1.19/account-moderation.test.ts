// Server administration (v1.18, MSC4323): GET/PUT /_matrix/client/v1/admin/suspend/{userId} and
// /admin/lock/{userId}, the m.account_moderation capability, and what a suspended or locked
// account may and may not do afterwards (spec: "Account suspension", "Account locking").
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { users } from '../../../src/db/schema';
import { call, login, registerUser, SERVER_NAME, type Reply, type TestUser } from '../helpers/client';
import { createRoom, enc, getState, join, knock, leave, member, messages, putState, redact, roomPath, send, sendOk, v3 } from '../helpers/rooms';
import { expectSpec } from '../helpers/spec';
import { db, getModeration, putModeration, registerAdmin, v1 } from './helpers';

const SUSPEND_GET = 'GET /_matrix/client/v1/admin/suspend/{userId}';
const SUSPEND_PUT = 'PUT /_matrix/client/v1/admin/suspend/{userId}';
const LOCK_GET = 'GET /_matrix/client/v1/admin/lock/{userId}';
const LOCK_PUT = 'PUT /_matrix/client/v1/admin/lock/{userId}';

function expectError(r: Reply, status: number, errcode: string, operation?: string) {
  expect(r.status, JSON.stringify(r.body)).toBe(status);
  expect(r.body.errcode).toBe(errcode);
  expect(typeof r.body.error).toBe('string');
  if (operation) expectSpec(operation, status, r.body);
}

const suspended = (r: Reply) => expectError(r, 403, 'M_USER_SUSPENDED');
function locked(r: Reply) {
  expectError(r, 401, 'M_USER_LOCKED');
  expect(r.body.soft_logout).toBe(true);
}

const whoami = (u: { token: string }) => call('GET', v3('/account/whoami'), { token: u.token });

describe('admin endpoints', () => {
  for (const [what, flag, get, put] of [
    ['suspend', 'suspended', SUSPEND_GET, SUSPEND_PUT],
    ['lock', 'locked', LOCK_GET, LOCK_PUT],
  ] as const) {
    it(`${what}: an admin reads and sets the flag of a local account`, async () => {
      const admin = await registerAdmin();
      const bob = await registerUser();
      const before = await getModeration(admin, what, bob.userId);
      expect(before.status, JSON.stringify(before.body)).toBe(200);
      expectSpec(get, 200, before.body);
      expect(before.body).toEqual({ [flag]: false });

      const set = await putModeration(admin, what, bob.userId, { [flag]: true });
      expect(set.status, JSON.stringify(set.body)).toBe(200);
      expectSpec(put, 200, set.body);
      expect(set.body).toEqual({ [flag]: true });
      expect((await getModeration(admin, what, bob.userId)).body).toEqual({ [flag]: true });
      const [row] = await db().select().from(users).where(eq(users.userId, bob.userId));
      expect(row[flag]).toBe(true);

      const unset = await putModeration(admin, what, bob.userId, { [flag]: false });
      expect(unset.status).toBe(200);
      expect(unset.body).toEqual({ [flag]: false });
      expect((await getModeration(admin, what, bob.userId)).body).toEqual({ [flag]: false });
    });

    it(`${what}: anyone but a server admin is refused, before the target is looked up`, async () => {
      const bob = await registerUser();
      const carol = await registerUser();
      for (const target of [carol.userId, `@nobody-${Date.now()}:${SERVER_NAME}`, '@someone:elsewhere.example', 'not-a-user-id']) {
        expectError(await getModeration(bob, what, target), 403, 'M_FORBIDDEN', get);
        expectError(await putModeration(bob, what, target, { [flag]: true }), 403, 'M_FORBIDDEN', put);
      }
      expect((await call('GET', v1(`/admin/${what}/${enc(carol.userId)}`))).body.errcode).toBe('M_MISSING_TOKEN');
      expect((await getModeration(await registerAdmin(), what, carol.userId)).body).toEqual({ [flag]: false });
    });

    it(`${what}: remote, malformed, unknown, deactivated, admin and own accounts`, async () => {
      const admin = await registerAdmin();
      const other = await registerAdmin();
      expectError(await getModeration(admin, what, '@someone:elsewhere.example'), 400, 'M_INVALID_PARAM', get);
      expectError(await putModeration(admin, what, '@someone:elsewhere.example', { [flag]: true }), 400, 'M_INVALID_PARAM', put);
      expectError(await getModeration(admin, what, 'bob'), 400, 'M_INVALID_PARAM', get);
      expectError(await getModeration(admin, what, `@nobody-${Date.now()}:${SERVER_NAME}`), 404, 'M_NOT_FOUND', get);
      expectError(await putModeration(admin, what, `@nobody-${Date.now()}:${SERVER_NAME}`, { [flag]: true }), 404, 'M_NOT_FOUND', put);

      const gone = await registerUser();
      await db().update(users).set({ deactivated: true }).where(eq(users.userId, gone.userId));
      expectError(await getModeration(admin, what, gone.userId), 404, 'M_NOT_FOUND', get);
      expectError(await putModeration(admin, what, gone.userId, { [flag]: true }), 404, 'M_NOT_FOUND', put);

      // Another administrator can be neither read nor changed; one's own account can be read only.
      expectError(await getModeration(admin, what, other.userId), 403, 'M_FORBIDDEN', get);
      expectError(await putModeration(admin, what, other.userId, { [flag]: true }), 403, 'M_FORBIDDEN', put);
      expectError(await putModeration(admin, what, admin.userId, { [flag]: true }), 403, 'M_FORBIDDEN', put);
      expect((await getModeration(admin, what, admin.userId)).body).toEqual({ [flag]: false });
    });

    it(`${what}: the body must carry a boolean ${flag}`, async () => {
      const admin = await registerAdmin();
      const bob = await registerUser();
      for (const body of [{}, { [flag]: 'yes' }, { [flag]: null }, { other: true }]) {
        expectError(await putModeration(admin, what, bob.userId, body), 400, 'M_BAD_JSON');
      }
      expectError(await call('PUT', v1(`/admin/${what}/${enc(bob.userId)}`), { token: admin.token, raw: 'nope' }), 400, 'M_NOT_JSON');
      expect((await getModeration(admin, what, bob.userId)).body).toEqual({ [flag]: false });
    });
  }

  it('m.account_moderation is advertised to server admins only', async () => {
    const admin = await registerAdmin();
    const bob = await registerUser();
    const a = await call('GET', v3('/capabilities'), { token: admin.token });
    expect(a.status).toBe(200);
    expectSpec('GET /_matrix/client/v3/capabilities', 200, a.body);
    expect(a.body.capabilities['m.account_moderation']).toEqual({ suspend: true, lock: true });
    const b = await call('GET', v3('/capabilities'), { token: bob.token });
    expectSpec('GET /_matrix/client/v3/capabilities', 200, b.body);
    expect(b.body.capabilities['m.account_moderation']).toBeUndefined();
  });
});

describe('a suspended account', () => {
  async function setup() {
    const admin = await registerAdmin();
    const alice = await registerUser();
    const bob = await registerUser();
    const roomId = await createRoom(alice, { preset: 'public_chat' });
    expect((await join(bob, roomId)).status).toBe(200);
    const own = await sendOk(bob, roomId, { msgtype: 'm.text', body: 'mine' });
    const others = await sendOk(alice, roomId, { msgtype: 'm.text', body: 'theirs' });
    const other = await createRoom(alice, { preset: 'public_chat' });
    expect((await putModeration(admin, 'suspend', bob.userId, { suspended: true })).status).toBe(200);
    return { admin, alice, bob, roomId, own, others, other };
  }

  it('can still read: /sync, /messages, state, whoami', async () => {
    const { bob, roomId, others } = await setup();
    const s = await call('GET', v3('/sync'), { token: bob.token });
    expect(s.status, JSON.stringify(s.body)).toBe(200);
    expectSpec('GET /_matrix/client/v3/sync', 200, s.body);
    expect(s.body.rooms.join[roomId]).toBeDefined();
    const m = await messages(bob, roomId, { dir: 'b', limit: 5 });
    expect(m.status).toBe(200);
    expect(m.body.chunk.map((e: { event_id: string }) => e.event_id)).toContain(others);
    expect((await getState(bob, roomId, 'm.room.create')).status).toBe(200);
    expect((await whoami(bob)).body.user_id).toBe(bob.userId);
  });

  it('cannot send, join, knock, invite, create rooms, set state, type, change its profile or upload media', async () => {
    const { alice, bob, roomId, other, others } = await setup();
    suspended(await send(bob, roomId));
    suspended(await send(bob, roomId, { body: 'x' }, 'm.reaction'));
    suspended(await putState(bob, roomId, 'm.room.topic', { topic: 'mine now' }));
    suspended(await join(bob, other));
    suspended(await call('POST', roomPath(other, '/join'), { token: bob.token, body: {} }));
    suspended(await knock(bob, other));
    suspended(await member(bob, roomId, 'invite', alice.userId));
    suspended(await putState(bob, roomId, 'm.room.member', { membership: 'invite' }, alice.userId));
    suspended(await member(bob, roomId, 'kick', alice.userId));
    suspended(await member(bob, roomId, 'ban', alice.userId));
    suspended(await call('POST', v3('/createRoom'), { token: bob.token, body: {} }));
    suspended(await call('PUT', roomPath(roomId, `/typing/${enc(bob.userId)}`), { token: bob.token, body: { typing: true, timeout: 1000 } }));
    suspended(await call('PUT', v3(`/profile/${enc(bob.userId)}/displayname`), { token: bob.token, body: { displayname: 'New' } }));
    suspended(await call('DELETE', v3(`/profile/${enc(bob.userId)}/m.tz`), { token: bob.token }));
    suspended(await call('POST', '/_matrix/media/v3/upload', { token: bob.token, raw: 'bytes', headers: { 'content-type': 'text/plain' } }));
    suspended(await call('POST', '/_matrix/media/v1/create', { token: bob.token }));
    // Nothing of it happened: alice's message is still the room's last event, and bob is in no other room.
    const m = await messages(alice, roomId, { dir: 'b', limit: 1 });
    expect(m.body.chunk[0].event_id).toBe(others);
    expect((await call('GET', v3('/joined_rooms'), { token: bob.token })).body.joined_rooms).toEqual([roomId]);
  });

  it('can redact its own events (through /redact and /send) but not those of others', async () => {
    const { alice, bob, roomId, own, others } = await setup();
    suspended(await redact(bob, roomId, others));
    suspended(await send(bob, roomId, { redacts: others }, 'm.room.redaction'));
    suspended(await send(bob, roomId, { redacts: `$${'x'.repeat(43)}` }, 'm.room.redaction'));
    const second = await sendOk(alice, roomId);
    // Alice (the creator, above every level in v12) makes bob a moderator: still only his own events.
    expect((await putState(alice, roomId, 'm.room.power_levels', { users: { [bob.userId]: 50 } })).status).toBe(200);
    suspended(await redact(bob, roomId, second));
    const r1 = await redact(bob, roomId, own, { reason: 'cleanup' });
    expect(r1.status, JSON.stringify(r1.body)).toBe(200);
    expectSpec('PUT /_matrix/client/v3/rooms/{roomId}/redact/{eventId}/{txnId}', 200, r1.body);
    expect((await putModeration(await registerAdmin(), 'suspend', bob.userId, { suspended: false })).status).toBe(200);
    const mine = await sendOk(bob, roomId, { msgtype: 'm.text', body: 'second' });
    expect((await putModeration(await registerAdmin(), 'suspend', bob.userId, { suspended: true })).status).toBe(200);
    const r2 = await send(bob, roomId, { redacts: mine }, 'm.room.redaction');
    expect(r2.status, JSON.stringify(r2.body)).toBe(200);
    expectSpec('PUT /_matrix/client/v3/rooms/{roomId}/send/{eventType}/{txnId}', 200, r2.body);
  });

  it('can leave rooms (also through the state API) and reject invites', async () => {
    const { alice, bob, roomId } = await setup();
    const invited = await createRoom(alice, { invite: [bob.userId] });
    const reject = await leave(bob, invited);
    expect(reject.status, JSON.stringify(reject.body)).toBe(200);
    expectSpec('POST /_matrix/client/v3/rooms/{roomId}/leave', 200, reject.body);
    // Leaving for oneself is allowed; kicking another through the same API is not.
    suspended(await putState(bob, roomId, 'm.room.member', { membership: 'leave' }, alice.userId));
    const out = await putState(bob, roomId, 'm.room.member', { membership: 'leave' }, bob.userId);
    expect(out.status, JSON.stringify(out.body)).toBe(200);
    const state = await getState(alice, roomId, 'm.room.member', bob.userId);
    expect(state.body.membership).toBe('leave');
  });

  it('keeps managing its account: account data, devices, keys, new sessions (suspended too), logout', async () => {
    const { bob, roomId } = await setup();
    expect((await call('PUT', v3(`/user/${enc(bob.userId)}/account_data/m.example`), { token: bob.token, body: { a: 1 } })).status).toBe(200);
    expect((await call('POST', v3('/keys/upload'), { token: bob.token, body: { one_time_keys: {} } })).status).toBe(200);
    expect((await call('GET', v3('/devices'), { token: bob.token })).status).toBe(200);
    const again = await login(bob);
    expect(again.status, JSON.stringify(again.body)).toBe(200);
    suspended(await send({ ...bob, token: again.body.access_token }, roomId));
    expect((await call('POST', v3('/logout'), { token: again.body.access_token, body: {} })).status).toBe(200);
  });

  it('can act again as soon as it is unsuspended', async () => {
    const { admin, bob, roomId } = await setup();
    suspended(await send(bob, roomId));
    expect((await putModeration(admin, 'suspend', bob.userId, { suspended: false })).status).toBe(200);
    expect((await send(bob, roomId)).status).toBe(200);
  });
});

describe('a locked account', () => {
  async function lockedUser(): Promise<{ admin: TestUser; bob: TestUser & { refreshToken?: string } }> {
    const admin = await registerAdmin();
    const bob = await registerUser({ refresh: true });
    expect((await whoami(bob)).status).toBe(200);
    expect((await putModeration(admin, 'lock', bob.userId, { locked: true })).status).toBe(200);
    return { admin, bob };
  }

  it('gets 401 M_USER_LOCKED with soft_logout everywhere: reads, writes, /sync, sliding sync', async () => {
    const { bob } = await lockedUser();
    locked(await whoami(bob));
    locked(await call('GET', v3('/sync'), { token: bob.token }));
    locked(await call('POST', '/_matrix/client/unstable/org.matrix.simplified_msc3575/sync', { token: bob.token, body: {} }));
    locked(await call('GET', v3('/capabilities'), { token: bob.token }));
    locked(await call('POST', v3('/createRoom'), { token: bob.token, body: {} }));
    locked(await call('GET', v3(`/user/${enc(bob.userId)}/account_data/m.example`), { token: bob.token }));
    locked(await call('GET', v1('/mutual_rooms?user_id=%40a%3Ab'), { token: bob.token }));
    locked(await call('GET', '/_matrix/client/v1/media/config', { token: bob.token }));
  });

  it('cannot obtain a new access token: login and refresh are refused', async () => {
    const { bob } = await lockedUser();
    locked(await login(bob));
    locked(await call('POST', v3('/refresh'), { body: { refresh_token: bob.refreshToken } }));
  });

  it('keeps its tokens: unlocked, the same token works again', async () => {
    const { admin, bob } = await lockedUser();
    locked(await whoami(bob));
    expect((await putModeration(admin, 'lock', bob.userId, { locked: false })).status).toBe(200);
    const w = await whoami(bob);
    expect(w.status, JSON.stringify(w.body)).toBe(200);
    expect(w.body.user_id).toBe(bob.userId);
  });

  it('may log out, one session or all', async () => {
    const { bob } = await lockedUser();
    const out = await call('POST', v3('/logout'), { token: bob.token, body: {} });
    expect(out.status, JSON.stringify(out.body)).toBe(200);
    expectSpec('POST /_matrix/client/v3/logout', 200, out.body);
    expect((await whoami(bob)).body.errcode).toBe('M_UNKNOWN_TOKEN');

    const { admin, bob: carol } = await lockedUser();
    expect((await putModeration(admin, 'lock', carol.userId, { locked: false })).status).toBe(200);
    const second = await login(carol);
    expect(second.status).toBe(200);
    expect((await putModeration(admin, 'lock', carol.userId, { locked: true })).status).toBe(200);
    const all = await call('POST', v3('/logout/all'), { token: second.body.access_token, body: {} });
    expect(all.status, JSON.stringify(all.body)).toBe(200);
    expectSpec('POST /_matrix/client/v3/logout/all', 200, all.body);
    expect((await whoami(carol)).body.errcode).toBe('M_UNKNOWN_TOKEN');
  });
});
