// Per-user rate limits on sending events, joining and receiving invites: 429 M_LIMIT_EXCEEDED with
// a retry_after_ms after which the request goes through, admins exempt, all off with RATE_LIMITS=off.
// The integration project runs with generous limits; these tests tighten them per request (`vars`).
// A bucket keeps the rate it was created with, so each limited user meets only the tight rate.
import { env } from 'cloudflare:test';
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import type { Env } from '../../src/config';
import { httpDb } from '../../src/db/client';
import { users } from '../../src/db/schema';
import { call, registerUser, type Reply, type TestUser } from './helpers/client';
import { createRoom, enc, nextTxn, roomPath, v3 } from './helpers/rooms';
import { expectSpec } from './helpers/spec';

/** One request, then one every five seconds: slow enough that requests here never outpace it. */
const TIGHT = '0.2/1';
const TIGHT_WAIT_MS = 5000;

const sendAs = (user: TestUser, roomId: string, vars: Partial<Env>) =>
  call('PUT', roomPath(roomId, `/send/m.room.message/${nextTxn()}`), { token: user.token, body: { msgtype: 'm.text', body: 'hi' }, vars });
const joinAs = (user: TestUser, roomId: string, vars: Partial<Env> = {}) => call('POST', v3(`/join/${enc(roomId)}`), { token: user.token, body: {}, vars });
const inviteAs = (user: TestUser, roomId: string, target: string, vars: Partial<Env> = {}) =>
  call('POST', roomPath(roomId, '/invite'), { token: user.token, body: { user_id: target }, vars });

function expectLimited(r: Reply, operation: string, maxWaitMs: number): number {
  expect(r.status, JSON.stringify(r.body)).toBe(429);
  // Every rate-limited endpoint shares the spec's rate_limited error schema.
  expectSpec(operation, 429, r.body);
  expect(r.body.errcode).toBe('M_LIMIT_EXCEEDED');
  expect(r.body.retry_after_ms).toBeGreaterThan(0);
  expect(r.body.retry_after_ms).toBeLessThanOrEqual(maxWaitMs);
  expect(Number(r.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
  return r.body.retry_after_ms;
}
const JOIN_OP = 'POST /_matrix/client/v3/join/{roomIdOrAlias}';
const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function publicRoom(): Promise<string> {
  return createRoom(await registerUser(), { preset: 'public_chat' });
}

describe('message rate limits', () => {
  it('refuse the message past the burst, then let it through after retry_after_ms', async () => {
    const vars = { RATE_LIMIT_MESSAGES: TIGHT };
    const user = await registerUser();
    const roomId = await publicRoom();
    expect((await joinAs(user, roomId)).status).toBe(200);
    expect((await sendAs(user, roomId, vars)).status).toBe(200);
    const retry = expectLimited(await sendAs(user, roomId, vars), JOIN_OP, TIGHT_WAIT_MS);
    await wait(retry);
    expect((await sendAs(user, roomId, vars)).status).toBe(200);
    // Another user's bucket is their own.
    const other = await registerUser();
    expect((await joinAs(other, roomId)).status).toBe(200);
    expect((await sendAs(other, roomId, vars)).status).toBe(200);
  });

  it('count state events, redactions and room creation in the same bucket', async () => {
    const vars = { RATE_LIMIT_MESSAGES: '0.2/3' };
    const user = await registerUser();
    const created = await call('POST', v3('/createRoom'), { token: user.token, body: {}, vars });
    expect(created.status).toBe(200);
    const roomId = created.body.room_id;
    const sent = await sendAs(user, roomId, vars);
    expect(sent.status).toBe(200);
    const state = await call('PUT', roomPath(roomId, '/state/m.room.topic'), { token: user.token, body: { topic: 't' }, vars });
    expect(state.status).toBe(200);
    const redact = await call('PUT', roomPath(roomId, `/redact/${enc(sent.body.event_id)}/${nextTxn()}`), { token: user.token, body: {}, vars });
    expectLimited(redact, JOIN_OP, TIGHT_WAIT_MS);
    const create = await call('POST', v3('/createRoom'), { token: user.token, body: {}, vars });
    expectLimited(create, JOIN_OP, TIGHT_WAIT_MS);
  });
});

describe('join rate limits', () => {
  it('refuse joins past the burst until retry_after_ms has passed', async () => {
    const vars = { RATE_LIMIT_JOINS: TIGHT };
    const user = await registerUser();
    const rooms = [await publicRoom(), await publicRoom()];
    expect((await joinAs(user, rooms[0], vars)).status).toBe(200);
    // Both join endpoints take from the same bucket.
    const viaRoomPath = await call('POST', roomPath(rooms[1], '/join'), { token: user.token, body: {}, vars });
    const retry = expectLimited(viaRoomPath, 'POST /_matrix/client/v3/rooms/{roomId}/join', TIGHT_WAIT_MS);
    // Refused, not joined.
    const joined = await call('GET', v3('/joined_rooms'), { token: user.token });
    expect(joined.body.joined_rooms).not.toContain(rooms[1]);
    await wait(retry);
    expect((await joinAs(user, rooms[1], vars)).status).toBe(200);
  });
});

describe('invite rate limits', () => {
  it('limit the invites one user receives, whoever sends them', async () => {
    const vars = { RATE_LIMIT_INVITES: TIGHT };
    const target = await registerUser();
    const [a, b] = [await registerUser(), await registerUser()];
    const [roomA, roomB] = [await createRoom(a), await createRoom(b)];
    expect((await inviteAs(a, roomA, target.userId, vars)).status).toBe(200);
    const refused = await inviteAs(b, roomB, target.userId, vars);
    const retry = expectLimited(refused, 'POST /_matrix/client/v3/rooms/{roomId}/invite', TIGHT_WAIT_MS);
    // Someone else can still be invited.
    expect((await inviteAs(b, roomB, (await registerUser()).userId, vars)).status).toBe(200);
    await wait(retry);
    expect((await inviteAs(b, roomB, target.userId, vars)).status).toBe(200);
  });
});

describe('exemptions', () => {
  it('server admins are not limited', async () => {
    const vars = { RATE_LIMIT_MESSAGES: '0.01/1', RATE_LIMIT_JOINS: '0.01/1' };
    const admin = await registerUser();
    // Made admin before its first authenticated request, so no cached session predates it.
    await httpDb(env as unknown as Env).update(users).set({ admin: true }).where(eq(users.userId, admin.userId));
    const rooms = [await publicRoom(), await publicRoom(), await publicRoom()];
    for (const roomId of rooms) expect((await joinAs(admin, roomId, vars)).status).toBe(200);
    for (let i = 0; i < 4; i++) expect((await sendAs(admin, rooms[0], vars)).status).toBe(200);
  });

  it('RATE_LIMITS=off switches every limit off', async () => {
    const vars = { RATE_LIMITS: 'off', RATE_LIMIT_MESSAGES: '0.01/1', RATE_LIMIT_JOINS: '0.01/1', RATE_LIMIT_INVITES: '0.01/1' };
    const user = await registerUser();
    const rooms = [await publicRoom(), await publicRoom()];
    for (const roomId of rooms) expect((await joinAs(user, roomId, vars)).status).toBe(200);
    for (let i = 0; i < 4; i++) expect((await sendAs(user, rooms[0], vars)).status).toBe(200);
    const target = await registerUser();
    const own = [await createRoom(user), await createRoom(user)];
    for (const roomId of own) expect((await inviteAs(user, roomId, target.userId, vars)).status).toBe(200);
  });
});
