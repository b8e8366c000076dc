// Room tags (spec: client-server "Room Tagging"; tags.yaml, m.tag): set, listed and removed per
// user and room, and received as the room's m.tag account data in /sync.
import { describe, expect, it } from 'vitest';
import { call, registerUser, type TestUser } from './helpers/client';
import { enc } from './helpers/rooms';
import { expectSpec } from './helpers/spec';
import { roomAccountDataOf, roomWith, sync, users } from './sync/helpers';

const tagsPath = (userId: string, roomId: string) => `/_matrix/client/v3/user/${enc(userId)}/rooms/${enc(roomId)}/tags`;
const tagPath = (userId: string, roomId: string, tag: string) => `${tagsPath(userId, roomId)}/${enc(tag)}`;

function putTag(user: TestUser, roomId: string, tag: string, body: unknown) {
  return call('PUT', tagPath(user.userId, roomId, tag), { token: user.token, body });
}

async function tagsOf(user: TestUser, roomId: string) {
  const r = await call('GET', tagsPath(user.userId, roomId), { token: user.token });
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  expectSpec('GET /_matrix/client/v3/user/{userId}/rooms/{roomId}/tags', 200, r.body);
  return r.body.tags;
}

describe('room tags', () => {
  it('a room without tags lists none; tags are added, replaced and removed one by one', async () => {
    const user = await registerUser();
    const roomId = '!tagged:test.local';
    expect(await tagsOf(user, roomId)).toEqual({});
    const put = await putTag(user, roomId, 'm.favourite', { order: 0.25 });
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    expectSpec('PUT /_matrix/client/v3/user/{userId}/rooms/{roomId}/tags/{tag}', 200, put.body);
    expect((await putTag(user, roomId, 'u.work', {})).status).toBe(200);
    expect(await tagsOf(user, roomId)).toEqual({ 'm.favourite': { order: 0.25 }, 'u.work': {} });
    expect((await putTag(user, roomId, 'm.favourite', { order: 1 })).status).toBe(200);
    expect(await tagsOf(user, roomId)).toEqual({ 'm.favourite': { order: 1 }, 'u.work': {} });
    const del = await call('DELETE', tagPath(user.userId, roomId, 'm.favourite'), { token: user.token });
    expect(del.status).toBe(200);
    expectSpec('DELETE /_matrix/client/v3/user/{userId}/rooms/{roomId}/tags/{tag}', 200, del.body);
    expect(await tagsOf(user, roomId)).toEqual({ 'u.work': {} });
    // Removing a tag the room does not have is not an error.
    expect((await call('DELETE', tagPath(user.userId, roomId, 'm.lowpriority'), { token: user.token })).status).toBe(200);
    // Tags are per room.
    expect(await tagsOf(user, '!other:test.local')).toEqual({});
  });

  it('concurrent changes of different tags are all kept', async () => {
    const user = await registerUser();
    const roomId = '!many:test.local';
    const names = Array.from({ length: 8 }, (_, i) => `u.t${i}`);
    const replies = await Promise.all(names.map((t, i) => putTag(user, roomId, t, { order: i / 10 })));
    expect(replies.map((r) => r.status)).toEqual(names.map(() => 200));
    expect(Object.keys(await tagsOf(user, roomId)).sort()).toEqual(names);
  });

  it('the tags come down /sync as the room’s m.tag account data, initial and incremental', async () => {
    const [alice, bob] = await users(2);
    const roomId = await roomWith(alice, [bob]);
    expect((await putTag(bob, roomId, 'm.favourite', { order: 0.5 })).status).toBe(200);
    const first = await sync(bob);
    expect(roomAccountDataOf(first, roomId)).toContainEqual({ type: 'm.tag', content: { tags: { 'm.favourite': { order: 0.5 } } } });
    expect((await call('DELETE', tagPath(bob.userId, roomId, 'm.favourite'), { token: bob.token })).status).toBe(200);
    const next = await sync(bob, { since: first.next_batch });
    expect(roomAccountDataOf(next, roomId)).toContainEqual({ type: 'm.tag', content: { tags: {} } });
    // The m.tag account data is the tags, read back the same way.
    const data = await call('GET', `/_matrix/client/v3/user/${enc(bob.userId)}/rooms/${enc(roomId)}/account_data/m.tag`, { token: bob.token });
    expect(data.body).toEqual({ tags: {} });
  });

  it('refused: order that is not a number in [0,1] (400 M_BAD_JSON), a tag over 255 bytes, a bad room id (400), another user’s tags (403)', async () => {
    const [user, mallory] = await Promise.all([registerUser(), registerUser()]);
    const roomId = '!refused:test.local';
    for (const order of ['0.5', 1.5, -0.1, null, true]) {
      const r = await putTag(user, roomId, 'u.x', { order });
      expect(r.status, JSON.stringify(order)).toBe(400);
      expect(r.body.errcode).toBe('M_BAD_JSON');
    }
    const notJson = await call('PUT', tagPath(user.userId, roomId, 'u.x'), { token: user.token, raw: '{', headers: { 'content-type': 'application/json' } });
    expect(notJson.status).toBe(400);
    expect(notJson.body.errcode).toBe('M_NOT_JSON');
    const long = await putTag(user, roomId, `u.${'x'.repeat(254)}`, {});
    expect(long.status).toBe(400);
    expect(long.body.errcode).toBe('M_INVALID_PARAM');
    const badRoom = await putTag(user, 'not-a-room', 'u.x', {});
    expect(badRoom.status).toBe(400);
    expect(badRoom.body.errcode).toBe('M_INVALID_PARAM');
    for (const [method, path] of [['GET', tagsPath(user.userId, roomId)], ['PUT', tagPath(user.userId, roomId, 'u.x')], ['DELETE', tagPath(user.userId, roomId, 'u.x')]]) {
      const r = await call(method, path, { token: mallory.token, ...(method === 'PUT' ? { body: {} } : {}) });
      expect(r.status, method).toBe(403);
      expect(r.body.errcode).toBe('M_FORBIDDEN');
    }
    const anonymous = await call('GET', tagsPath(user.userId, roomId));
    expect(anonymous.status).toBe(401);
    // Nothing refused was stored.
    expect(await tagsOf(user, roomId)).toEqual({});
  });
});
