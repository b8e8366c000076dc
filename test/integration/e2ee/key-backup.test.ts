// Server-side key backups (spec: "Server-side key backups"): /room_keys/version and /room_keys/keys.
import { describe, expect, it } from 'vitest';
import { call, registerUser, type TestUser } from '../helpers/client';
import { expectSpec } from '../helpers/spec';
import type { Json } from './helpers';

const ALGORITHM = 'm.megolm_backup.v1.curve25519-aes-sha2';
const V = '/_matrix/client/v3/room_keys/version';
const K = '/_matrix/client/v3/room_keys/keys';
const ROOM = '!backup:test.local';
const enc = encodeURIComponent;

const key = (fmi: number, fwd: number, verified: boolean, tag = 'x'): Json => ({
  first_message_index: fmi,
  forwarded_count: fwd,
  is_verified: verified,
  session_data: { ephemeral: 'e', ciphertext: tag, mac: 'm' },
});

async function createVersion(user: TestUser, authData: Json = { public_key: 'abc' }): Promise<string> {
  const r = await call('POST', V, { token: user.token, body: { algorithm: ALGORITHM, auth_data: authData } });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  expectSpec('POST /_matrix/client/v3/room_keys/version', 200, r.body);
  return r.body.version;
}

const putSession = (user: TestUser, version: string, session: string, data: Json, room = ROOM) =>
  call('PUT', `${K}/${enc(room)}/${enc(session)}?version=${version}`, { token: user.token, body: data });

describe('/room_keys/version', () => {
  it('creates versions, reads the latest and a given one, updates auth_data only, deletes', async () => {
    const alice = await registerUser();
    const none = await call('GET', V, { token: alice.token });
    expect(none.status).toBe(404);
    expect(none.body.errcode).toBe('M_NOT_FOUND');

    const v1 = await createVersion(alice, { public_key: 'one' });
    const v2 = await createVersion(alice, { public_key: 'two' });
    expect(Number(v2)).toBeGreaterThan(Number(v1));

    const latest = await call('GET', V, { token: alice.token });
    expect(latest.status).toBe(200);
    expectSpec('GET /_matrix/client/v3/room_keys/version', 200, latest.body);
    expect(latest.body).toEqual({ algorithm: ALGORITHM, auth_data: { public_key: 'two' }, count: 0, etag: '0', version: v2 });
    const first = await call('GET', `${V}/${v1}`, { token: alice.token });
    expectSpec('GET /_matrix/client/v3/room_keys/version/{version}', 200, first.body);
    expect(first.body.auth_data).toEqual({ public_key: 'one' });

    const updated = await call('PUT', `${V}/${v2}`, { token: alice.token, body: { algorithm: ALGORITHM, auth_data: { public_key: 'two', signatures: {} }, version: v2 } });
    expect(updated.status).toBe(200);
    expect(updated.body).toEqual({});
    expect((await call('GET', V, { token: alice.token })).body.auth_data).toEqual({ public_key: 'two', signatures: {} });

    const otherAlgorithm = await call('PUT', `${V}/${v2}`, { token: alice.token, body: { algorithm: 'org.example.other', auth_data: {} } });
    expect(otherAlgorithm.status).toBe(400);
    expect(otherAlgorithm.body.errcode).toBe('M_INVALID_PARAM');
    const otherVersion = await call('PUT', `${V}/${v2}`, { token: alice.token, body: { algorithm: ALGORITHM, auth_data: {}, version: v1 } });
    expect(otherVersion.status).toBe(400);
    expect(otherVersion.body.errcode).toBe('M_INVALID_PARAM');

    expect((await call('DELETE', `${V}/${v2}`, { token: alice.token })).status).toBe(200);
    expect((await call('DELETE', `${V}/${v2}`, { token: alice.token })).status).toBe(200); // already deleted: still fine
    expect((await call('GET', `${V}/${v2}`, { token: alice.token })).status).toBe(404);
    expect((await call('GET', V, { token: alice.token })).body.version).toBe(v1);
    // A new version is numbered after the deleted one.
    expect(Number(await createVersion(alice))).toBeGreaterThan(Number(v2));

    for (const missing of ['999', 'abc']) {
      for (const method of ['GET', 'DELETE']) {
        const r = await call(method, `${V}/${missing}`, { token: alice.token });
        expect(r.status, `${method} ${missing}`).toBe(404);
        expect(r.body.errcode).toBe('M_NOT_FOUND');
      }
      expect((await call('PUT', `${V}/${missing}`, { token: alice.token, body: { algorithm: ALGORITHM, auth_data: {} } })).status).toBe(404);
    }
  });

  it('refuses bad bodies and keeps backups per user', async () => {
    const alice = await registerUser();
    const bob = await registerUser();
    for (const bad of [{}, { algorithm: ALGORITHM }, { algorithm: ALGORITHM, auth_data: 'x' }, { algorithm: 7, auth_data: {} }]) {
      const r = await call('POST', V, { token: alice.token, body: bad });
      expect(r.status, JSON.stringify(bad)).toBe(400);
      expect(r.body.errcode).toBe('M_BAD_JSON');
    }
    const v = await createVersion(alice);
    expect((await call('GET', `${V}/${v}`, { token: bob.token })).status).toBe(404);
    expect((await call('GET', V, { token: bob.token })).status).toBe(404);
  });
});

describe('/room_keys/keys', () => {
  it('stores and reads keys for all rooms, one room and one session, with etag and count', async () => {
    const alice = await registerUser();
    const version = await createVersion(alice);
    const all = await call('PUT', `${K}?version=${version}`, {
      token: alice.token,
      body: { rooms: { [ROOM]: { sessions: { s1: key(0, 0, false), s2: key(1, 0, true) } }, '!other:test.local': { sessions: { s3: key(0, 1, false) } } } },
    });
    expect(all.status, JSON.stringify(all.body)).toBe(200);
    expectSpec('PUT /_matrix/client/v3/room_keys/keys', 200, all.body);
    expect(all.body).toEqual({ etag: '1', count: 3 });

    const room = await call('PUT', `${K}/${enc(ROOM)}?version=${version}`, { token: alice.token, body: { sessions: { s4: key(0, 0, false) } } });
    expectSpec('PUT /_matrix/client/v3/room_keys/keys/{roomId}', 200, room.body);
    expect(room.body).toEqual({ etag: '2', count: 4 });
    const one = await putSession(alice, version, 's5', key(0, 0, false));
    expectSpec('PUT /_matrix/client/v3/room_keys/keys/{roomId}/{sessionId}', 200, one.body);
    expect(one.body).toEqual({ etag: '3', count: 5 });

    const everything = await call('GET', `${K}?version=${version}`, { token: alice.token });
    expectSpec('GET /_matrix/client/v3/room_keys/keys', 200, everything.body);
    expect(Object.keys(everything.body.rooms[ROOM].sessions).sort()).toEqual(['s1', 's2', 's4', 's5']);
    expect(everything.body.rooms['!other:test.local'].sessions.s3).toEqual(key(0, 1, false));
    const byRoom = await call('GET', `${K}/${enc(ROOM)}?version=${version}`, { token: alice.token });
    expectSpec('GET /_matrix/client/v3/room_keys/keys/{roomId}', 200, byRoom.body);
    expect(byRoom.body.sessions.s2).toEqual(key(1, 0, true));
    const bySession = await call('GET', `${K}/${enc(ROOM)}/s2?version=${version}`, { token: alice.token });
    expectSpec('GET /_matrix/client/v3/room_keys/keys/{roomId}/{sessionId}', 200, bySession.body);
    expect(bySession.body).toEqual(key(1, 0, true));

    const info = await call('GET', V, { token: alice.token });
    expect(info.body).toMatchObject({ count: 5, etag: '3' });

    // Nothing stored: empty results, a 404 for one session.
    expect((await call('GET', `${K}/${enc('!empty:test.local')}?version=${version}`, { token: alice.token })).body).toEqual({ sessions: {} });
    const missing = await call('GET', `${K}/${enc(ROOM)}/nope?version=${version}`, { token: alice.token });
    expect(missing.status).toBe(404);
    expect(missing.body.errcode).toBe('M_NOT_FOUND');
  });

  it('replaces a stored session key only by a better one: verified, then lower first index, then fewer forwards', async () => {
    const alice = await registerUser();
    const version = await createVersion(alice);
    const stored = async () => (await call('GET', `${K}/${enc(ROOM)}/s?version=${version}`, { token: alice.token })).body;

    await putSession(alice, version, 's', key(5, 2, false, 'a'));
    // Same metadata, other data: the stored key stays and the etag does not move.
    expect((await putSession(alice, version, 's', key(5, 2, false, 'b'))).body).toEqual({ etag: '1', count: 1 });
    expect((await stored()).session_data.ciphertext).toBe('a');
    expect((await putSession(alice, version, 's', key(5, 3, false, 'b'))).body.etag).toBe('1');
    expect((await putSession(alice, version, 's', key(5, 1, false, 'c'))).body.etag).toBe('2');
    expect((await stored()).session_data.ciphertext).toBe('c');
    expect((await putSession(alice, version, 's', key(6, 0, false, 'd'))).body.etag).toBe('2');
    expect((await putSession(alice, version, 's', key(4, 9, false, 'e'))).body.etag).toBe('3');
    expect((await stored()).session_data.ciphertext).toBe('e');
    // A verified key beats an unverified one whatever its index, and is not replaced by an unverified one.
    expect((await putSession(alice, version, 's', key(10, 10, true, 'f'))).body.etag).toBe('4');
    expect((await putSession(alice, version, 's', key(0, 0, false, 'g'))).body.etag).toBe('4');
    expect(await stored()).toEqual(key(10, 10, true, 'f'));
  });

  it('refuses writes to a version that is not the current one, and unknown versions', async () => {
    const alice = await registerUser();
    const old = await createVersion(alice);
    const current = await createVersion(alice);
    const r = await putSession(alice, old, 's', key(0, 0, false));
    expect(r.status).toBe(403);
    expect(r.body).toMatchObject({ errcode: 'M_WRONG_ROOM_KEYS_VERSION', current_version: current });
    for (const missing of ['999', 'abc']) {
      const unknown = await putSession(alice, missing, 's', key(0, 0, false));
      expect(unknown.status).toBe(404);
      expect(unknown.body.errcode).toBe('M_NOT_FOUND');
      expect((await call('GET', `${K}?version=${missing}`, { token: alice.token })).status).toBe(404);
    }
    const noVersion = await call('PUT', `${K}/${enc(ROOM)}/s`, { token: alice.token, body: key(0, 0, false) });
    expect(noVersion.status).toBe(400);
    expect(noVersion.body.errcode).toBe('M_MISSING_PARAM');
    for (const bad of [{ ...key(0, 0, false), is_verified: 'yes' }, { ...key(0, 0, false), first_message_index: -1 }, { first_message_index: 0 }]) {
      const r2 = await putSession(alice, current, 's', bad);
      expect(r2.status, JSON.stringify(bad)).toBe(400);
      expect(r2.body.errcode).toBe('M_BAD_JSON');
    }
    const badRoom = await call('PUT', `${K}?version=${current}`, { token: alice.token, body: { rooms: { 'not-a-room': { sessions: {} } } } });
    expect(badRoom.status).toBe(400);
  });

  it('deletes keys per session, per room and all, moving the etag', async () => {
    const alice = await registerUser();
    const version = await createVersion(alice);
    await call('PUT', `${K}?version=${version}`, {
      token: alice.token,
      body: { rooms: { [ROOM]: { sessions: { a: key(0, 0, false), b: key(0, 0, false) } }, '!two:test.local': { sessions: { c: key(0, 0, false) } } } },
    });
    const one = await call('DELETE', `${K}/${enc(ROOM)}/a?version=${version}`, { token: alice.token });
    expectSpec('DELETE /_matrix/client/v3/room_keys/keys/{roomId}/{sessionId}', 200, one.body);
    expect(one.body).toEqual({ etag: '2', count: 2 });
    const room = await call('DELETE', `${K}/${enc(ROOM)}?version=${version}`, { token: alice.token });
    expectSpec('DELETE /_matrix/client/v3/room_keys/keys/{roomId}', 200, room.body);
    expect(room.body).toEqual({ etag: '3', count: 1 });
    const all = await call('DELETE', `${K}?version=${version}`, { token: alice.token });
    expectSpec('DELETE /_matrix/client/v3/room_keys/keys', 200, all.body);
    expect(all.body).toEqual({ etag: '4', count: 0 });
    expect((await call('GET', `${K}?version=${version}`, { token: alice.token })).body).toEqual({ rooms: {} });
    expect((await call('DELETE', `${K}?version=999`, { token: alice.token })).status).toBe(404);

    // Deleting a version deletes its keys.
    await putSession(alice, version, 'z', key(0, 0, false));
    await call('DELETE', `${V}/${version}`, { token: alice.token });
    expect((await call('GET', `${K}?version=${version}`, { token: alice.token })).status).toBe(404);
  });
});
