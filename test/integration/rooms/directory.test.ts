// Room aliases, canonical alias checks, directory visibility and /publicRooms.
import { env } from 'cloudflare:test';
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import type { Env } from '../../../src/config';
import { httpDb } from '../../../src/db/client';
import { users } from '../../../src/db/schema';
import { call, login, registerUser, SERVER_NAME, uniqueName, type TestUser } from '../helpers/client';
import { createRoom, getState, join, putState, statePath } from '../helpers/rooms';
import { expectSpec } from '../helpers/spec';

const enc = encodeURIComponent;
const V3 = '/_matrix/client/v3';
const aliasPath = (alias: string) => `${V3}/directory/room/${enc(alias)}`;
const listPath = (roomId: string) => `${V3}/directory/list/room/${enc(roomId)}`;
const newAlias = () => `#${uniqueName('alias')}:${SERVER_NAME}`;

async function admin(): Promise<TestUser> {
  const user = await registerUser();
  await httpDb(env as unknown as Env).update(users).set({ admin: true }).where(eq(users.userId, user.userId));
  const r = await login(user);
  expect(r.status).toBe(200);
  return { ...user, token: r.body.access_token };
}

async function putAlias(user: TestUser, alias: string, roomId: string) {
  return call('PUT', aliasPath(alias), { token: user.token, body: { room_id: roomId } });
}

describe('room aliases', () => {
  it('maps an alias to a room, resolves it, and refuses a second mapping', async () => {
    const alice = await registerUser();
    const roomId = await createRoom(alice);
    const alias = newAlias();
    const put = await putAlias(alice, alias, roomId);
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    expectSpec('PUT /_matrix/client/v3/directory/room/{roomAlias}', 200, put.body);

    const get = await call('GET', aliasPath(alias));
    expect(get.status).toBe(200);
    expectSpec('GET /_matrix/client/v3/directory/room/{roomAlias}', 200, get.body);
    expect(get.body).toEqual({ room_id: roomId, servers: [SERVER_NAME] });

    const again = await putAlias(alice, alias, await createRoom(alice));
    expect(again.status).toBe(409);
    expect(again.body.errcode).toBe('M_UNKNOWN');
  });

  it('refuses bad aliases, bad bodies, unknown rooms and non-members', async () => {
    const alice = await registerUser();
    const bob = await registerUser();
    const roomId = await createRoom(alice);
    for (const bad of ['noSigil:test.local', '#nocolon', `#with space:${SERVER_NAME}`]) {
      const r = await putAlias(alice, bad, roomId);
      expect(r.status, bad).toBe(400);
      expect(r.body.errcode, bad).toBe('M_INVALID_PARAM');
    }
    const remote = await putAlias(alice, `#${uniqueName()}:elsewhere.example`, roomId);
    expect(remote.status).toBe(400);
    expect(remote.body.errcode).toBe('M_INVALID_PARAM');

    expect((await call('PUT', aliasPath(newAlias()), { token: alice.token, body: {} })).body.errcode).toBe('M_BAD_JSON');
    expect((await call('PUT', aliasPath(newAlias()), { token: alice.token, raw: 'nope' })).body.errcode).toBe('M_NOT_JSON');
    expect((await call('PUT', aliasPath(newAlias()), { body: { room_id: roomId } })).body.errcode).toBe('M_MISSING_TOKEN');

    const unknown = await putAlias(alice, newAlias(), `!nothere:${SERVER_NAME}`);
    expect(unknown.status).toBe(404);
    expect(unknown.body.errcode).toBe('M_NOT_FOUND');

    const stranger = await putAlias(bob, newAlias(), roomId);
    expect(stranger.status).toBe(403);
    expect(stranger.body.errcode).toBe('M_FORBIDDEN');
  });

  it('answers 404 for unknown aliases, 400 for invalid ones and 502 for other servers', async () => {
    const unknown = await call('GET', aliasPath(newAlias()));
    expect(unknown.status).toBe(404);
    expect(unknown.body.errcode).toBe('M_NOT_FOUND');
    const invalid = await call('GET', aliasPath('#nocolon'));
    expect(invalid.status).toBe(400);
    expect(invalid.body.errcode).toBe('M_INVALID_PARAM');
    // Another server's alias is asked of that server (test/integration/federation/); this one cannot be reached.
    const remote = await call('GET', aliasPath('#room:elsewhere.example'), { vars: { FEDERATION_RESOLVE: 'none.test=http://127.0.0.1:9' } });
    expect(remote.status).toBe(502);
    expect(remote.body.errcode).toBe('M_UNKNOWN');
  });

  it('lets the creator, a moderator and a server admin delete an alias, and nobody else', async () => {
    const owner = await registerUser();
    const member = await registerUser();
    const stranger = await registerUser();
    const roomId = await createRoom(owner, { preset: 'public_chat' });
    expect((await join(member, roomId)).status).toBe(200);

    // The member created this alias: they may delete it although they have no power in the room.
    const byMember = newAlias();
    expect((await putAlias(member, byMember, roomId)).status).toBe(200);
    const strangerDelete = await call('DELETE', aliasPath(byMember), { token: stranger.token });
    expect(strangerDelete.status).toBe(403);
    expect(strangerDelete.body.errcode).toBe('M_FORBIDDEN');
    expect((await call('GET', aliasPath(byMember))).status).toBe(200);
    const own = await call('DELETE', aliasPath(byMember), { token: member.token });
    expect(own.status).toBe(200);
    expectSpec('DELETE /_matrix/client/v3/directory/room/{roomAlias}', 200, own.body);
    expect((await call('GET', aliasPath(byMember))).status).toBe(404);

    // The owner's alias: the member (power 0) may not delete it; the owner's moderator may.
    const byOwner = newAlias();
    expect((await putAlias(owner, byOwner, roomId)).status).toBe(200);
    expect((await call('DELETE', aliasPath(byOwner), { token: member.token })).status).toBe(403);
    const pl = (await getState(owner, roomId, 'm.room.power_levels')).body;
    expect((await putState(owner, roomId, 'm.room.power_levels', { ...pl, users: { ...pl.users, [member.userId]: 50 } })).status).toBe(200);
    expect((await call('DELETE', aliasPath(byOwner), { token: member.token })).status).toBe(200);

    // A server admin needs neither membership nor power.
    const third = newAlias();
    expect((await putAlias(owner, third, roomId)).status).toBe(200);
    const root = await admin();
    expect((await call('DELETE', aliasPath(third), { token: root.token })).status).toBe(200);

    const gone = await call('DELETE', aliasPath(third), { token: root.token });
    expect(gone.status).toBe(404);
    expect(gone.body.errcode).toBe('M_NOT_FOUND');
  });

  it("takes a deleted alias out of the canonical alias event when the deleter may, and deletes it regardless", async () => {
    const owner = await registerUser();
    const member = await registerUser();
    const main = uniqueName('main');
    const roomId = await createRoom(owner, { preset: 'public_chat', room_alias_name: main });
    expect((await join(member, roomId)).status).toBe(200);
    const mainAlias = `#${main}:${SERVER_NAME}`;
    const alt = newAlias();
    const memberAlt = newAlias();
    expect((await putAlias(owner, alt, roomId)).status).toBe(200);
    expect((await putAlias(member, memberAlt, roomId)).status).toBe(200);
    expect((await putState(owner, roomId, 'm.room.canonical_alias', { alias: mainAlias, alt_aliases: [alt, memberAlt] })).status).toBe(200);

    expect((await call('DELETE', aliasPath(alt), { token: owner.token })).status).toBe(200);
    expect((await getState(owner, roomId, 'm.room.canonical_alias')).body).toEqual({ alias: mainAlias, alt_aliases: [memberAlt] });
    expect((await call('DELETE', aliasPath(mainAlias), { token: owner.token })).status).toBe(200);
    expect((await getState(owner, roomId, 'm.room.canonical_alias')).body).toEqual({ alt_aliases: [memberAlt] });

    // The member may delete the alias they created, not edit the canonical alias event.
    expect((await call('DELETE', aliasPath(memberAlt), { token: member.token })).status).toBe(200);
    expect((await call('GET', aliasPath(memberAlt))).status).toBe(404);
    expect((await getState(owner, roomId, 'm.room.canonical_alias')).body).toEqual({ alt_aliases: [memberAlt] });
  });

  it('lists local aliases to members, to anyone in world-readable rooms, and to admins', async () => {
    const alice = await registerUser();
    const bob = await registerUser();
    const roomId = await createRoom(alice);
    const a1 = newAlias();
    const a2 = newAlias();
    expect((await putAlias(alice, a2, roomId)).status).toBe(200);
    expect((await putAlias(alice, a1, roomId)).status).toBe(200);
    const path = `${V3}/rooms/${enc(roomId)}/aliases`;
    const mine = await call('GET', path, { token: alice.token });
    expect(mine.status).toBe(200);
    expectSpec('GET /_matrix/client/v3/rooms/{roomId}/aliases', 200, mine.body);
    expect(mine.body.aliases).toEqual([a1, a2].sort());

    const denied = await call('GET', path, { token: bob.token });
    expect(denied.status).toBe(403);
    expect(denied.body.errcode).toBe('M_FORBIDDEN');
    const unknown = await call('GET', `${V3}/rooms/${enc(`!nothere:${SERVER_NAME}`)}/aliases`, { token: bob.token });
    expect(unknown.status).toBe(403);
    expect((await call('GET', `${V3}/rooms/not-a-room/aliases`, { token: bob.token })).body.errcode).toBe('M_INVALID_PARAM');

    const root = await admin();
    expect((await call('GET', path, { token: root.token })).body.aliases).toEqual([a1, a2].sort());

    expect((await putState(alice, roomId, 'm.room.history_visibility', { history_visibility: 'world_readable' })).status).toBe(200);
    expect((await call('GET', path, { token: bob.token })).body.aliases).toEqual([a1, a2].sort());
  });
});

describe('canonical alias checks', () => {
  it('accepts aliases of the room and refuses the others with M_BAD_ALIAS or M_INVALID_PARAM', async () => {
    const alice = await registerUser();
    const roomId = await createRoom(alice);
    const other = await createRoom(alice);
    const mine = newAlias();
    const theirs = newAlias();
    expect((await putAlias(alice, mine, roomId)).status).toBe(200);
    expect((await putAlias(alice, theirs, other)).status).toBe(200);

    const ok = await putState(alice, roomId, 'm.room.canonical_alias', { alias: mine, alt_aliases: [mine] });
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);

    const cases: [Record<string, unknown>, string][] = [
      [{ alias: theirs }, 'M_BAD_ALIAS'],
      [{ alias: newAlias() }, 'M_BAD_ALIAS'],
      [{ alias: mine, alt_aliases: [theirs] }, 'M_BAD_ALIAS'],
      [{ alias: 'not an alias' }, 'M_INVALID_PARAM'],
      [{ alias: 5 }, 'M_INVALID_PARAM'],
      [{ alt_aliases: 'nope' }, 'M_INVALID_PARAM'],
      [{ alt_aliases: [mine, 7] }, 'M_INVALID_PARAM'],
    ];
    for (const [content, errcode] of cases) {
      const r = await putState(alice, roomId, 'm.room.canonical_alias', content);
      expect(r.status, JSON.stringify(content)).toBe(400);
      expect(r.body.errcode, JSON.stringify(content)).toBe(errcode);
    }
    // Another server's alias is asked of that server (test/integration/federation/); this one cannot be reached.
    const vars = { FEDERATION_RESOLVE: 'none.test=http://127.0.0.1:9' };
    const remote = await call('PUT', statePath(roomId, 'm.room.canonical_alias', ''), { token: alice.token, body: { alias: '#x:elsewhere.example' }, vars });
    expect(remote.status).toBe(400);
    expect(remote.body.errcode).toBe('M_BAD_ALIAS');
    expect((await getState(alice, roomId, 'm.room.canonical_alias')).body).toEqual({ alias: mine, alt_aliases: [mine] });
  });

  it('checks only the aliases an event adds', async () => {
    const alice = await registerUser();
    const bob = await registerUser();
    const roomId = await createRoom(alice, { preset: 'public_chat' });
    expect((await join(bob, roomId)).status).toBe(200);
    const kept = newAlias();
    const added = newAlias();
    expect((await putAlias(bob, kept, roomId)).status).toBe(200);
    expect((await putState(alice, roomId, 'm.room.canonical_alias', { alias: kept })).status).toBe(200);
    // Bob deletes his alias (without the power to edit the event): the room may keep advertising it.
    expect((await call('DELETE', aliasPath(kept), { token: bob.token })).status).toBe(200);
    expect((await getState(alice, roomId, 'm.room.canonical_alias')).body).toEqual({ alias: kept });
    expect((await putState(alice, roomId, 'm.room.canonical_alias', { alias: kept, alt_aliases: [] })).status).toBe(200);
    expect((await putState(alice, roomId, 'm.room.canonical_alias', { alias: kept, alt_aliases: [added] })).body.errcode).toBe('M_BAD_ALIAS');
    expect((await putAlias(alice, added, roomId)).status).toBe(200);
    expect((await putState(alice, roomId, 'm.room.canonical_alias', { alias: kept, alt_aliases: [added] })).status).toBe(200);
  });
});

describe('directory visibility', () => {
  it('reads and sets visibility with the power to change the canonical alias', async () => {
    const alice = await registerUser();
    const bob = await registerUser();
    const roomId = await createRoom(alice, { preset: 'public_chat' });
    expect((await join(bob, roomId)).status).toBe(200);
    const get = await call('GET', listPath(roomId));
    expect(get.status).toBe(200);
    expectSpec('GET /_matrix/client/v3/directory/list/room/{roomId}', 200, get.body);
    expect(get.body).toEqual({ visibility: 'private' });

    const set = await call('PUT', listPath(roomId), { token: alice.token, body: { visibility: 'public' } });
    expect(set.status).toBe(200);
    expectSpec('PUT /_matrix/client/v3/directory/list/room/{roomId}', 200, set.body);
    expect((await call('GET', listPath(roomId))).body).toEqual({ visibility: 'public' });

    const denied = await call('PUT', listPath(roomId), { token: bob.token, body: { visibility: 'private' } });
    expect(denied.status).toBe(403);
    expect(denied.body.errcode).toBe('M_FORBIDDEN');
    expect((await call('GET', listPath(roomId))).body).toEqual({ visibility: 'public' });

    const root = await admin();
    expect((await call('PUT', listPath(roomId), { token: root.token, body: { visibility: 'private' } })).status).toBe(200);
    expect((await call('GET', listPath(roomId))).body).toEqual({ visibility: 'private' });
    // visibility defaults to public
    expect((await call('PUT', listPath(roomId), { token: alice.token, body: {} })).status).toBe(200);
    expect((await call('GET', listPath(roomId))).body).toEqual({ visibility: 'public' });
  });

  it('starts public for rooms created with visibility public, and refuses bad requests', async () => {
    const alice = await registerUser();
    const roomId = await createRoom(alice, { visibility: 'public' });
    expect((await call('GET', listPath(roomId))).body).toEqual({ visibility: 'public' });
    const unknown = `!nothere:${SERVER_NAME}`;
    expect((await call('GET', listPath(unknown))).status).toBe(404);
    expect((await call('PUT', listPath(unknown), { token: alice.token, body: { visibility: 'public' } })).status).toBe(404);
    expect((await call('PUT', listPath(roomId), { token: alice.token, body: { visibility: 'shown' } })).body.errcode).toBe('M_BAD_JSON');
    expect((await call('PUT', listPath(roomId), { body: { visibility: 'public' } })).status).toBe(401);
    expect((await call('GET', listPath('nonsense'))).body.errcode).toBe('M_INVALID_PARAM');
  });
});

describe('publicRooms', () => {
  const publicRoom = async (user: TestUser, body: Record<string, unknown>) => createRoom(user, { preset: 'public_chat', visibility: 'public', ...body });
  const query = (user: TestUser, body: Record<string, unknown>, qs = '') => call('POST', `${V3}/publicRooms${qs}`, { token: user.token, body });

  it('lists published rooms with their summary fields, biggest first, and paginates both ways', async () => {
    const alice = await registerUser();
    const others = await Promise.all([registerUser(), registerUser()]);
    const term = uniqueName('dir');
    const small = await publicRoom(alice, { name: `${term} small` });
    const middle = await publicRoom(alice, { name: `${term} middle`, topic: 'A topic' });
    const big = await publicRoom(alice, { name: `${term} big`, room_alias_name: term });
    for (const u of others) expect((await join(u, big)).status).toBe(200);
    expect((await join(others[0], middle)).status).toBe(200);
    expect((await putState(alice, big, 'm.room.avatar', { url: 'mxc://test.local/avatar' })).status).toBe(200);
    expect((await putState(alice, big, 'm.room.history_visibility', { history_visibility: 'world_readable' })).status).toBe(200);
    // Not listed: unpublished, or invite-only and not world-readable.
    await createRoom(alice, { preset: 'public_chat', name: `${term} unpublished` });
    await createRoom(alice, { preset: 'private_chat', visibility: 'public', name: `${term} private` });

    const first = await query(alice, { limit: 2, filter: { generic_search_term: term.toUpperCase() } });
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    expectSpec('POST /_matrix/client/v3/publicRooms', 200, first.body);
    expect(first.body.chunk.map((r: any) => r.room_id)).toEqual([big, middle]);
    expect(first.body.total_room_count_estimate).toBe(3);
    expect(first.body.prev_batch).toBeUndefined();
    expect(first.body.chunk[0]).toEqual({
      room_id: big,
      name: `${term} big`,
      canonical_alias: `#${term}:${SERVER_NAME}`,
      num_joined_members: 3,
      world_readable: true,
      guest_can_join: false,
      avatar_url: 'mxc://test.local/avatar',
      join_rule: 'public',
    });
    expect(first.body.chunk[1]).toMatchObject({ topic: 'A topic', num_joined_members: 2, world_readable: false });

    const second = await query(alice, { limit: 2, since: first.body.next_batch, filter: { generic_search_term: term } });
    expectSpec('POST /_matrix/client/v3/publicRooms', 200, second.body);
    expect(second.body.chunk.map((r: any) => r.room_id)).toEqual([small]);
    expect(second.body.next_batch).toBeUndefined();
    const back = await query(alice, { limit: 2, since: second.body.prev_batch, filter: { generic_search_term: term } });
    expect(back.body.chunk.map((r: any) => r.room_id)).toEqual([big, middle]);
    expect(back.body.next_batch).toBeDefined();

    // The same list without an account, through GET (no filter there: page until ours appear).
    const seen: string[] = [];
    let since: string | undefined;
    for (let i = 0; i < 50; i++) {
      const page = await call('GET', `${V3}/publicRooms?limit=50${since ? `&since=${enc(since)}` : ''}`);
      expect(page.status).toBe(200);
      expectSpec('GET /_matrix/client/v3/publicRooms', 200, page.body);
      const counts = page.body.chunk.map((r: any) => r.num_joined_members);
      expect(counts).toEqual([...counts].sort((a, b) => b - a));
      seen.push(...page.body.chunk.map((r: any) => r.room_id));
      since = page.body.next_batch;
      if (!since) break;
    }
    expect(seen.filter((id) => [small, middle, big].includes(id))).toEqual([big, middle, small]);
  });

  it('filters by room type, and knows no third-party networks', async () => {
    const alice = await registerUser();
    const term = uniqueName('typed');
    const space = await publicRoom(alice, { name: `${term} space`, creation_content: { type: 'm.space' } });
    const room = await publicRoom(alice, { name: `${term} room` });
    const ids = async (room_types?: unknown[]) => (await query(alice, { filter: { generic_search_term: term, room_types } })).body.chunk.map((r: any) => r.room_id).sort();
    expect(await ids(['m.space'])).toEqual([space]);
    expect(await ids([null])).toEqual([room]);
    expect(await ids([null, 'm.space'])).toEqual([space, room].sort());
    expect(await ids()).toEqual([space, room].sort());
    expect((await query(alice, { filter: { generic_search_term: term, room_types: ['m.space'] } })).body.chunk[0].room_type).toBe('m.space');

    const network = await query(alice, { third_party_instance_id: 'irc' });
    expect(network.status).toBe(200);
    expect(network.body).toEqual({ chunk: [], total_room_count_estimate: 0 });
    expect((await query(alice, { include_all_networks: true, filter: { generic_search_term: term } })).body.chunk).toHaveLength(2);
    const both = await query(alice, { include_all_networks: true, third_party_instance_id: 'irc' });
    expect(both.status).toBe(400);
    expect(both.body.errcode).toBe('M_INVALID_PARAM');
  });

  it('asks other servers only for a signed-in user, answers 502 for unreachable ones, and refuses bad requests', async () => {
    const alice = await registerUser();
    // Other servers' directories are fetched over federation (test/integration/federation/); this one cannot be reached.
    const vars = { FEDERATION_RESOLVE: 'none.test=http://127.0.0.1:9' };
    const anonymous = await call('GET', `${V3}/publicRooms?server=elsewhere.example`, { vars });
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.errcode).toBe('M_MISSING_TOKEN');
    const remote = await call('GET', `${V3}/publicRooms?server=elsewhere.example`, { token: alice.token, vars });
    expect(remote.status).toBe(502);
    expect(remote.body.errcode).toBe('M_UNKNOWN');
    expect((await call('POST', `${V3}/publicRooms?server=elsewhere.example`, { token: alice.token, body: {}, vars })).status).toBe(502);
    expect((await call('GET', `${V3}/publicRooms?server=${enc('bad server')}`)).body.errcode).toBe('M_INVALID_PARAM');
    expect((await call('GET', `${V3}/publicRooms?server=${SERVER_NAME}&limit=1`)).status).toBe(200);
    expect((await call('GET', `${V3}/publicRooms?limit=-1`)).body.errcode).toBe('M_INVALID_PARAM');
    expect((await call('GET', `${V3}/publicRooms?since=garbage`)).body.errcode).toBe('M_INVALID_PARAM');
    expect((await call('GET', `${V3}/publicRooms`, { token: 'not-a-token' })).status).toBe(401);
    expect((await query(alice, { limit: 'ten' })).body.errcode).toBe('M_BAD_JSON');
    expect((await call('POST', `${V3}/publicRooms`, { body: {} })).body.errcode).toBe('M_MISSING_TOKEN');
  });
});
