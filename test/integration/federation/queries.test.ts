// What other servers may ask us (spec: server-server "Querying for information", "Device
// Management", "End-to-End Encryption", "Published Room Directory", "Spaces"): aliases, profiles,
// device lists and keys of our users, one-time key claims, the published directory and spaces.
import { describe, expect, it } from 'vitest';
import { call, registerUser, SERVER_NAME, uniqueName } from '../helpers/client';
import { createRoom, putState } from '../helpers/rooms';
import { expectSpec } from '../helpers/spec';
import { makeCrossSigning, makeDevice, oneTimeKeys, uploadCrossSigning, uploadOk } from '../e2ee/helpers';
import { fakeServer, interceptFederation } from './fake-server';

interceptFederation();

const enc = encodeURIComponent;

describe('GET /_matrix/federation/v1/query/directory', () => {
  it('resolves our alias to the room and the servers in it', async () => {
    const remote = await fakeServer();
    const alice = await registerUser();
    const roomId = await createRoom(alice);
    const alias = `#${uniqueName('a')}:${SERVER_NAME}`;
    expect((await call('PUT', `/_matrix/client/v3/directory/room/${enc(alias)}`, { token: alice.token, body: { room_id: roomId } })).status).toBe(200);
    const r = await remote.request('GET', `/_matrix/federation/v1/query/directory?room_alias=${enc(alias)}`);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expectSpec('GET /_matrix/federation/v1/query/directory', 200, r.body);
    expect(r.body).toEqual({ room_id: roomId, servers: [SERVER_NAME] });
  });

  it('answers 404 for unknown aliases and aliases of other servers, 400 for bad input', async () => {
    const remote = await fakeServer();
    const unknown = await remote.request('GET', `/_matrix/federation/v1/query/directory?room_alias=${enc(`#nope${uniqueName()}:${SERVER_NAME}`)}`);
    expect(unknown.status).toBe(404);
    expect(unknown.body.errcode).toBe('M_NOT_FOUND');
    const theirs = await remote.request('GET', `/_matrix/federation/v1/query/directory?room_alias=${enc(`#x:${remote.name}`)}`);
    expect(theirs.status).toBe(404);
    const missing = await remote.request('GET', '/_matrix/federation/v1/query/directory');
    expect(missing.status).toBe(400);
    expect(missing.body.errcode).toBe('M_MISSING_PARAM');
    const bad = await remote.request('GET', '/_matrix/federation/v1/query/directory?room_alias=nocolon');
    expect(bad.status).toBe(400);
    expect(bad.body.errcode).toBe('M_INVALID_PARAM');
    const anonymous = await call('GET', `/_matrix/federation/v1/query/directory?room_alias=${enc(`#x:${SERVER_NAME}`)}`);
    expect(anonymous.status).toBe(401);
  });
});

describe('GET /_matrix/federation/v1/query/profile', () => {
  it('answers the whole profile, or one field', async () => {
    const remote = await fakeServer();
    const alice = await registerUser();
    await call('PUT', `/_matrix/client/v3/profile/${enc(alice.userId)}/displayname`, { token: alice.token, body: { displayname: 'Alice' } });
    await call('PUT', `/_matrix/client/v3/profile/${enc(alice.userId)}/m.tz`, { token: alice.token, body: { 'm.tz': 'Europe/Paris' } });
    const all = await remote.request('GET', `/_matrix/federation/v1/query/profile?user_id=${enc(alice.userId)}`);
    expect(all.status).toBe(200);
    expectSpec('GET /_matrix/federation/v1/query/profile', 200, all.body);
    expect(all.body).toEqual({ displayname: 'Alice', 'm.tz': 'Europe/Paris' });
    const one = await remote.request('GET', `/_matrix/federation/v1/query/profile?user_id=${enc(alice.userId)}&field=displayname`);
    expect(one.status).toBe(200);
    expectSpec('GET /_matrix/federation/v1/query/profile', 200, one.body);
    expect(one.body).toEqual({ displayname: 'Alice' });
  });

  it('answers 404 for unknown users and unset fields, 400 for other servers and bad ids', async () => {
    const remote = await fakeServer();
    const alice = await registerUser();
    const unset = await remote.request('GET', `/_matrix/federation/v1/query/profile?user_id=${enc(alice.userId)}&field=avatar_url`);
    expect(unset.status).toBe(404);
    expect(unset.body.errcode).toBe('M_NOT_FOUND');
    const nobody = await remote.request('GET', `/_matrix/federation/v1/query/profile?user_id=${enc(`@nobody${uniqueName()}:${SERVER_NAME}`)}`);
    expect(nobody.status).toBe(404);
    const theirs = await remote.request('GET', `/_matrix/federation/v1/query/profile?user_id=${enc(remote.user())}`);
    expect(theirs.status).toBe(400);
    const bad = await remote.request('GET', '/_matrix/federation/v1/query/profile?user_id=alice');
    expect(bad.status).toBe(400);
    expect(bad.body.errcode).toBe('M_INVALID_PARAM');
  });
});

describe('user devices and keys', () => {
  async function aliceWithKeys() {
    const alice = await registerUser();
    const device = await makeDevice(alice);
    await uploadOk(alice, { device_keys: device.keys, one_time_keys: await oneTimeKeys(device, 2) });
    const cs = await makeCrossSigning(alice);
    expect((await uploadCrossSigning(alice, cs.body)).status).toBe(200);
    return { alice, device, cs };
  }

  it('GET /user/devices lists every device with its keys, the stream id and the cross-signing keys', async () => {
    const remote = await fakeServer();
    const { alice, device, cs } = await aliceWithKeys();
    const r = await remote.request('GET', `/_matrix/federation/v1/user/devices/${enc(alice.userId)}`);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expectSpec('GET /_matrix/federation/v1/user/devices/{userId}', 200, r.body);
    expect(r.body.user_id).toBe(alice.userId);
    expect(r.body.stream_id).toBeGreaterThan(0);
    expect(r.body.devices).toEqual([{ device_id: alice.deviceId, keys: device.keys }]);
    expect(r.body.master_key).toEqual(cs.body.master_key);
    expect(r.body.self_signing_key).toEqual(cs.body.self_signing_key);
    expect(r.body.user_signing_key).toBeUndefined();

    // A new device moves the stream id on.
    const login = await call('POST', '/_matrix/client/v3/login', { body: { type: 'm.login.password', identifier: { type: 'm.id.user', user: alice.localpart }, password: alice.password } });
    expect(login.status).toBe(200);
    const after = await remote.request('GET', `/_matrix/federation/v1/user/devices/${enc(alice.userId)}`);
    expect(after.body.stream_id).toBeGreaterThan(r.body.stream_id);
    expect(after.body.devices.map((d: { device_id: string }) => d.device_id).sort()).toEqual([alice.deviceId, login.body.device_id].sort());
  });

  it('GET /user/devices refuses users of other servers', async () => {
    const remote = await fakeServer();
    const r = await remote.request('GET', `/_matrix/federation/v1/user/devices/${enc(remote.user())}`);
    expect(r.status).toBe(400);
    expect((await remote.request('GET', '/_matrix/federation/v1/user/devices/nobody')).status).toBe(400);
  });

  it('POST /user/keys/query answers for our users, without device names or user-signing keys', async () => {
    const remote = await fakeServer();
    const { alice, device, cs } = await aliceWithKeys();
    await call('PUT', `/_matrix/client/v3/devices/${alice.deviceId}`, { token: alice.token, body: { display_name: "Alice's phone" } });
    const r = await remote.request('POST', '/_matrix/federation/v1/user/keys/query', { body: { device_keys: { [alice.userId]: [], [remote.user()]: [] } } });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expectSpec('POST /_matrix/federation/v1/user/keys/query', 200, r.body);
    expect(r.body.device_keys).toEqual({ [alice.userId]: { [alice.deviceId]: device.keys } });
    expect(r.body.master_keys).toEqual({ [alice.userId]: cs.body.master_key });
    expect(r.body.self_signing_keys).toEqual({ [alice.userId]: cs.body.self_signing_key });
    expect(r.body.user_signing_keys).toBeUndefined();
    const bad = await remote.request('POST', '/_matrix/federation/v1/user/keys/query', { body: { device_keys: [] } });
    expect(bad.status).toBe(400);
    expect(bad.body.errcode).toBe('M_BAD_JSON');
  });

  it('POST /user/keys/claim hands out each one-time key once', async () => {
    const remote = await fakeServer();
    const { alice } = await aliceWithKeys();
    const claim = () => remote.request('POST', '/_matrix/federation/v1/user/keys/claim', { body: { one_time_keys: { [alice.userId]: { [alice.deviceId]: 'signed_curve25519' } } } });
    const first = await claim();
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    expectSpec('POST /_matrix/federation/v1/user/keys/claim', 200, first.body);
    const second = await claim();
    const third = await claim();
    const ids = [first, second].map((r) => Object.keys(r.body.one_time_keys[alice.userId][alice.deviceId])[0]);
    expect(new Set(ids).size).toBe(2);
    expect(third.body.one_time_keys).toEqual({});
    const bad = await remote.request('POST', '/_matrix/federation/v1/user/keys/claim', { body: { one_time_keys: { [alice.userId]: 'x' } } });
    expect(bad.status).toBe(400);
  });
});

describe('GET and POST /_matrix/federation/v1/publicRooms', () => {
  it('lists our published rooms, filtered by POST', async () => {
    const remote = await fakeServer();
    const alice = await registerUser();
    const name = uniqueName('Listed');
    const roomId = await createRoom(alice, { preset: 'public_chat', visibility: 'public', name });
    const get = await remote.request('GET', '/_matrix/federation/v1/publicRooms?limit=100');
    expect(get.status, JSON.stringify(get.body)).toBe(200);
    expectSpec('GET /_matrix/federation/v1/publicRooms', 200, get.body);
    const post = await remote.request('POST', '/_matrix/federation/v1/publicRooms', { body: { limit: 10, filter: { generic_search_term: name } } });
    expect(post.status).toBe(200);
    expectSpec('POST /_matrix/federation/v1/publicRooms', 200, post.body);
    expect(post.body.chunk.map((r: { room_id: string }) => r.room_id)).toEqual([roomId]);
    expect(post.body.chunk[0].name).toBe(name);
    const bad = await remote.request('GET', '/_matrix/federation/v1/publicRooms?limit=lots');
    expect(bad.status).toBe(400);
    expect(bad.body.errcode).toBe('M_INVALID_PARAM');
    const badPost = await remote.request('POST', '/_matrix/federation/v1/publicRooms', { body: { limit: 'ten' } });
    expect(badPost.status).toBe(400);
    expect(badPost.body.errcode).toBe('M_BAD_JSON');
  });
});

describe('GET /_matrix/federation/v1/hierarchy/{roomId}', () => {
  it("gives the space, the children the server may see, and the ids of those it may not", async () => {
    const remote = await fakeServer();
    const alice = await registerUser();
    const space = await createRoom(alice, { preset: 'public_chat', name: 'Space', creation_content: { type: 'm.space' } });
    const open = await createRoom(alice, { preset: 'public_chat', name: 'Open' });
    const secret = await createRoom(alice, { preset: 'private_chat', name: 'Secret' });
    const unknown = `!unknown${uniqueName()}:elsewhere.test`;
    for (const child of [open, secret, unknown]) expect((await putState(alice, space, 'm.space.child', { via: [SERVER_NAME] }, child)).status).toBe(200);
    const r = await remote.request('GET', `/_matrix/federation/v1/hierarchy/${enc(space)}`);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expectSpec('GET /_matrix/federation/v1/hierarchy/{roomId}', 200, r.body);
    expect(r.body.room.room_id).toBe(space);
    expect(r.body.room.children_state.map((c: { state_key: string }) => c.state_key).sort()).toEqual([open, secret, unknown].sort());
    expect(r.body.children.map((c: { room_id: string }) => c.room_id)).toEqual([open]);
    expect(r.body.children[0].name).toBe('Open');
    expect(r.body.inaccessible_children).toEqual([secret]);
  });

  it('answers 404 for rooms the server may not see and unknown rooms, 403 when the ACL bans it', async () => {
    const remote = await fakeServer();
    const alice = await registerUser();
    const secret = await createRoom(alice, { preset: 'private_chat' });
    const hidden = await remote.request('GET', `/_matrix/federation/v1/hierarchy/${enc(secret)}`);
    expect(hidden.status).toBe(404);
    expect(hidden.body.errcode).toBe('M_NOT_FOUND');
    const unknown = await remote.request('GET', `/_matrix/federation/v1/hierarchy/${enc(`!nope:${SERVER_NAME}`)}`);
    expect(unknown.status).toBe(404);
    const banned = await createRoom(alice, { preset: 'public_chat' });
    expect((await putState(alice, banned, 'm.room.server_acl', { allow: ['*'], deny: [remote.name] })).status).toBe(200);
    const acl = await remote.request('GET', `/_matrix/federation/v1/hierarchy/${enc(banned)}`);
    expect(acl.status).toBe(403);
    expect(acl.body.errcode).toBe('M_FORBIDDEN');
    const bad = await remote.request('GET', `/_matrix/federation/v1/hierarchy/${enc(banned)}?suggested_only=maybe`);
    expect(bad.status).toBe(400);
  });
});
