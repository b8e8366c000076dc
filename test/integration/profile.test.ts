import { describe, expect, it } from 'vitest';
import { call, registerUser } from './helpers/client';
import { expectSpec } from './helpers/spec';

const path = (userId: string, key?: string) => `/_matrix/client/v3/profile/${encodeURIComponent(userId)}${key ? `/${key}` : ''}`;

describe('profiles', () => {
  it('sets and reads displayname, avatar_url and extended fields', async () => {
    const user = await registerUser();
    expect((await call('PUT', path(user.userId, 'displayname'), { token: user.token, body: { displayname: 'Alice A.' } })).status).toBe(200);
    expect((await call('PUT', path(user.userId, 'avatar_url'), { token: user.token, body: { avatar_url: 'mxc://test.local/abcDEF123' } })).status).toBe(200);
    expect((await call('PUT', path(user.userId, 'm.tz'), { token: user.token, body: { 'm.tz': 'Europe/Paris' } })).status).toBe(200);
    expect((await call('PUT', path(user.userId, 'org.example.pronouns'), { token: user.token, body: { 'org.example.pronouns': ['she', 'her'] } })).status).toBe(200);

    const all = await call('GET', path(user.userId));
    expect(all.status).toBe(200);
    expectSpec('GET /_matrix/client/v3/profile/{userId}', 200, all.body);
    expect(all.body).toEqual({ displayname: 'Alice A.', avatar_url: 'mxc://test.local/abcDEF123', 'm.tz': 'Europe/Paris', 'org.example.pronouns': ['she', 'her'] });

    const one = await call('GET', path(user.userId, 'displayname'));
    expectSpec('GET /_matrix/client/v3/profile/{userId}/{keyName}', 200, one.body);
    expect(one.body).toEqual({ displayname: 'Alice A.' });

    const del = await call('DELETE', path(user.userId, 'org.example.pronouns'), { token: user.token });
    expect(del.status).toBe(200);
    const gone = await call('GET', path(user.userId, 'org.example.pronouns'));
    expect(gone.status).toBe(404);
    expect(gone.body.errcode).toBe('M_NOT_FOUND');
  });

  it("refuses changes to another user's profile", async () => {
    const user = await registerUser();
    const mallory = await registerUser();
    const r = await call('PUT', path(user.userId, 'displayname'), { token: mallory.token, body: { displayname: 'pwned' } });
    expect(r.status).toBe(403);
    expect(r.body.errcode).toBe('M_FORBIDDEN');
    const d = await call('DELETE', path(user.userId, 'displayname'), { token: mallory.token });
    expect(d.status).toBe(403);
    expect((await call('GET', path(user.userId, 'displayname'))).body.displayname).toBe(user.localpart);
    const anon = await call('PUT', path(user.userId, 'displayname'), { body: { displayname: 'x' } });
    expect(anon.status).toBe(401);
  });

  it('validates keys and values', async () => {
    const user = await registerUser();
    const cases: [string, unknown, number, string][] = [
      ['displayname', { displayname: 42 }, 400, 'M_BAD_JSON'],
      ['avatar_url', { avatar_url: 'https://example.com/a.png' }, 400, 'M_BAD_JSON'],
      ['displayname', { other: 'x' }, 400, 'M_MISSING_PARAM'],
      ['Not.Valid', { 'Not.Valid': 1 }, 400, 'M_INVALID_PARAM'],
      ['nodots', { nodots: 1 }, 400, 'M_INVALID_PARAM'],
      [`a.${'b'.repeat(260)}`, { x: 1 }, 400, 'M_KEY_TOO_LARGE'],
    ];
    for (const [key, body, status, errcode] of cases) {
      const r = await call('PUT', path(user.userId, key), { token: user.token, body });
      expect(r.status, key).toBe(status);
      expect(r.body.errcode, key).toBe(errcode);
    }
  });

  it('keeps the whole profile under 64 KiB', async () => {
    const user = await registerUser();
    const big = 'x'.repeat(40 * 1024);
    expect((await call('PUT', path(user.userId, 'org.example.a'), { token: user.token, body: { 'org.example.a': big } })).status).toBe(200);
    const r = await call('PUT', path(user.userId, 'org.example.b'), { token: user.token, body: { 'org.example.b': big } });
    expect(r.status).toBe(400);
    expect(r.body.errcode).toBe('M_PROFILE_TOO_LARGE');
    expect((await call('GET', path(user.userId, 'org.example.b'))).status).toBe(404);
  });

  it('answers 404 for unknown users', async () => {
    const r = await call('GET', path('@nobody-at-all:test.local'));
    expect(r.status).toBe(404);
    expect(r.body.errcode).toBe('M_NOT_FOUND');
  });
});
