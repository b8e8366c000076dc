// POST /user_directory/search: who may be found (shared rooms, public rooms, search-all), how terms
// match (prefix per word, case and accents folded, user ids), ranking, `limited`, and the directory
// following profile and membership changes.
import { describe, expect, it } from 'vitest';
import type { Env } from '../../src/config';
import { call, registerUser, uniqueName, type TestUser } from './helpers/client';
import { createRoom, join, leave, member, putState } from './helpers/rooms';
import { expectSpec } from './helpers/spec';

const SEARCH = '/_matrix/client/v3/user_directory/search';

async function search(user: TestUser, search_term: string, opts: { limit?: number; vars?: Partial<Env> } = {}) {
  const r = await call('POST', SEARCH, { token: user.token, body: { search_term, limit: opts.limit }, vars: opts.vars });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  expectSpec('POST /_matrix/client/v3/user_directory/search', 200, r.body);
  return r.body as { results: { user_id: string; display_name?: string; avatar_url?: string }[]; limited: boolean };
}
const ids = (b: { results: { user_id: string }[] }) => b.results.map((u) => u.user_id);

async function setName(user: TestUser, displayname: string) {
  const r = await call('PUT', `/_matrix/client/v3/profile/${encodeURIComponent(user.userId)}/displayname`, { token: user.token, body: { displayname } });
  expect(r.status).toBe(200);
}

/** A user with a display name made of `words` (each test uses a fresh word so others' users never match). */
async function named(...words: string[]): Promise<TestUser> {
  const u = await registerUser();
  await setName(u, words.join(' '));
  return u;
}

/** A room of `owner` that `others` have joined. */
async function roomWith(owner: TestUser, others: TestUser[], body: Record<string, unknown> = {}): Promise<string> {
  const roomId = await createRoom(owner, body);
  for (const o of others) {
    if (body.preset !== 'public_chat') expect((await member(owner, roomId, 'invite', o.userId)).status).toBe(200);
    expect((await join(o, roomId)).status).toBe(200);
  }
  return roomId;
}

describe('user directory: who can be found', () => {
  it('finds users who share a room or sit in a public room, and never a stranger', async () => {
    const w = uniqueName('w');
    const searcher = await registerUser();
    const friend = await named('Friend', w);
    const publicUser = await named('Public', w);
    const readableUser = await named('Readable', w);
    const stranger = await named('Stranger', w);
    const invited = await named('Invited', w);

    await roomWith(searcher, [friend]);
    await roomWith(await registerUser(), [publicUser], { preset: 'public_chat' });
    // The stranger is in a private room that the searcher is not in.
    await roomWith(await registerUser(), [stranger]);
    // Private join rule, but world-readable history: the spec counts it as public.
    const readableOwner = await registerUser();
    const r2 = await createRoom(readableOwner);
    expect((await putState(readableOwner, r2, 'm.room.history_visibility', { history_visibility: 'world_readable' })).status).toBe(200);
    expect((await member(readableOwner, r2, 'invite', readableUser.userId)).status).toBe(200);
    expect((await join(readableUser, r2)).status).toBe(200);
    // Invited, not joined: sharing a room means being joined to it.
    const pending = await createRoom(searcher);
    expect((await member(searcher, pending, 'invite', invited.userId)).status).toBe(200);

    const found = await search(searcher, w);
    expect(ids(found).sort()).toEqual([friend.userId, publicUser.userId, readableUser.userId].sort());
    expect(found.limited).toBe(false);
    expect(found.results.find((u) => u.user_id === friend.userId)).toEqual({ user_id: friend.userId, display_name: `Friend ${w}` });
    expect(ids(await search(searcher, `stranger ${w}`))).toEqual([]);
    expect(ids(await search(searcher, stranger.localpart))).toEqual([]);
    expect(ids(await search(searcher, stranger.userId))).toEqual([]);
    expect(ids(await search(searcher, `invited ${w}`))).toEqual([]);
  });

  it('with USER_DIRECTORY_SEARCH_ALL on, finds every local user but deactivated ones', async () => {
    const w = uniqueName('w');
    const searcher = await registerUser();
    const stranger = await named('Loner', w);
    const gone = await named('Gone', w);
    const deactivate = await call('POST', '/_matrix/client/v3/account/deactivate', {
      token: gone.token,
      body: { auth: { type: 'm.login.password', identifier: { type: 'm.id.user', user: gone.userId }, password: gone.password } },
    });
    expect(deactivate.status).toBe(200);
    const vars = { USER_DIRECTORY_SEARCH_ALL: 'on' };
    expect(ids(await search(searcher, w, { vars }))).toEqual([stranger.userId]);
    expect(ids(await search(searcher, w))).toEqual([]);
  });

  it('never lists the searcher, deactivated users or guests', async () => {
    const w = uniqueName('w');
    const searcher = await named('Me', w);
    const gone = await named('Gone', w);
    await roomWith(searcher, [gone], { preset: 'public_chat' });
    expect(ids(await search(searcher, w))).toEqual([gone.userId]);
    const r = await call('POST', '/_matrix/client/v3/account/deactivate', {
      token: gone.token,
      body: { auth: { type: 'm.login.password', identifier: { type: 'm.id.user', user: gone.userId }, password: gone.password } },
    });
    expect(r.status).toBe(200);
    expect(ids(await search(searcher, w))).toEqual([]);

    const guest = await call('POST', '/_matrix/client/v3/register?kind=guest', { body: {}, vars: { GUEST_ACCESS: 'on' } });
    expect(guest.status).toBe(200);
    const vars = { USER_DIRECTORY_SEARCH_ALL: 'on', GUEST_ACCESS: 'on' };
    expect(ids(await search(searcher, guest.body.user_id, { vars }))).toEqual([]);
    // Guests cannot search either (as Synapse).
    const asGuest = await call('POST', SEARCH, { token: guest.body.access_token, body: { search_term: w }, vars });
    expect(asGuest.status).toBe(403);
    expect(asGuest.body.errcode).toBe('M_GUEST_ACCESS_FORBIDDEN');
  });
});

describe('user directory: matching and ranking', () => {
  it('matches word prefixes of display names, ignoring case and accents', async () => {
    const w = uniqueName('w');
    const searcher = await registerUser();
    const zoe = await named('Zoë', 'Ångström-Núñez', w);
    const other = await named('Zora', w);
    await roomWith(searcher, [zoe, other]);

    expect(ids(await search(searcher, `zoe ${w}`))).toEqual([zoe.userId]);
    expect(ids(await search(searcher, `ZOË ${w}`))).toEqual([zoe.userId]);
    expect(ids(await search(searcher, `angstr ${w.slice(0, -2)}`))).toEqual([zoe.userId]);
    expect(ids(await search(searcher, `nunez ${w}`))).toEqual([zoe.userId]);
    expect(ids(await search(searcher, `ÅNGSTRÖM-NÚÑEZ ${w}`))).toEqual([zoe.userId]);
    expect(ids(await search(searcher, `zo ${w}`)).sort()).toEqual([zoe.userId, other.userId].sort());
    // Every word must match: a word that matches nobody empties the result.
    expect(ids(await search(searcher, `zoe nobody ${w}`))).toEqual([]);
    // Words match at their start only.
    expect(ids(await search(searcher, `oe ${w}`))).toEqual([]);
  });

  it('matches user ids, localparts and the parts of dotted localparts', async () => {
    const searcher = await registerUser();
    const base = uniqueName('dot');
    const dotted = await registerUser({ localpart: `${base}.smith-jr` });
    await roomWith(searcher, [dotted]);
    expect(ids(await search(searcher, dotted.userId))).toEqual([dotted.userId]);
    expect(ids(await search(searcher, `@${base}`))).toEqual([dotted.userId]);
    expect(ids(await search(searcher, `${base}.smi`))).toEqual([dotted.userId]);
    expect(ids(await search(searcher, `${base} smith`))).toEqual([dotted.userId]);
    // Punctuation alone is no word: nothing to search for.
    expect(await search(searcher, ' @:!? ')).toEqual({ results: [], limited: false });
  });

  it('ranks exact words before prefixes, and users with a profile first', async () => {
    const w = uniqueName('w');
    const searcher = await registerUser();
    const longer = await named(`${w}son`);
    const exact = await named(w);
    const withAvatar = await named(`${w}sen`);
    const a = await call('PUT', `/_matrix/client/v3/profile/${encodeURIComponent(withAvatar.userId)}/avatar_url`, { token: withAvatar.token, body: { avatar_url: 'mxc://test.local/avatar1' } });
    expect(a.status).toBe(200);
    await roomWith(searcher, [longer, exact, withAvatar]);
    const found = await search(searcher, w);
    expect(ids(found)[0]).toBe(exact.userId);
    expect(ids(found).slice(1)).toEqual([withAvatar.userId, longer.userId]);
    expect(found.results[1]).toEqual({ user_id: withAvatar.userId, display_name: `${w}sen`, avatar_url: 'mxc://test.local/avatar1' });
  });

  it('sets `limited` when more users match than the limit', async () => {
    const w = uniqueName('w');
    const searcher = await registerUser();
    const users = [await named('One', w), await named('Two', w), await named('Three', w)];
    await roomWith(searcher, users);
    const two = await search(searcher, w, { limit: 2 });
    expect(two.results).toHaveLength(2);
    expect(two.limited).toBe(true);
    const three = await search(searcher, w, { limit: 3 });
    expect(three.results).toHaveLength(3);
    expect(three.limited).toBe(false);
    const none = await search(searcher, w, { limit: 0 });
    expect(none).toEqual({ results: [], limited: true });
    // The default limit is 10; more than 50 is cut to 50.
    expect((await search(searcher, w)).results).toHaveLength(3);
    expect((await search(searcher, w, { limit: 1000 })).results).toHaveLength(3);
  });
});

describe('user directory: kept current', () => {
  it('follows display name and avatar changes', async () => {
    const w = uniqueName('w');
    const searcher = await registerUser();
    const user = await named('Before', w);
    await roomWith(searcher, [user]);
    expect(ids(await search(searcher, `before ${w}`))).toEqual([user.userId]);
    await setName(user, `After ${w}`);
    expect(ids(await search(searcher, `before ${w}`))).toEqual([]);
    expect((await search(searcher, `after ${w}`)).results).toEqual([{ user_id: user.userId, display_name: `After ${w}` }]);
    const del = await call('DELETE', `/_matrix/client/v3/profile/${encodeURIComponent(user.userId)}/displayname`, { token: user.token });
    expect(del.status).toBe(200);
    expect(ids(await search(searcher, w))).toEqual([]);
    // Still found by id, now without a display name.
    expect((await search(searcher, user.userId)).results).toEqual([{ user_id: user.userId }]);
  });

  it('follows joins, leaves and rooms becoming public or private', async () => {
    const w = uniqueName('w');
    const searcher = await registerUser();
    const user = await named('Mover', w);
    const shared = await roomWith(searcher, [user]);
    expect(ids(await search(searcher, w))).toEqual([user.userId]);

    expect((await leave(user, shared)).status).toBe(200);
    expect(ids(await search(searcher, w))).toEqual([]);

    const owner = await registerUser();
    const room = await roomWith(owner, [user], { preset: 'public_chat' });
    expect(ids(await search(searcher, w))).toEqual([user.userId]);

    expect((await putState(owner, room, 'm.room.join_rules', { join_rule: 'invite' })).status).toBe(200);
    expect(ids(await search(searcher, w))).toEqual([]);

    expect((await putState(owner, room, 'm.room.history_visibility', { history_visibility: 'world_readable' })).status).toBe(200);
    expect(ids(await search(searcher, w))).toEqual([user.userId]);

    // The searcher leaving a shared room hides its members again.
    const again = await roomWith(searcher, [user]);
    expect((await putState(owner, room, 'm.room.history_visibility', { history_visibility: 'shared' })).status).toBe(200);
    expect(ids(await search(searcher, w))).toEqual([user.userId]);
    expect((await leave(searcher, again)).status).toBe(200);
    expect(ids(await search(searcher, w))).toEqual([]);
  });
});

describe('user directory: refused requests', () => {
  it('needs an access token and a valid body', async () => {
    expect((await call('POST', SEARCH, { body: { search_term: 'x' } })).body.errcode).toBe('M_MISSING_TOKEN');
    const user = await registerUser();
    const cases: [unknown, string][] = [
      [{}, 'M_BAD_JSON'],
      [{ search_term: 42 }, 'M_BAD_JSON'],
      [{ search_term: 'x', limit: 'ten' }, 'M_BAD_JSON'],
      [{ search_term: 'x', limit: 1.5 }, 'M_BAD_JSON'],
      [['x'], 'M_BAD_JSON'],
    ];
    for (const [body, errcode] of cases) {
      const r = await call('POST', SEARCH, { token: user.token, body });
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.errcode, JSON.stringify(body)).toBe(errcode);
    }
    const notJson = await call('POST', SEARCH, { token: user.token, raw: '{oops' });
    expect(notJson.status).toBe(400);
    expect(notJson.body.errcode).toBe('M_NOT_JSON');
  });

  it('survives room state that Postgres cannot read as JSON (\\u0000)', async () => {
    const w = uniqueName('w');
    const searcher = await registerUser();
    const user = await named('Odd', w);
    const owner = await registerUser();
    const roomId = await roomWith(owner, [user], { preset: 'public_chat' });
    const odd = 'nul\u0000here';
    const r = await putState(owner, roomId, 'm.room.join_rules', { join_rule: 'public', 'org.example.note': odd });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    const h = await putState(owner, roomId, 'm.room.history_visibility', { history_visibility: 'world_readable', 'org.example.note': odd });
    expect(h.status, JSON.stringify(h.body)).toBe(200);
    // Searching still works; such a room is not counted as public (nobody is revealed by it).
    expect(ids(await search(searcher, w))).toEqual([]);
    expect((await putState(owner, roomId, 'm.room.join_rules', { join_rule: 'public' })).status).toBe(200);
    expect(ids(await search(searcher, w))).toEqual([user.userId]);
  });

  it('treats tsquery syntax in terms as text', async () => {
    const user = await registerUser();
    for (const term of ["a & b", "x' | '", "\\", "!(", "a:*", "'", "日本"]) {
      const r = await call('POST', SEARCH, { token: user.token, body: { search_term: term } });
      expect(r.status, term).toBe(200);
      expect(r.body.limited, term).toBe(false);
    }
  });
});
