// GET /_matrix/client/v1/rooms/{roomId}/hierarchy.
import { beforeAll, describe, expect, it } from 'vitest';
import { call, registerUser, SERVER_NAME, type TestUser } from '../helpers/client';
import { createRoom, join, putState } from '../helpers/rooms';
import { expectSpec } from '../helpers/spec';

const OP = 'GET /_matrix/client/v1/rooms/{roomId}/hierarchy';
const via = { via: [SERVER_NAME] };

function hierarchy(user: TestUser, roomId: string, query: Record<string, string | number | boolean> = {}) {
  const qs = new URLSearchParams(Object.entries(query).map(([k, v]): [string, string] => [k, String(v)])).toString();
  return call('GET', `/_matrix/client/v1/rooms/${encodeURIComponent(roomId)}/hierarchy${qs ? `?${qs}` : ''}`, { token: user.token });
}

async function addChild(user: TestUser, space: string, child: string, content: Record<string, unknown> = via) {
  const r = await putState(user, space, 'm.space.child', content, child);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
}

/** The spec's order, computed from what the response itself says. */
function specOrder(children: { state_key: string; origin_server_ts: number; content: { order?: unknown } }[]) {
  const order = (c: { content: { order?: unknown } }) =>
    typeof c.content.order === 'string' && /^[\x20-\x7e]{1,50}$/.test(c.content.order) ? c.content.order : undefined;
  return [...children].sort((a, b) => {
    const oa = order(a);
    const ob = order(b);
    if (oa !== undefined && ob === undefined) return -1;
    if (oa === undefined && ob !== undefined) return 1;
    if (oa !== undefined && ob !== undefined && oa !== ob) return oa < ob ? -1 : 1;
    if (a.origin_server_ts !== b.origin_server_ts) return a.origin_server_ts - b.origin_server_ts;
    return a.state_key < b.state_key ? -1 : 1;
  });
}

describe('space hierarchy', () => {
  let alice: TestUser;
  let bob: TestUser;
  let space: string;
  let first: string; // order " "
  let second: string; // order "a"
  let noOrder: string;
  let badOrder: string; // order invalid: sorts as if it had none
  let hidden: string; // invite-only, bob not invited
  let readable: string; // invite-only but world readable
  let restricted: string; // restricted to members of the space
  let knock: string;
  let sub: string; // a sub-space, suggested
  let leaf: string; // in the sub-space, suggested
  let removed: string; // child event without via

  beforeAll(async () => {
    [alice, bob] = await Promise.all([registerUser(), registerUser()]);
    const spaceOf = (name: string) => createRoom(alice, { preset: 'public_chat', name, creation_content: { type: 'm.space' } });
    space = await spaceOf('Space');
    sub = await spaceOf('Sub');
    [first, second, noOrder, badOrder, hidden, readable, knock, leaf, removed] = await Promise.all([
      createRoom(alice, { preset: 'public_chat', name: 'First' }),
      createRoom(alice, { preset: 'public_chat', name: 'Second' }),
      createRoom(alice, { preset: 'public_chat', name: 'No order' }),
      createRoom(alice, { preset: 'public_chat', name: 'Bad order' }),
      createRoom(alice, { preset: 'private_chat', name: 'Hidden' }),
      createRoom(alice, { preset: 'private_chat', name: 'Readable', initial_state: [{ type: 'm.room.history_visibility', content: { history_visibility: 'world_readable' } }] }),
      createRoom(alice, { preset: 'private_chat', name: 'Knock', initial_state: [{ type: 'm.room.join_rules', content: { join_rule: 'knock' } }] }),
      createRoom(alice, { preset: 'public_chat', name: 'Leaf' }),
      createRoom(alice, { preset: 'public_chat', name: 'Removed' }),
    ]);
    restricted = await createRoom(alice, {
      preset: 'private_chat',
      name: 'Restricted',
      initial_state: [{ type: 'm.room.join_rules', content: { join_rule: 'restricted', allow: [{ type: 'm.room_membership', room_id: space }] } }],
    });
    await addChild(alice, space, noOrder);
    await addChild(alice, space, second, { ...via, order: 'a' });
    await addChild(alice, space, first, { ...via, order: ' ' });
    await addChild(alice, space, badOrder, { ...via, order: 'é' });
    await addChild(alice, space, sub, { ...via, suggested: true });
    for (const r of [hidden, readable, restricted, knock]) await addChild(alice, space, r);
    await addChild(alice, space, removed, {});
    await addChild(alice, space, `!elsewhere:remote.example`);
    await addChild(alice, sub, leaf, { ...via, suggested: true });
    await addChild(alice, sub, space); // a loop: the space is walked once
  });

  it('walks depth first, children in the spec order, with summaries and children_state', async () => {
    const r = await hierarchy(alice, space);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expectSpec(OP, 200, r.body);
    expect(r.body.next_batch).toBeUndefined();
    const root = r.body.rooms[0];
    expect(root).toMatchObject({ room_id: space, name: 'Space', room_type: 'm.space', join_rule: 'public', num_joined_members: 1, world_readable: false, room_version: '12' });
    const childIds = root.children_state.map((c: any) => c.state_key);
    expect(childIds).not.toContain(removed);
    expect(childIds.slice(0, 2)).toEqual([first, second]);
    expect(root.children_state.map((c: any) => c.state_key)).toEqual(specOrder(root.children_state).map((c) => c.state_key));
    expect(childIds.indexOf(badOrder)).toBeGreaterThan(childIds.indexOf(noOrder));
    for (const c of root.children_state) {
      expect(Object.keys(c).sort()).toEqual(['content', 'origin_server_ts', 'sender', 'state_key', 'type']);
      expect(c).toMatchObject({ type: 'm.space.child', sender: alice.userId });
    }

    // Depth first: the sub-space's own subtree comes right after it; the remote room is skipped.
    const known = childIds.filter((id: string) => id !== '!elsewhere:remote.example');
    const expected = [space, ...known.flatMap((id: string) => (id === sub ? [sub, leaf] : [id]))];
    expect(r.body.rooms.map((x: any) => x.room_id)).toEqual(expected);
    const restrictedEntry = r.body.rooms.find((x: any) => x.room_id === restricted);
    expect(restrictedEntry).toMatchObject({ join_rule: 'restricted', allowed_room_ids: [space] });
    expect(r.body.rooms.find((x: any) => x.room_id === first).children_state).toEqual([]);
  });

  it('shows each requester only the rooms they may see', async () => {
    const outsider = await hierarchy(bob, space);
    expect(outsider.status).toBe(200);
    expectSpec(OP, 200, outsider.body);
    const seen = outsider.body.rooms.map((x: any) => x.room_id);
    expect(seen).toEqual(expect.arrayContaining([space, first, readable, knock, sub, leaf]));
    expect(seen).not.toContain(hidden);
    expect(seen).not.toContain(restricted);

    // Joining the space meets the restricted room's condition.
    expect((await join(bob, space)).status).toBe(200);
    const member = (await hierarchy(bob, space)).body.rooms.map((x: any) => x.room_id);
    expect(member).toContain(restricted);
    expect(member).not.toContain(hidden);
    expect(member.filter((id: string) => id === space)).toHaveLength(1);

    const privateSpace = await createRoom(alice, { preset: 'private_chat', creation_content: { type: 'm.space' } });
    const denied = await hierarchy(bob, privateSpace);
    expect(denied.status).toBe(403);
    expect(denied.body.errcode).toBe('M_FORBIDDEN');
    const unknown = await hierarchy(bob, `!unknown:${SERVER_NAME}`);
    expect(unknown.status).toBe(403);
  });

  it('honours max_depth and suggested_only', async () => {
    const none = await hierarchy(alice, space, { max_depth: 0 });
    expectSpec(OP, 200, none.body);
    expect(none.body.rooms.map((x: any) => x.room_id)).toEqual([space]);
    const one = (await hierarchy(alice, space, { max_depth: 1 })).body.rooms.map((x: any) => x.room_id);
    expect(one).toContain(sub);
    expect(one).not.toContain(leaf);

    const suggested = await hierarchy(alice, space, { suggested_only: true });
    expectSpec(OP, 200, suggested.body);
    expect(suggested.body.rooms.map((x: any) => x.room_id)).toEqual([space, sub, leaf]);
    expect(suggested.body.rooms[0].children_state.map((c: any) => c.state_key)).toEqual([sub]);
  });

  it('paginates with from tokens that keep max_depth and suggested_only', async () => {
    const all = (await hierarchy(alice, space)).body.rooms.map((x: any) => x.room_id);
    const pages: string[] = [];
    let from: string | undefined;
    for (let i = 0; i < 20; i++) {
      const r = await hierarchy(alice, space, from ? { limit: 3, from } : { limit: 3 });
      expect(r.status).toBe(200);
      expectSpec(OP, 200, r.body);
      expect(r.body.rooms.length).toBeLessThanOrEqual(3);
      pages.push(...r.body.rooms.map((x: any) => x.room_id));
      from = r.body.next_batch;
      if (!from) break;
    }
    expect(pages).toEqual(all);

    const page = await hierarchy(alice, space, { limit: 2 });
    const changed = await hierarchy(alice, space, { limit: 2, from: page.body.next_batch, suggested_only: true });
    expect(changed.status).toBe(400);
    expect(changed.body.errcode).toBe('M_INVALID_PARAM');
    const depth = await hierarchy(alice, space, { limit: 2, from: page.body.next_batch, max_depth: 1 });
    expect(depth.status).toBe(400);
    expect((await hierarchy(alice, space, { from: 'garbage' })).body.errcode).toBe('M_INVALID_PARAM');
  });

  it('refuses bad parameters', async () => {
    const cases: Record<string, string | number>[] = [{ limit: 0 }, { limit: 'ten' }, { max_depth: -1 }, { suggested_only: 'yes' }];
    for (const q of cases) {
      const r = await hierarchy(alice, space, q);
      expect(r.status, JSON.stringify(q)).toBe(400);
      expect(r.body.errcode, JSON.stringify(q)).toBe('M_INVALID_PARAM');
    }
    expect((await hierarchy(alice, 'not-a-room')).body.errcode).toBe('M_INVALID_PARAM');
    expect((await call('GET', `/_matrix/client/v1/rooms/${encodeURIComponent(space)}/hierarchy`)).status).toBe(401);
  });
});
