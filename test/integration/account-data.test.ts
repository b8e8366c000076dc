import { describe, expect, it } from 'vitest';
import { call, registerUser } from './helpers/client';
import { expectSpec } from './helpers/spec';

const global = (userId: string, type: string) => `/_matrix/client/v3/user/${encodeURIComponent(userId)}/account_data/${type}`;
const room = (userId: string, roomId: string, type: string) =>
  `/_matrix/client/v3/user/${encodeURIComponent(userId)}/rooms/${encodeURIComponent(roomId)}/account_data/${type}`;

describe('account data', () => {
  it('stores global and per-room data separately and replaces on write', async () => {
    const user = await registerUser();
    const roomId = '!abc:test.local';
    expect((await call('PUT', global(user.userId, 'org.example.settings'), { token: user.token, body: { theme: 'dark' } })).status).toBe(200);
    expect((await call('PUT', room(user.userId, roomId, 'org.example.settings'), { token: user.token, body: { muted: true } })).status).toBe(200);
    const g = await call('GET', global(user.userId, 'org.example.settings'), { token: user.token });
    expect(g.status).toBe(200);
    expectSpec('GET /_matrix/client/v3/user/{userId}/account_data/{type}', 200, g.body);
    expect(g.body).toEqual({ theme: 'dark' });
    const r = await call('GET', room(user.userId, roomId, 'org.example.settings'), { token: user.token });
    expect(r.body).toEqual({ muted: true });
    await call('PUT', global(user.userId, 'org.example.settings'), { token: user.token, body: { font: 'big' } });
    expect((await call('GET', global(user.userId, 'org.example.settings'), { token: user.token })).body).toEqual({ font: 'big' });
  });

  it('answers 404 for data never set', async () => {
    const user = await registerUser();
    const r = await call('GET', global(user.userId, 'org.example.none'), { token: user.token });
    expect(r.status).toBe(404);
    expect(r.body.errcode).toBe('M_NOT_FOUND');
  });

  it("refuses reading or writing another user's account data", async () => {
    const user = await registerUser();
    const mallory = await registerUser();
    await call('PUT', global(user.userId, 'm.direct'), { token: user.token, body: { '@x:test.local': ['!r:test.local'] } });
    const read = await call('GET', global(user.userId, 'm.direct'), { token: mallory.token });
    expect(read.status).toBe(403);
    expect(read.body.errcode).toBe('M_FORBIDDEN');
    const write = await call('PUT', global(user.userId, 'm.direct'), { token: mallory.token, body: {} });
    expect(write.status).toBe(403);
    const roomWrite = await call('PUT', room(user.userId, '!abc:test.local', 'x.y'), { token: mallory.token, body: {} });
    expect(roomWrite.status).toBe(403);
    expect((await call('GET', global(user.userId, 'm.direct'), { token: user.token })).body).toEqual({ '@x:test.local': ['!r:test.local'] });
  });

  it('refuses server-managed types with 405 M_BAD_JSON, bad room ids and non-object bodies', async () => {
    const user = await registerUser();
    const pr = await call('PUT', global(user.userId, 'm.push_rules'), { token: user.token, body: {} });
    expect(pr.status).toBe(405);
    expect(pr.body.errcode).toBe('M_BAD_JSON');
    const fr = await call('PUT', room(user.userId, '!abc:test.local', 'm.fully_read'), { token: user.token, body: { event_id: '$x' } });
    expect(fr.status).toBe(405);
    expect(fr.body.errcode).toBe('M_BAD_JSON');
    const badRoom = await call('PUT', room(user.userId, 'not-a-room', 'x.y'), { token: user.token, body: {} });
    expect(badRoom.status).toBe(400);
    expect(badRoom.body.errcode).toBe('M_INVALID_PARAM');
    const arr = await call('PUT', global(user.userId, 'x.y'), { token: user.token, body: [1] });
    expect(arr.status).toBe(400);
    expect(arr.body.errcode).toBe('M_BAD_JSON');
  });
});
