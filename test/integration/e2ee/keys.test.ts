// /keys/upload, /keys/query and /keys/claim (spec: "Key management API").
import { describe, expect, it } from 'vitest';
import { and, eq } from 'drizzle-orm';
import { claimKeys, keyCountReaders, oneTimeKeyCounts, unusedFallbackKeyTypes } from '../../../src/db/queries/key-management';
import { e2eKeyCountReaders, e2eOneTimeKeyFloors, e2eOneTimeKeys } from '../../../src/db/schema';
import { call, login, registerUser, type TestUser } from '../helpers/client';
import { expectSpec } from '../helpers/spec';
import { claim, db, fallbackKey, makeDevice, oneTimeKeys, query, randomKey, upload, uploadOk } from './helpers';

const UPLOAD = 'POST /_matrix/client/v3/keys/upload';
const QUERY = 'POST /_matrix/client/v3/keys/query';
const CLAIM = 'POST /_matrix/client/v3/keys/claim';

describe('POST /keys/upload', () => {
  it('stores self-signed device keys and answers with one-time key counts', async () => {
    const alice = await registerUser();
    const device = await makeDevice(alice);
    const body = await uploadOk(alice, { device_keys: device.keys });
    expectSpec(UPLOAD, 200, body);
    expect(body).toEqual({ one_time_key_counts: { signed_curve25519: 0 } });
  });

  it('refuses device keys of another user or device, badly shaped, or with a bad self-signature', async () => {
    const alice = await registerUser();
    const bob = await registerUser();
    const device = await makeDevice(alice);
    const refused = async (device_keys: unknown, errcode: string) => {
      const r = await upload(alice, { device_keys });
      expect(r.status, JSON.stringify(r.body)).toBe(400);
      expect(r.body.errcode).toBe(errcode);
    };
    await refused({ ...device.keys, user_id: bob.userId }, 'M_BAD_JSON');
    await refused({ ...device.keys, device_id: 'OTHERDEVICE' }, 'M_BAD_JSON');
    await refused({ ...device.keys, algorithms: 'm.megolm.v1.aes-sha2' }, 'M_BAD_JSON');
    await refused({ ...device.keys, keys: { [`ed25519:${alice.deviceId}`]: 42 } }, 'M_BAD_JSON');
    await refused({ ...device.keys, signatures: { [alice.userId]: 'sig' } }, 'M_BAD_JSON');
    await refused(null, 'M_BAD_JSON');
    // Signed by another key than the one it carries, or changed after signing.
    const other = await makeDevice(alice);
    await refused({ ...device.keys, signatures: other.keys.signatures }, 'M_INVALID_SIGNATURE');
    await refused({ ...device.keys, algorithms: ['m.olm.v1.curve25519-aes-sha2'] }, 'M_INVALID_SIGNATURE');
    const { [`ed25519:${alice.deviceId}`]: _ed, ...withoutEd25519 } = device.keys.keys;
    await refused({ ...device.keys, keys: withoutEd25519 }, 'M_BAD_JSON');
    // Nothing was stored.
    const q = await query(alice, { [alice.userId]: [] });
    expect(q.body.device_keys[alice.userId]).toEqual({});
  });

  it('accepts the same device keys again but refuses different ones for the same device', async () => {
    const alice = await registerUser();
    const first = await makeDevice(alice);
    await uploadOk(alice, { device_keys: first.keys });
    await uploadOk(alice, { device_keys: first.keys });
    const second = await makeDevice(alice);
    const r = await upload(alice, { device_keys: second.keys });
    expect(r.status).toBe(400);
    expect(r.body.errcode).toBe('M_INVALID_PARAM');
    const q = await query(alice, { [alice.userId]: [alice.deviceId] });
    expect(q.body.device_keys[alice.userId][alice.deviceId].keys).toEqual(first.keys.keys);
  });

  it('counts one-time keys per algorithm; the same key id again must be the same key', async () => {
    const alice = await registerUser();
    const device = await makeDevice(alice);
    const keys = await oneTimeKeys(device, 3);
    expect((await uploadOk(alice, { device_keys: device.keys, one_time_keys: keys })).one_time_key_counts).toEqual({ signed_curve25519: 3 });
    expect((await uploadOk(alice, { one_time_keys: keys })).one_time_key_counts).toEqual({ signed_curve25519: 3 });
    expect((await uploadOk(alice, { one_time_keys: { 'curve25519:X1': randomKey() } })).one_time_key_counts).toEqual({ signed_curve25519: 3, curve25519: 1 });

    const clash = await upload(alice, { one_time_keys: { 'signed_curve25519:AAAA0': { key: randomKey(), signatures: {} } } });
    expect(clash.status).toBe(400);
    expect(clash.body.errcode).toBe('M_INVALID_PARAM');
    for (const bad of [{ 'signed_curve25519:a:b': 'x' }, { nocolon: 'x' }, { 'signed_curve25519:Z': { key: 'x' } }, { 'signed_curve25519:Z': 7 }]) {
      const r = await upload(alice, { one_time_keys: bad });
      expect(r.status, JSON.stringify(bad)).toBe(400);
      expect(r.body.errcode).toBe('M_BAD_JSON');
    }
    expect(await oneTimeKeyCounts(db(), alice.userId, alice.deviceId)).toEqual({ signed_curve25519: 3, curve25519: 1 });
  });

  it('keeps one fallback key per algorithm, unused until claimed, replaced by a new one', async () => {
    const alice = await registerUser();
    const bob = await registerUser();
    const device = await makeDevice(alice);
    const two = { ...(await fallbackKey(device, 'F1')), ...(await fallbackKey(device, 'F2')) };
    const r = await upload(alice, { device_keys: device.keys, fallback_keys: two });
    expect(r.status).toBe(400);
    expect(r.body.errcode).toBe('M_INVALID_PARAM');

    const first = await fallbackKey(device, 'F1');
    await uploadOk(alice, { device_keys: device.keys, fallback_keys: first });
    expect(await unusedFallbackKeyTypes(db(), alice.userId, alice.deviceId)).toEqual(['signed_curve25519']);
    const claimed = await claim(bob, { [alice.userId]: { [alice.deviceId]: 'signed_curve25519' } });
    expect(claimed.body.one_time_keys[alice.userId][alice.deviceId]).toEqual(first);
    expect(await unusedFallbackKeyTypes(db(), alice.userId, alice.deviceId)).toEqual([]);
    // The same key again does not make it unused; a new key does.
    await uploadOk(alice, { fallback_keys: first });
    expect(await unusedFallbackKeyTypes(db(), alice.userId, alice.deviceId)).toEqual([]);
    const second = await fallbackKey(device, 'F2');
    await uploadOk(alice, { fallback_keys: second });
    expect(await unusedFallbackKeyTypes(db(), alice.userId, alice.deviceId)).toEqual(['signed_curve25519']);
    const again = await claim(bob, { [alice.userId]: { [alice.deviceId]: 'signed_curve25519' } });
    expect(again.body.one_time_keys[alice.userId][alice.deviceId]).toEqual(second);
  });

  it('needs an access token', async () => {
    const r = await call('POST', '/_matrix/client/v3/keys/upload', { body: {} });
    expect(r.status).toBe(401);
    expect(r.body.errcode).toBe('M_MISSING_TOKEN');
  });
});

describe('POST /keys/query', () => {
  it("returns every device's keys with its display name, for all or chosen devices", async () => {
    const alice = await registerUser();
    // A name that JSON must escape, written by Postgres into the answer (q.keysForQuery).
    const name = 'Alice "phone" \\ ✓\n';
    const second = await login(alice, { initial_device_display_name: name });
    const phone = { ...alice, token: second.body.access_token, deviceId: second.body.device_id };
    const laptop = await makeDevice(alice);
    const mobile = await makeDevice(phone);
    await uploadOk(alice, { device_keys: laptop.keys });
    await uploadOk(phone, { device_keys: mobile.keys });
    const bob = await registerUser();

    const all = await query(bob, { [alice.userId]: [] });
    expect(all.status).toBe(200);
    expectSpec(QUERY, 200, all.body);
    expect(all.body.device_keys[alice.userId]).toEqual({
      [alice.deviceId]: { ...laptop.keys, unsigned: {} },
      [phone.deviceId]: { ...mobile.keys, unsigned: { device_display_name: name } },
    });

    const one = await query(bob, { [alice.userId]: [phone.deviceId, 'NOSUCHDEVICE'] });
    expect(Object.keys(one.body.device_keys[alice.userId])).toEqual([phone.deviceId]);
  });

  it('answers for unknown and remote users without failing', async () => {
    const bob = await registerUser();
    const r = await query(bob, { '@nobody-here:test.local': [], '@carol:remote.example': [], 'not a user id': [] });
    expect(r.status).toBe(200);
    expectSpec(QUERY, 200, r.body);
    expect(r.body.device_keys).toEqual({ '@nobody-here:test.local': {} });
    expect(Object.keys(r.body.failures)).toEqual(['remote.example']);
  });

  it('refuses a malformed query', async () => {
    const bob = await registerUser();
    for (const bad of [{}, { device_keys: [] }, { device_keys: { [bob.userId]: 'DEVICE' } }, { device_keys: { [bob.userId]: [1] } }]) {
      const r = await call('POST', '/_matrix/client/v3/keys/query', { token: bob.token, body: bad });
      expect(r.status, JSON.stringify(bad)).toBe(400);
      expect(r.body.errcode).toBe('M_BAD_JSON');
    }
  });
});

describe('POST /keys/claim', () => {
  it('hands out one-time keys in upload order, each once, then the fallback key', async () => {
    const alice = await registerUser();
    const bob = await registerUser();
    const device = await makeDevice(alice);
    const early = await oneTimeKeys(device, 1, 'EARLY');
    await uploadOk(alice, { device_keys: device.keys, one_time_keys: early });
    const late = await oneTimeKeys(device, 1, 'LATE');
    const fallback = await fallbackKey(device);
    await uploadOk(alice, { one_time_keys: late, fallback_keys: fallback });

    const want = { [alice.userId]: { [alice.deviceId]: 'signed_curve25519' } };
    const r1 = await claim(bob, want);
    expect(r1.status).toBe(200);
    expectSpec(CLAIM, 200, r1.body);
    expect(r1.body.one_time_keys).toEqual({ [alice.userId]: { [alice.deviceId]: early } });
    expect((await claim(bob, want)).body.one_time_keys[alice.userId][alice.deviceId]).toEqual(late);
    expect(await oneTimeKeyCounts(db(), alice.userId, alice.deviceId)).toEqual({ signed_curve25519: 0 });
    expect((await claim(bob, want)).body.one_time_keys[alice.userId][alice.deviceId]).toEqual(fallback);
    expect((await claim(bob, want)).body.one_time_keys[alice.userId][alice.deviceId]).toEqual(fallback);
  });

  it('never hands out a key twice under ten concurrent claims for five keys, then gives the fallback key', async () => {
    const alice = await registerUser();
    const device = await makeDevice(alice);
    const keys = await oneTimeKeys(device, 5);
    const fallback = await fallbackKey(device);
    await uploadOk(alice, { device_keys: device.keys, one_time_keys: keys, fallback_keys: fallback });
    const claimers = await Promise.all(Array.from({ length: 3 }, () => registerUser()));

    const replies = await Promise.all(
      Array.from({ length: 10 }, (_, i) => claim(claimers[i % claimers.length], { [alice.userId]: { [alice.deviceId]: 'signed_curve25519' } })),
    );
    const got = replies.map((r) => {
      expect(r.status).toBe(200);
      const byId = r.body.one_time_keys[alice.userId][alice.deviceId];
      expect(Object.keys(byId)).toHaveLength(1);
      return Object.entries(byId)[0] as [string, unknown];
    });
    const oneTime = got.filter(([id]) => id in keys);
    const fallbacks = got.filter(([id]) => id in fallback);
    expect(new Set(oneTime.map(([id]) => id)).size).toBe(5);
    expect(oneTime).toHaveLength(5);
    expect(fallbacks).toHaveLength(5);
    for (const [id, key] of oneTime) expect(key).toEqual(keys[id]);
    expect(await oneTimeKeyCounts(db(), alice.userId, alice.deviceId)).toEqual({ signed_curve25519: 0 });
    expect(await unusedFallbackKeyTypes(db(), alice.userId, alice.deviceId)).toEqual([]);
  });

  it('holds in the database: concurrent claims on separate connections never share a key', async () => {
    const alice = await registerUser();
    const device = await makeDevice(alice);
    const keys = await oneTimeKeys(device, 5);
    await uploadOk(alice, { device_keys: device.keys, one_time_keys: keys, fallback_keys: await fallbackKey(device) });
    const wanted = { users: [alice.userId], devices: [alice.deviceId], algorithms: ['signed_curve25519'] };
    const results = await Promise.all(Array.from({ length: 10 }, () => claimKeys(db(), wanted)));
    // Each claim's answer is one_time_keys' JSON: one key of alice's device.
    const handed = results.map((json) => {
      const byDevice = (JSON.parse(json) as Record<string, Record<string, Record<string, unknown>>>)[alice.userId]!;
      expect(Object.keys(byDevice)).toEqual([alice.deviceId]);
      const entries = Object.entries(byDevice[alice.deviceId]!);
      expect(entries).toHaveLength(1);
      return entries[0]!;
    });
    const oneTime = handed.filter(([id]) => id in keys);
    expect(oneTime.map(([id]) => id).sort()).toEqual(Object.keys(keys).sort());
    for (const [id, key] of oneTime) expect(key).toEqual(keys[id]);
    const fallbacks = handed.filter(([id]) => !(id in keys));
    expect(fallbacks).toHaveLength(5);
    for (const [, key] of fallbacks) expect(key).toMatchObject({ fallback: true });
  });

  it('leaves out devices without keys, unknown devices and remote users (as failures)', async () => {
    const alice = await registerUser();
    const bob = await registerUser();
    await uploadOk(alice, { device_keys: (await makeDevice(alice)).keys });
    const r = await claim(bob, {
      [alice.userId]: { [alice.deviceId]: 'signed_curve25519', NOSUCHDEVICE: 'signed_curve25519' },
      '@carol:remote.example': { DEVICE: 'signed_curve25519' },
    });
    expect(r.status).toBe(200);
    expectSpec(CLAIM, 200, r.body);
    expect(r.body.one_time_keys).toEqual({});
    expect(Object.keys(r.body.failures)).toEqual(['remote.example']);
  });

  it('refuses a malformed claim', async () => {
    const bob = await registerUser();
    for (const bad of [{}, { one_time_keys: { [bob.userId]: ['signed_curve25519'] } }, { one_time_keys: { [bob.userId]: { D: 1 } } }]) {
      const r = await call('POST', '/_matrix/client/v3/keys/claim', { token: bob.token, body: bad });
      expect(r.status, JSON.stringify(bad)).toBe(400);
      expect(r.body.errcode).toBe('M_BAD_JSON');
    }
  });
});

describe('one-time key claims over many keys (the claim floor)', () => {
  const one = (json: string, user: TestUser): string | undefined => {
    const byDevice = (JSON.parse(json) as Record<string, Record<string, Record<string, unknown>>>)[user.userId];
    return byDevice && Object.keys(byDevice[user.deviceId]!)[0];
  };
  const wantedOf = (user: TestUser) => ({ users: [user.userId], devices: [user.deviceId], algorithms: ['signed_curve25519'] });
  const floorOf = async (user: TestUser) => {
    const [row] = await db().select().from(e2eOneTimeKeyFloors).where(and(eq(e2eOneTimeKeyFloors.userId, user.userId), eq(e2eOneTimeKeyFloors.deviceId, user.deviceId)));
    return row!.id;
  };
  const idsOf = async (user: TestUser) =>
    (await db().select({ id: e2eOneTimeKeys.id }).from(e2eOneTimeKeys).where(and(eq(e2eOneTimeKeys.userId, user.userId), eq(e2eOneTimeKeys.deviceId, user.deviceId)))).map((r) => r.id);

  it('hands out keys oldest first while the floor moves up past the claimed ones', async () => {
    const alice = await registerUser();
    const device = await makeDevice(alice);
    await uploadOk(alice, { device_keys: device.keys, one_time_keys: await oneTimeKeys(device, 150, 'K'), fallback_keys: await fallbackKey(device) });
    const firstFloor = await floorOf(alice);
    expect(firstFloor).toBe(Math.min(...(await idsOf(alice))));

    const handed: (string | undefined)[] = [];
    for (let i = 0; i < 100; i++) handed.push(one(await claimKeys(db(), wantedOf(alice)), alice));
    // Upload order is id order; the keys were named in upload order (K0 … K149).
    expect(handed).toEqual(Array.from({ length: 100 }, (_, i) => `signed_curve25519:K${i}`));
    const floor = await floorOf(alice);
    expect(floor).toBeGreaterThan(firstFloor);
    expect(floor).toBeLessThanOrEqual(Math.min(...(await idsOf(alice))));

    // Keys uploaded later come after the older ones left.
    await uploadOk(alice, { one_time_keys: await oneTimeKeys(device, 3, 'N') });
    const rest: (string | undefined)[] = [];
    for (let i = 0; i < 54; i++) rest.push(one(await claimKeys(db(), wantedOf(alice)), alice));
    expect(rest.slice(0, 50)).toEqual(Array.from({ length: 50 }, (_, i) => `signed_curve25519:K${100 + i}`));
    expect(rest.slice(50, 53)).toEqual(['signed_curve25519:N0', 'signed_curve25519:N1', 'signed_curve25519:N2']);
    expect(rest[53]).toBe('signed_curve25519:FB1');
    expect(await oneTimeKeyCounts(db(), alice.userId, alice.deviceId)).toEqual({ signed_curve25519: 0 });
  });

  it('gives a key left below the floor (by a failed claim) back at the next upload', async () => {
    const alice = await registerUser();
    const device = await makeDevice(alice);
    await uploadOk(alice, { device_keys: device.keys, one_time_keys: await oneTimeKeys(device, 3, 'A'), fallback_keys: await fallbackKey(device) });
    // As after a claim of A0 that failed while another claim took A1 and moved the floor to it.
    const ids = (await idsOf(alice)).sort((a, b) => a - b);
    await db().update(e2eOneTimeKeyFloors).set({ id: ids[1]! }).where(and(eq(e2eOneTimeKeyFloors.userId, alice.userId), eq(e2eOneTimeKeyFloors.deviceId, alice.deviceId)));

    expect(one(await claimKeys(db(), wantedOf(alice)), alice)).toBe('signed_curve25519:A1');
    expect(one(await claimKeys(db(), wantedOf(alice)), alice)).toBe('signed_curve25519:A2');
    expect(one(await claimKeys(db(), wantedOf(alice)), alice)).toBe('signed_curve25519:FB1');
    // A0 is still stored, and counted: the device's next upload makes it claimable again, first.
    expect(await oneTimeKeyCounts(db(), alice.userId, alice.deviceId)).toEqual({ signed_curve25519: 1 });
    await uploadOk(alice, { one_time_keys: await oneTimeKeys(device, 1, 'B') });
    expect(one(await claimKeys(db(), wantedOf(alice)), alice)).toBe('signed_curve25519:A0');
    expect(one(await claimKeys(db(), wantedOf(alice)), alice)).toBe('signed_curve25519:B0');
  });
});

describe('which objects a claim tells of new key counts', () => {
  it("names a device whose user's object read its counts lately, and no other", async () => {
    const alice = await registerUser();
    const bob = await registerUser();
    const device = await makeDevice(bob);
    await uploadOk(bob, { device_keys: device.keys, one_time_keys: await oneTimeKeys(device, 3) });
    const wanted = { users: [bob.userId], devices: [bob.deviceId] };
    const window = 120_000;
    // Bob has not synced: his object keeps no counts, nobody needs telling.
    expect(await keyCountReaders(db(), wanted, window)).toEqual(new Map());
    const r = await call('GET', '/_matrix/client/v3/sync?timeout=0', { token: bob.token });
    expect(r.status).toBe(200);
    expect(r.body.device_one_time_keys_count).toEqual({ signed_curve25519: 3 });
    expect(await keyCountReaders(db(), wanted, window)).toEqual(new Map([[bob.userId, [bob.deviceId]]]));
    expect(await keyCountReaders(db(), { users: [alice.userId], devices: [alice.deviceId] }, window)).toEqual(new Map());
    // A read older than the window is no longer trusted by the object either.
    await db().update(e2eKeyCountReaders).set({ readTs: Date.now() - 2 * window }).where(eq(e2eKeyCountReaders.userId, bob.userId));
    expect(await keyCountReaders(db(), wanted, window)).toEqual(new Map());
  });
});
