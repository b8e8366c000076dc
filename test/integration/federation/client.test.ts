// The client side of federation queries: what our users ask about other servers is asked of
// those servers (aliases, profiles, room directories, spaces, room summaries, device keys and
// one-time keys), their errors reach the client as Matrix errors, and unreachable servers are 502
// (or `failures` for keys).
import { afterEach, describe, expect, it } from 'vitest';
import { call, registerUser, SERVER_NAME, uniqueName, type TestUser } from '../helpers/client';
import { createRoom, putState, statePath } from '../helpers/rooms';
import { expectSpec } from '../helpers/spec';
import { makeCrossSigning, randomKey, uploadCrossSigning, uploadSignatures } from '../e2ee/helpers';
import { deviceKeys, fakeServer, interceptFederation, type FakeServer } from './fake-server';

interceptFederation();

const enc = encodeURIComponent;
const notFound = () => new Response(JSON.stringify({ errcode: 'M_NOT_FOUND', error: 'nope' }), { status: 404, headers: { 'content-type': 'application/json' } });
const both = (a: FakeServer, b: FakeServer) => ({ FEDERATION_RESOLVE: `${a.vars.FEDERATION_RESOLVE},${b.vars.FEDERATION_RESOLVE}` });

describe('room aliases of other servers', () => {
  it('GET /directory/room asks the alias server', async () => {
    const remote = await fakeServer();
    const alias = `#lobby:${remote.name}`;
    const roomId = `!lobby:${remote.name}`;
    remote.on('GET', '/_matrix/federation/v1/query/directory', (req) => {
      expect(req.url.searchParams.get('room_alias')).toBe(alias);
      return { room_id: roomId, servers: [remote.name, 'other.test', 'not a server'] };
    });
    const r = await call('GET', `/_matrix/client/v3/directory/room/${enc(alias)}`, { vars: remote.vars });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expectSpec('GET /_matrix/client/v3/directory/room/{roomAlias}', 200, r.body);
    expect(r.body).toEqual({ room_id: roomId, servers: [remote.name, 'other.test'] });
  });

  it("passes the remote's 404 on, and answers 502 for malformed answers and unreachable servers", async () => {
    const remote = await fakeServer();
    remote.on('GET', '/_matrix/federation/v1/query/directory', (req) => (req.url.searchParams.get('room_alias')!.startsWith('#gone') ? notFound() : { room_id: 42 }));
    const gone = await call('GET', `/_matrix/client/v3/directory/room/${enc(`#gone:${remote.name}`)}`, { vars: remote.vars });
    expect(gone.status).toBe(404);
    expect(gone.body.errcode).toBe('M_NOT_FOUND');
    const odd = await call('GET', `/_matrix/client/v3/directory/room/${enc(`#odd:${remote.name}`)}`, { vars: remote.vars });
    expect(odd.status).toBe(502);
    const unreachable = await call('GET', `/_matrix/client/v3/directory/room/${enc('#x:unlisted.test')}`, { vars: remote.vars });
    expect(unreachable.status).toBe(502);
    expect(unreachable.body.errcode).toBe('M_UNKNOWN');
  });

  it('POST /join with another server\'s alias joins through the servers the alias names', async () => {
    const remote = await fakeServer();
    const resident = await fakeServer();
    const alice = await registerUser();
    const roomId = `!joinable${uniqueName()}:${remote.name}`;
    remote.on('GET', '/_matrix/federation/v1/query/directory', () => ({ room_id: roomId, servers: [resident.name] }));
    resident.on('GET', /^\/_matrix\/federation\/v1\/make_join\//, () => notFound());
    remote.on('GET', /^\/_matrix\/federation\/v1\/make_join\//, () => notFound());
    const r = await call('POST', `/_matrix/client/v3/join/${enc(`#room:${remote.name}`)}`, { token: alice.token, body: {}, vars: both(remote, resident) });
    expect(r.status).toBe(404);
    const asked = resident.received.find((x) => x.url.pathname.startsWith('/_matrix/federation/v1/make_join/'));
    expect(asked?.url.pathname).toBe(`/_matrix/federation/v1/make_join/${enc(roomId)}/${enc(alice.userId)}`);
  });

  it('accepts a canonical alias of another server only when that server maps it to the room', async () => {
    const remote = await fakeServer();
    const alice = await registerUser();
    const roomId = await createRoom(alice);
    remote.on('GET', '/_matrix/federation/v1/query/directory', (req) =>
      req.url.searchParams.get('room_alias')!.startsWith('#ours') ? { room_id: roomId, servers: [remote.name] } : { room_id: `!other:${remote.name}`, servers: [] },
    );
    const put = (alias: string) => call('PUT', statePath(roomId, 'm.room.canonical_alias', ''), { token: alice.token, body: { alias }, vars: remote.vars });
    expect((await put(`#ours:${remote.name}`)).status).toBe(200);
    const wrong = await put(`#theirs:${remote.name}`);
    expect(wrong.status).toBe(400);
    expect(wrong.body.errcode).toBe('M_BAD_ALIAS');
  });
});

describe('profiles of other servers', () => {
  it('GET /profile/{userId} and /profile/{userId}/{keyName} ask the user\'s server', async () => {
    const remote = await fakeServer();
    const bob = remote.user('bob');
    remote.on('GET', '/_matrix/federation/v1/query/profile', (req) => {
      expect(req.url.searchParams.get('user_id')).toBe(bob);
      const all = { displayname: 'Bob', avatar_url: null, 'm.tz': 'Europe/Oslo' };
      const field = req.url.searchParams.get('field');
      return field === null ? all : { [field]: all[field as keyof typeof all] };
    });
    const all = await call('GET', `/_matrix/client/v3/profile/${enc(bob)}`, { vars: remote.vars });
    expect(all.status).toBe(200);
    expectSpec('GET /_matrix/client/v3/profile/{userId}', 200, all.body);
    expect(all.body).toEqual({ displayname: 'Bob', 'm.tz': 'Europe/Oslo' });
    const name = await call('GET', `/_matrix/client/v3/profile/${enc(bob)}/displayname`, { vars: remote.vars });
    expect(name.status).toBe(200);
    expectSpec('GET /_matrix/client/v3/profile/{userId}/{keyName}', 200, name.body);
    expect(name.body).toEqual({ displayname: 'Bob' });
    const avatar = await call('GET', `/_matrix/client/v3/profile/${enc(bob)}/avatar_url`, { vars: remote.vars });
    expect(avatar.status).toBe(404);
    expect(avatar.body.errcode).toBe('M_NOT_FOUND');
  });

  it('passes a refusal on and answers 502 for an unreachable server', async () => {
    const remote = await fakeServer();
    remote.on('GET', '/_matrix/federation/v1/query/profile', () => new Response(JSON.stringify({ errcode: 'M_FORBIDDEN', error: 'private' }), { status: 403 }));
    const refused = await call('GET', `/_matrix/client/v3/profile/${enc(remote.user())}`, { vars: remote.vars });
    expect(refused.status).toBe(403);
    expect(refused.body.errcode).toBe('M_FORBIDDEN');
    const down = await call('GET', `/_matrix/client/v3/profile/${enc('@x:unlisted.test')}`, { vars: remote.vars });
    expect(down.status).toBe(502);
  });
});

describe('room directories of other servers', () => {
  const chunk = (name: string) => ({ room_id: `!${name}:remote.test`, name, num_joined_members: 3, world_readable: false, guest_can_join: false, join_rule: 'public' });

  it('GET /publicRooms?server= asks with GET, POST with a filter asks with POST', async () => {
    const remote = await fakeServer();
    const alice = await registerUser();
    remote.on('GET', '/_matrix/federation/v1/publicRooms', (req) => {
      expect(req.url.searchParams.get('limit')).toBe('5');
      return { chunk: [chunk('one')], next_batch: 'n1', total_room_count_estimate: 7 };
    });
    remote.on('POST', '/_matrix/federation/v1/publicRooms', (req) => {
      expect(req.body).toMatchObject({ filter: { generic_search_term: 'two' } });
      return { chunk: [chunk('two')] };
    });
    const get = await call('GET', `/_matrix/client/v3/publicRooms?server=${remote.name}&limit=5`, { token: alice.token, vars: remote.vars });
    expect(get.status, JSON.stringify(get.body)).toBe(200);
    expectSpec('GET /_matrix/client/v3/publicRooms', 200, get.body);
    expect(get.body).toEqual({ chunk: [chunk('one')], next_batch: 'n1', total_room_count_estimate: 7 });
    const post = await call('POST', `/_matrix/client/v3/publicRooms?server=${remote.name}`, { token: alice.token, body: { filter: { generic_search_term: 'two' } }, vars: remote.vars });
    expect(post.status).toBe(200);
    expectSpec('POST /_matrix/client/v3/publicRooms', 200, post.body);
    expect(post.body.chunk).toEqual([chunk('two')]);
    const unauthenticated = await call('GET', `/_matrix/client/v3/publicRooms?server=${remote.name}`, { vars: remote.vars });
    expect(unauthenticated.status).toBe(401);
  });

  it('answers 502 for a malformed directory', async () => {
    const remote = await fakeServer();
    const alice = await registerUser();
    remote.on('GET', '/_matrix/federation/v1/publicRooms', () => ({ chunk: 'none' }));
    const r = await call('GET', `/_matrix/client/v3/publicRooms?server=${remote.name}`, { token: alice.token, vars: remote.vars });
    expect(r.status).toBe(502);
  });
});

describe('spaces with rooms of other servers', () => {
  const summary = (roomId: string, extra: Record<string, unknown> = {}) => ({ room_id: roomId, num_joined_members: 2, world_readable: false, guest_can_join: false, join_rule: 'public', children_state: [], ...extra });

  it('GET /hierarchy walks into remote children, asking the servers their via names', async () => {
    const remote = await fakeServer();
    const alice = await registerUser();
    const space = await createRoom(alice, { preset: 'public_chat', creation_content: { type: 'm.space' } });
    const subspace = `!sub${uniqueName()}:${remote.name}`;
    const leaf = `!leaf${uniqueName()}:${remote.name}`;
    const secret = `!secret${uniqueName()}:${remote.name}`;
    const child = (stateKey: string) => ({ type: 'm.space.child', state_key: stateKey, content: { via: [remote.name] }, sender: remote.user('admin'), origin_server_ts: 1 });
    remote.on('GET', /^\/_matrix\/federation\/v1\/hierarchy\//, (req) => {
      expect(decodeURIComponent(req.url.pathname.split('/').pop()!)).toBe(subspace);
      return {
        room: summary(subspace, { name: 'Sub', room_type: 'm.space', children_state: [child(leaf), child(secret)] }),
        children: [summary(leaf, { name: 'Leaf' })],
        inaccessible_children: [secret],
      };
    });
    expect((await putState(alice, space, 'm.space.child', { via: [remote.name] }, subspace)).status).toBe(200);
    const r = await call('GET', `/_matrix/client/v1/rooms/${enc(space)}/hierarchy`, { token: alice.token, vars: remote.vars });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expectSpec('GET /_matrix/client/v1/rooms/{roomId}/hierarchy', 200, r.body);
    expect(r.body.rooms.map((x: { room_id: string }) => x.room_id)).toEqual([space, subspace, leaf]);
    expect(r.body.rooms[1].name).toBe('Sub');
    expect(r.body.rooms[1].children_state).toHaveLength(2);
    // The leaf came with the subspace's answer: the server was asked once.
    expect(remote.received.filter((x) => x.url.pathname.includes('/hierarchy/'))).toHaveLength(1);
  });

  it('leaves out remote rooms the user may not see, and rooms no server knows', async () => {
    const remote = await fakeServer();
    const alice = await registerUser();
    const space = await createRoom(alice, { preset: 'public_chat', creation_content: { type: 'm.space' } });
    const invite = `!inv${uniqueName()}:${remote.name}`;
    const missing = `!missing${uniqueName()}:${remote.name}`;
    remote.on('GET', /^\/_matrix\/federation\/v1\/hierarchy\//, (req) =>
      decodeURIComponent(req.url.pathname.split('/').pop()!) === invite ? { room: summary(invite, { join_rule: 'invite' }), children: [], inaccessible_children: [] } : notFound(),
    );
    for (const c of [invite, missing]) expect((await putState(alice, space, 'm.space.child', { via: [remote.name] }, c)).status).toBe(200);
    const r = await call('GET', `/_matrix/client/v1/rooms/${enc(space)}/hierarchy`, { token: alice.token, vars: remote.vars });
    expect(r.status).toBe(200);
    expect(r.body.rooms.map((x: { room_id: string }) => x.room_id)).toEqual([space]);
  });

  it('GET /room_summary of a room this server is not in asks the servers in via', async () => {
    const remote = await fakeServer();
    const alice = await registerUser();
    const roomId = `!summary${uniqueName()}:elsewhere.test`;
    remote.on('GET', /^\/_matrix\/federation\/v1\/hierarchy\//, () => ({ room: summary(roomId, { name: 'Far away', room_version: '11' }), children: [], inaccessible_children: [] }));
    const r = await call('GET', `/_matrix/client/v1/room_summary/${enc(roomId)}?via=${remote.name}`, { token: alice.token, vars: remote.vars });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expectSpec('GET /_matrix/client/v1/room_summary/{roomIdOrAlias}', 200, r.body);
    expect(r.body).toMatchObject({ room_id: roomId, name: 'Far away', membership: 'leave' });
    expect(r.body.children_state).toBeUndefined();
    const nowhere = await call('GET', `/_matrix/client/v1/room_summary/${enc(`!none:${SERVER_NAME}`)}`, { token: alice.token, vars: remote.vars });
    expect(nowhere.status).toBe(404);
  });
});

describe('keys of other servers\' users', () => {
  let pending: (() => void)[] = [];
  afterEach(() => {
    for (const release of pending) release();
    pending = [];
  });

  it('POST /keys/query asks the users\' servers, keeps what concerns their own users, and lists failures', async () => {
    const remote = await fakeServer();
    const alice = await registerUser();
    const bob = remote.user('bob');
    const device = await deviceKeys(bob, 'BOBPHONE');
    const bobUser = { userId: bob, deviceId: 'BOBPHONE', token: '', localpart: 'bob', password: '' } as TestUser;
    const cs = await makeCrossSigning(bobUser);
    remote.on('POST', '/_matrix/federation/v1/user/keys/query', (req) => {
      expect(req.body).toEqual({ device_keys: { [bob]: [] } });
      return {
        device_keys: { [bob]: { BOBPHONE: device, FORGED: { ...device, device_id: 'OTHER' } }, [alice.userId]: { X: device } },
        master_keys: { [bob]: cs.body.master_key },
        self_signing_keys: { [bob]: cs.body.self_signing_key },
      };
    });
    const r = await call('POST', '/_matrix/client/v3/keys/query', { token: alice.token, body: { device_keys: { [bob]: [], '@x:unlisted.test': [] } }, vars: remote.vars });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expectSpec('POST /_matrix/client/v3/keys/query', 200, r.body);
    expect(r.body.device_keys).toEqual({ [bob]: { BOBPHONE: device } });
    expect(r.body.master_keys).toEqual({ [bob]: cs.body.master_key });
    expect(r.body.self_signing_keys).toEqual({ [bob]: cs.body.self_signing_key });
    expect(Object.keys(r.body.failures)).toEqual(['unlisted.test']);
    expect(r.body.failures['unlisted.test'].status).toBe(502);

    // The master key just seen can be signed with Alice's user-signing key.
    const mine = await makeCrossSigning(alice);
    expect((await uploadCrossSigning(alice, mine.body)).status).toBe(200);
    const signed = await mine.userSigning.sign(cs.body.master_key, alice.userId, `ed25519:${mine.userSigning.publicKey}`);
    const up = await uploadSignatures(alice, { [bob]: { [cs.master.publicKey]: signed } });
    expect(up.status).toBe(200);
    expect(up.body.failures).toEqual({});
    const again = await call('POST', '/_matrix/client/v3/keys/query', { token: alice.token, body: { device_keys: { [bob]: [] } }, vars: remote.vars });
    expect(again.body.master_keys[bob].signatures[alice.userId][`ed25519:${mine.userSigning.publicKey}`]).toBeDefined();
  });

  it('POST /keys/query gives up on a server after `timeout`', async () => {
    const remote = await fakeServer();
    const alice = await registerUser();
    remote.on('POST', '/_matrix/federation/v1/user/keys/query', () => new Promise((resolve) => pending.push(() => resolve({ device_keys: {} }))));
    const r = await call('POST', '/_matrix/client/v3/keys/query', { token: alice.token, body: { device_keys: { [remote.user()]: [] }, timeout: 200 }, vars: remote.vars });
    expect(r.status).toBe(200);
    expectSpec('POST /_matrix/client/v3/keys/query', 200, r.body);
    expect(r.body.failures[remote.name].status).toBe(504);
  });

  it('POST /keys/claim claims from the users\' servers', async () => {
    const remote = await fakeServer();
    const alice = await registerUser();
    const bob = remote.user('bob');
    const otk = { key: randomKey(), signatures: { [bob]: { 'ed25519:BOBPHONE': 'sig' } } };
    remote.on('POST', '/_matrix/federation/v1/user/keys/claim', (req) => {
      expect(req.body).toEqual({ one_time_keys: { [bob]: { BOBPHONE: 'signed_curve25519' } } });
      return { one_time_keys: { [bob]: { BOBPHONE: { 'signed_curve25519:AAAA': otk }, UNASKED: { 'signed_curve25519:B': otk } } } };
    });
    const r = await call('POST', '/_matrix/client/v3/keys/claim', { token: alice.token, body: { one_time_keys: { [bob]: { BOBPHONE: 'signed_curve25519' }, '@x:unlisted.test': { D: 'signed_curve25519' } } }, vars: remote.vars });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expectSpec('POST /_matrix/client/v3/keys/claim', 200, r.body);
    expect(r.body.one_time_keys).toEqual({ [bob]: { BOBPHONE: { 'signed_curve25519:AAAA': otk } } });
    expect(Object.keys(r.body.failures)).toEqual(['unlisted.test']);
  });
});
