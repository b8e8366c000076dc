// GET /_matrix/client/v1/mutual_rooms (v1.19, MSC2666): exactly the rooms both users are joined
// to, in batches linked by next_batch, and 400 for a missing, malformed or own user_id.
import { describe, expect, it } from 'vitest';
import { call, registerUser, SERVER_NAME, type Reply, type TestUser } from '../helpers/client';
import { createRoom, join, leave, member } from '../helpers/rooms';
import { expectSpec } from '../helpers/spec';
import { v1 } from './helpers';

const OP = 'GET /_matrix/client/v1/mutual_rooms';

function mutual(user: { token: string }, query: string, vars?: Record<string, string>): Promise<Reply> {
  return call('GET', v1(`/mutual_rooms${query}`), { token: user.token, vars });
}
const q = (userId: string, from?: string) => `?user_id=${encodeURIComponent(userId)}${from === undefined ? '' : `&from=${encodeURIComponent(from)}`}`;

async function roomsWith(alice: TestUser, bob: TestUser, n: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    const roomId = await createRoom(alice, { preset: 'public_chat' });
    expect((await join(bob, roomId)).status).toBe(200);
    out.push(roomId);
  }
  return out;
}

describe('mutual rooms', () => {
  it('lists exactly the rooms both users are joined to', async () => {
    const [alice, bob, carol] = [await registerUser(), await registerUser(), await registerUser()];
    const shared = await roomsWith(alice, bob, 2);
    await createRoom(alice, { preset: 'public_chat' }); // alice alone
    await createRoom(bob, { preset: 'public_chat' }); // bob alone
    const invited = await createRoom(alice, { invite: [bob.userId] }); // bob only invited
    const [left] = await roomsWith(alice, bob, 1);
    expect((await leave(bob, left)).status).toBe(200);
    const [banned] = await roomsWith(alice, bob, 1);
    expect((await member(alice, banned, 'ban', bob.userId)).status).toBe(200);
    const [aliceLeft] = await roomsWith(alice, bob, 1);
    expect((await leave(alice, aliceLeft)).status).toBe(200);
    expect(invited).toBeTruthy();

    const r = await mutual(alice, q(bob.userId));
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expectSpec(OP, 200, r.body);
    expect([...r.body.joined].sort()).toEqual([...shared].sort());
    expect(r.body.count).toBe(2);
    expect(r.body.next_batch).toBeUndefined();
    // The same from bob's side; nothing with carol; an unknown user is answered with an empty list.
    const b = await mutual(bob, q(alice.userId));
    expect([...b.body.joined].sort()).toEqual([...shared].sort());
    for (const other of [carol.userId, `@nobody-${Date.now()}:${SERVER_NAME}`, '@someone:elsewhere.example']) {
      const none = await mutual(alice, q(other));
      expect(none.status).toBe(200);
      expectSpec(OP, 200, none.body);
      expect(none.body).toEqual({ joined: [], count: 0 });
    }
  });

  it('pages with next_batch until every room was sent once', async () => {
    const [alice, bob] = [await registerUser(), await registerUser()];
    const shared = await roomsWith(alice, bob, 5);
    const vars = { MUTUAL_ROOMS_BATCH_SIZE: '2' };
    const seen: string[] = [];
    const sizes: number[] = [];
    let from: string | undefined;
    for (let i = 0; i < 5; i++) {
      const r = await mutual(alice, q(bob.userId, from), vars);
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      expectSpec(OP, 200, r.body);
      expect(r.body.count).toBe(5);
      seen.push(...r.body.joined);
      sizes.push(r.body.joined.length);
      if (r.body.next_batch === undefined) break;
      // An opaque identifier (appendices): at most 255 characters of [0-9A-Za-z-._~].
      expect(r.body.next_batch).toMatch(/^[0-9A-Za-z._~-]{1,255}$/);
      from = r.body.next_batch;
    }
    expect(sizes).toEqual([2, 2, 1]);
    expect(new Set(seen).size).toBe(5);
    expect([...seen].sort()).toEqual([...shared].sort());
    // A token stays valid: the second page again gives the same rooms.
    const first = await mutual(alice, q(bob.userId), vars);
    const again1 = await mutual(alice, q(bob.userId, first.body.next_batch), vars);
    const again2 = await mutual(alice, q(bob.userId, first.body.next_batch), vars);
    expect(again1.body.joined).toEqual(again2.body.joined);
    expect(again1.body.joined).toEqual(seen.slice(2, 4));
  });

  it('refuses a missing, malformed, non-compliant, repeated or own user_id, and a bad from token', async () => {
    const [alice, bob] = [await registerUser(), await registerUser()];
    const bad = async (query: string, errcode: string) => {
      const r = await mutual(alice, query);
      expect(r.status, `${query}: ${JSON.stringify(r.body)}`).toBe(400);
      expect(r.body.errcode).toBe(errcode);
      expectSpec(OP, 400, r.body);
    };
    await bad('', 'M_MISSING_PARAM');
    await bad('?from=abc', 'M_MISSING_PARAM');
    await bad('?user_id=', 'M_INVALID_PARAM');
    await bad('?user_id=bob', 'M_INVALID_PARAM');
    await bad(`?user_id=${encodeURIComponent('@bob')}`, 'M_INVALID_PARAM');
    await bad(`?user_id=${encodeURIComponent(`@bé:${SERVER_NAME}`)}`, 'M_INVALID_PARAM');
    await bad(`?user_id=${encodeURIComponent(`@b b:${SERVER_NAME}`)}`, 'M_INVALID_PARAM');
    await bad(`${q(bob.userId)}&user_id=${encodeURIComponent(alice.userId)}`, 'M_INVALID_PARAM');
    await bad(q(alice.userId), 'M_INVALID_PARAM');
    await bad(q(bob.userId, 'not a token'), 'M_INVALID_PARAM');
    await bad(q(bob.userId, 'x'.repeat(300)), 'M_INVALID_PARAM');
    const anonymous = await call('GET', v1(`/mutual_rooms${q(bob.userId)}`));
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.errcode).toBe('M_MISSING_TOKEN');
  });
});
