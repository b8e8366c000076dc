// PUT /sendToDevice (spec: "Send-to-Device messaging") and dehydrated devices (MSC3814).
// Delivery through /sync is /sync's to test; here the inbox is read from the database.
import { and, eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { toDevice } from '../../../src/db/schema';
import { call, login, registerUser, type TestUser } from '../helpers/client';
import { expectSpec } from '../helpers/spec';
import { claim, db, fallbackKey, makeDevice, oneTimeKeys, query, upload, type Json } from './helpers';

let txn = 0;
const send = (user: TestUser, messages: Json, type = 'm.room_key_request', txnId = `t${Date.now()}-${txn++}`) =>
  call('PUT', `/_matrix/client/v3/sendToDevice/${encodeURIComponent(type)}/${txnId}`, { token: user.token, body: { messages } });

async function inbox(user: TestUser, deviceId = user.deviceId) {
  return db()
    .select({ sender: toDevice.sender, type: toDevice.type, content: toDevice.content, pos: toDevice.streamPos })
    .from(toDevice)
    .where(and(eq(toDevice.userId, user.userId), eq(toDevice.deviceId, deviceId)))
    .orderBy(toDevice.streamPos);
}

async function secondDevice(user: TestUser): Promise<TestUser> {
  const r = await login(user);
  expect(r.status).toBe(200);
  return { ...user, token: r.body.access_token, deviceId: r.body.device_id };
}

describe('PUT /sendToDevice/{eventType}/{txnId}', () => {
  it('puts a message in the inbox of the named device, and of every device for *', async () => {
    const alice = await registerUser();
    const bob = await registerUser();
    const bob2 = await secondDevice(bob);
    const r = await send(alice, { [bob.userId]: { [bob.deviceId]: { n: 1 } } }, 'org.example.test');
    expect(r.status).toBe(200);
    expectSpec('PUT /_matrix/client/v3/sendToDevice/{eventType}/{txnId}', 200, r.body);
    expect((await inbox(bob)).map(({ pos: _p, ...m }) => m)).toEqual([{ sender: alice.userId, type: 'org.example.test', content: { n: 1 } }]);
    expect(await inbox(bob2)).toEqual([]);

    await send(alice, { [bob.userId]: { '*': { n: 2 } } }, 'org.example.test');
    expect((await inbox(bob)).map((m) => m.content)).toEqual([{ n: 1 }, { n: 2 }]);
    expect((await inbox(bob2)).map((m) => m.content)).toEqual([{ n: 2 }]);
    // Positions follow the order of sending.
    const [first, second] = await inbox(bob);
    expect(second.pos).toBeGreaterThan(first.pos);
  });

  it('sends a transaction once per device, however often it is retried', async () => {
    const alice = await registerUser();
    const alice2 = await secondDevice(alice);
    const bob = await registerUser();
    const message = { [bob.userId]: { [bob.deviceId]: { hello: true } } };
    const replies = await Promise.all([send(alice, message, 'm.x', 'same'), send(alice, message, 'm.x', 'same'), send(alice, message, 'm.x', 'same')]);
    for (const r of replies) expect(r.status).toBe(200);
    expect(await inbox(bob)).toHaveLength(1);
    // Another device's transaction with the same id is another transaction.
    expect((await send(alice2, message, 'm.x', 'same')).status).toBe(200);
    expect(await inbox(bob)).toHaveLength(2);
  });

  // Messages for other servers' users: test/integration/federation/to-device.test.ts.
  it('drops messages for unknown devices', async () => {
    const alice = await registerUser();
    const bob = await registerUser();
    const r = await send(alice, { [bob.userId]: { NOSUCHDEVICE: { a: 1 } } });
    expect(r.status).toBe(200);
    expect(await inbox(bob)).toEqual([]);
    expect(await inbox(bob, 'NOSUCHDEVICE')).toEqual([]);
  });

  it('refuses malformed, invalid and oversized messages', async () => {
    const alice = await registerUser();
    const bob = await registerUser();
    for (const body of [{}, { messages: { [bob.userId]: { [bob.deviceId]: 'text' } } }, { messages: { [bob.userId]: [] } }]) {
      const r = await call('PUT', '/_matrix/client/v3/sendToDevice/m.x/bad', { token: alice.token, body });
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.errcode).toBe('M_BAD_JSON');
    }
    const badUser = await send(alice, { 'not-a-user': { D: {} } });
    expect(badUser.status).toBe(400);
    expect(badUser.body.errcode).toBe('M_INVALID_PARAM');
    const big = await send(alice, { [bob.userId]: { [bob.deviceId]: { blob: 'x'.repeat(70_000) } } });
    expect(big.status).toBe(413);
    expect(big.body.errcode).toBe('M_TOO_LARGE');
    const nul = await send(alice, { [bob.userId]: { [bob.deviceId]: { s: 'a\u0000b' } } });
    expect(nul.status).toBe(400);
    expect(await inbox(bob)).toEqual([]);
    expect((await call('PUT', '/_matrix/client/v3/sendToDevice/m.x/t', { body: { messages: {} } })).status).toBe(401);
  });

  it("empties a deleted device's inbox", async () => {
    const alice = await registerUser();
    const bob = await registerUser();
    const bob2 = await secondDevice(bob);
    await send(alice, { [bob.userId]: { [bob2.deviceId]: { a: 1 } } });
    expect(await inbox(bob2)).toHaveLength(1);
    expect((await call('POST', '/_matrix/client/v3/logout', { token: bob2.token })).status).toBe(200);
    expect(await inbox(bob2)).toEqual([]);
  });
});

const DEHYDRATED = '/_matrix/client/unstable/org.matrix.msc3814.v1/dehydrated_device';

async function dehydratedBody(user: TestUser, deviceId: string) {
  const device = await makeDevice({ ...user, deviceId }, { dehydrated: true });
  return {
    device,
    body: {
      device_id: deviceId,
      device_data: { algorithm: 'org.matrix.msc3814.v2', device_pickle: 'opaque', nonce: 'n' },
      initial_device_display_name: 'Backup device',
      device_keys: device.keys,
      one_time_keys: await oneTimeKeys(device, 2),
      fallback_keys: await fallbackKey(device),
    },
  };
}

describe('dehydrated devices (MSC3814)', () => {
  it('stores a dehydrated device with its keys, and replaces it with the next one', async () => {
    const alice = await registerUser();
    const bob = await registerUser();
    const none = await call('GET', DEHYDRATED, { token: alice.token });
    expect(none.status).toBe(404);
    expect(none.body.errcode).toBe('M_NOT_FOUND');

    const { device, body } = await dehydratedBody(alice, 'DEHYDRATED1');
    const put = await call('PUT', DEHYDRATED, { token: alice.token, body });
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    expect(put.body).toEqual({ device_id: 'DEHYDRATED1' });
    expect((await call('GET', DEHYDRATED, { token: alice.token })).body).toEqual({ device_id: 'DEHYDRATED1', device_data: body.device_data });

    const keys = await query(bob, { [alice.userId]: ['DEHYDRATED1'] });
    expect(keys.body.device_keys[alice.userId].DEHYDRATED1).toEqual({ ...device.keys, unsigned: { device_display_name: 'Backup device' } });
    const claimed = await claim(bob, { [alice.userId]: { DEHYDRATED1: 'signed_curve25519' } });
    expect(Object.keys(claimed.body.one_time_keys[alice.userId].DEHYDRATED1)[0]).toMatch(/^signed_curve25519:AAAA/);

    const next = await dehydratedBody(alice, 'DEHYDRATED2');
    expect((await call('PUT', DEHYDRATED, { token: alice.token, body: next.body })).status).toBe(200);
    expect((await call('GET', DEHYDRATED, { token: alice.token })).body.device_id).toBe('DEHYDRATED2');
    const after = await query(bob, { [alice.userId]: [] });
    expect(Object.keys(after.body.device_keys[alice.userId]).sort()).toEqual(['DEHYDRATED2']);

    const del = await call('DELETE', DEHYDRATED, { token: alice.token });
    expect(del.body).toEqual({ device_id: 'DEHYDRATED2' });
    expect((await call('GET', DEHYDRATED, { token: alice.token })).status).toBe(404);
    expect((await call('DELETE', DEHYDRATED, { token: alice.token })).status).toBe(404);
    expect((await query(bob, { [alice.userId]: [] })).body.device_keys[alice.userId]).toEqual({});
  });

  it('refuses a dehydrated device without valid keys or taking an existing device id', async () => {
    const alice = await registerUser();
    const { body } = await dehydratedBody(alice, 'DEHYDRATED1');
    const refused = async (b: Json, errcode: string) => {
      const r = await call('PUT', DEHYDRATED, { token: alice.token, body: b });
      expect(r.status, JSON.stringify(r.body)).toBe(400);
      expect(r.body.errcode).toBe(errcode);
    };
    await refused({ ...body, device_keys: undefined }, 'M_BAD_JSON');
    await refused({ ...body, device_id: 'OTHER' }, 'M_BAD_JSON'); // the keys name DEHYDRATED1
    await refused({ ...body, device_data: { no: 'algorithm' } }, 'M_BAD_JSON');
    const taken = await dehydratedBody(alice, alice.deviceId);
    await refused(taken.body, 'M_INVALID_PARAM');
    expect((await call('GET', DEHYDRATED, { token: alice.token })).status).toBe(404);
    // The login device kept its (absent) keys.
    expect((await upload(alice, { device_keys: (await makeDevice(alice)).keys })).status).toBe(200);
  });

  it('hands the dehydrated device its to-device messages in batches, then drops what was read', async () => {
    const alice = await registerUser();
    const bob = await registerUser();
    const { body } = await dehydratedBody(alice, 'DEHYDRATED1');
    expect((await call('PUT', DEHYDRATED, { token: alice.token, body })).status).toBe(200);
    for (let i = 0; i < 3; i++) await send(bob, { [alice.userId]: { DEHYDRATED1: { i } } }, 'm.room.encrypted');

    const events = `${DEHYDRATED}/DEHYDRATED1/events`;
    const first = await call('POST', `${events}?limit=2`, { token: alice.token, body: {} });
    expect(first.status).toBe(200);
    expect(first.body.events).toEqual([0, 1].map((i) => ({ sender: bob.userId, type: 'm.room.encrypted', content: { i } })));
    const second = await call('POST', `${events}?limit=2`, { token: alice.token, body: { next_batch: first.body.next_batch } });
    expect(second.body.events.map((e: Json) => e.content.i)).toEqual([2]);
    const third = await call('GET', `${events}?from=${second.body.next_batch}`, { token: alice.token });
    expect(third.body).toEqual({ events: [] });
    expect(await inbox(alice, 'DEHYDRATED1')).toEqual([]);

    const wrong = await call('POST', `${DEHYDRATED}/${alice.deviceId}/events`, { token: alice.token, body: {} });
    expect(wrong.status).toBe(403);
    expect(wrong.body.errcode).toBe('M_FORBIDDEN');
    const badToken = await call('POST', events, { token: alice.token, body: { next_batch: 'garbage' } });
    expect(badToken.status).toBe(400);
    expect(badToken.body.errcode).toBe('M_INVALID_PARAM');
  });
});
