// OpenID: POST /user/{userId}/openid/request_token (only for oneself) and the federation endpoint
// /openid/userinfo through which a third party learns whose token it holds.
import { env } from 'cloudflare:test';
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { httpDb } from '../../src/db/client';
import { openidTokens } from '../../src/db/schema';
import { hashToken } from '../../src/services/auth/tokens';
import type { Env } from '../../src/config';
import { SERVER_NAME, call, registerUser } from './helpers/client';
import { expectSpec } from './helpers/spec';

const requestPath = (userId: string) => `/_matrix/client/v3/user/${encodeURIComponent(userId)}/openid/request_token`;
const userinfo = (token?: string) => `/_matrix/federation/v1/openid/userinfo${token === undefined ? '' : `?access_token=${encodeURIComponent(token)}`}`;
const db = () => httpDb(env as unknown as Env);

describe('OpenID tokens', () => {
  it('issues a token for oneself that /openid/userinfo exchanges for the user id', async () => {
    const user = await registerUser();
    const r = await call('POST', requestPath(user.userId), { token: user.token, body: {} });
    expect(r.status).toBe(200);
    expectSpec('POST /_matrix/client/v3/user/{userId}/openid/request_token', 200, r.body);
    expect(r.body).toMatchObject({ token_type: 'Bearer', matrix_server_name: SERVER_NAME, expires_in: 3600 });
    expect(r.body.access_token).not.toBe(user.token);

    const info = await call('GET', userinfo(r.body.access_token));
    expect(info.status).toBe(200);
    expectSpec('GET /_matrix/federation/v1/openid/userinfo', 200, info.body);
    expect(info.body).toEqual({ sub: user.userId });

    // Stored as a digest, with its expiry an hour ahead.
    const [row] = await db().select().from(openidTokens).where(eq(openidTokens.tokenHash, await hashToken(r.body.access_token)));
    expect(row.userId).toBe(user.userId);
    expect(Math.abs(row.expiresTs - (Date.now() + 3600_000))).toBeLessThan(60_000);
  });

  it("refuses to issue a token for another user", async () => {
    const user = await registerUser();
    const other = await registerUser();
    const r = await call('POST', requestPath(other.userId), { token: user.token, body: {} });
    expect(r.status).toBe(403);
    expect(r.body.errcode).toBe('M_FORBIDDEN');
  });

  it('refuses requests without a token, from guests, and bodies that are not JSON objects', async () => {
    const user = await registerUser();
    const anon = await call('POST', requestPath(user.userId), { body: {} });
    expect(anon.status).toBe(401);
    expect(anon.body.errcode).toBe('M_MISSING_TOKEN');
    const notJson = await call('POST', requestPath(user.userId), { token: user.token, raw: 'nope' });
    expect(notJson.status).toBe(400);
    expect(notJson.body.errcode).toBe('M_NOT_JSON');
    const notObject = await call('POST', requestPath(user.userId), { token: user.token, body: [1] });
    expect(notObject.status).toBe(400);
    expect(notObject.body.errcode).toBe('M_BAD_JSON');
    const guest = await call('POST', '/_matrix/client/v3/register?kind=guest', { body: {}, vars: { GUEST_ACCESS: 'on' } });
    const g = await call('POST', requestPath(guest.body.user_id), { token: guest.body.access_token, body: {}, vars: { GUEST_ACCESS: 'on' } });
    expect(g.status).toBe(403);
    expect(g.body.errcode).toBe('M_GUEST_ACCESS_FORBIDDEN');
  });

  it('userinfo refuses missing, unknown and expired tokens, and access tokens', async () => {
    const missing = await call('GET', userinfo());
    expect(missing.status).toBe(401);
    expect(missing.body.errcode).toBe('M_MISSING_TOKEN');

    const unknown = await call('GET', userinfo('not-a-token'));
    expect(unknown.status).toBe(401);
    expectSpec('GET /_matrix/federation/v1/openid/userinfo', 401, unknown.body);
    expect(unknown.body.errcode).toBe('M_UNKNOWN_TOKEN');

    const user = await registerUser();
    // An access token is not an OpenID token.
    expect((await call('GET', userinfo(user.token))).body.errcode).toBe('M_UNKNOWN_TOKEN');

    const r = await call('POST', requestPath(user.userId), { token: user.token, body: {} });
    await db().update(openidTokens).set({ expiresTs: Date.now() - 1 }).where(eq(openidTokens.tokenHash, await hashToken(r.body.access_token)));
    const expired = await call('GET', userinfo(r.body.access_token));
    expect(expired.status).toBe(401);
    expect(expired.body.errcode).toBe('M_UNKNOWN_TOKEN');
  });

  it('userinfo forgets the tokens of a deactivated account', async () => {
    const user = await registerUser();
    const r = await call('POST', requestPath(user.userId), { token: user.token });
    expect(r.status).toBe(200);
    expect((await call('GET', userinfo(r.body.access_token))).status).toBe(200);
    const d = await call('POST', '/_matrix/client/v3/account/deactivate', {
      token: user.token,
      body: { auth: { type: 'm.login.password', identifier: { type: 'm.id.user', user: user.userId }, password: user.password } },
    });
    expect(d.status).toBe(200);
    const after = await call('GET', userinfo(r.body.access_token));
    expect(after.status).toBe(401);
    expect(after.body.errcode).toBe('M_UNKNOWN_TOKEN');
  });
});
