// Login tokens: POST /login/get_token behind user-interactive auth, m.login.token login (single
// use, two minutes), advertised in GET /login and /capabilities, rate-limited.
import { env } from 'cloudflare:test';
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import type { Env } from '../../src/config';
import { httpDb } from '../../src/db/client';
import { loginTokens } from '../../src/db/schema';
import { hashToken } from '../../src/services/auth/tokens';
import { call, registerUser, withPasswordAuth, type TestUser } from './helpers/client';
import { expectSpec } from './helpers/spec';

const GET_TOKEN = '/_matrix/client/v1/login/get_token';
const LOGIN = '/_matrix/client/v3/login';

async function getToken(user: TestUser): Promise<string> {
  const r = await withPasswordAuth('POST', GET_TOKEN, user);
  expect(r.status, JSON.stringify(r.body)).toBe(200);
  expectSpec('POST /_matrix/client/v1/login/get_token', 200, r.body);
  expect(r.body.expires_in_ms).toBe(120_000);
  return r.body.login_token;
}

const tokenLogin = (token: unknown, extra: Record<string, unknown> = {}) => call('POST', LOGIN, { body: { type: 'm.login.token', token, ...extra } });

describe('login tokens', () => {
  it('are advertised by GET /login and /capabilities', async () => {
    const flows = await call('GET', LOGIN);
    expectSpec('GET /_matrix/client/v3/login', 200, flows.body);
    expect(flows.body.flows).toContainEqual({ type: 'm.login.token', get_login_token: true });
    const user = await registerUser();
    const caps = await call('GET', '/_matrix/client/v3/capabilities', { token: user.token });
    expectSpec('GET /_matrix/client/v3/capabilities', 200, caps.body);
    expect(caps.body.capabilities['m.get_login_token']).toEqual({ enabled: true });
    const guest = await call('POST', '/_matrix/client/v3/register?kind=guest', { body: {}, vars: { GUEST_ACCESS: 'on' } });
    const guestCaps = await call('GET', '/_matrix/client/v3/capabilities', { token: guest.body.access_token, vars: { GUEST_ACCESS: 'on' } });
    expect(guestCaps.body.capabilities['m.get_login_token']).toEqual({ enabled: false });
  });

  it('log another device in once, and never again', async () => {
    const user = await registerUser();
    const token = await getToken(user);
    const r = await tokenLogin(token, { initial_device_display_name: 'Second device' });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expectSpec('POST /_matrix/client/v3/login', 200, r.body);
    expect(r.body.user_id).toBe(user.userId);
    expect(r.body.device_id).not.toBe(user.deviceId);
    const who = await call('GET', '/_matrix/client/v3/account/whoami', { token: r.body.access_token });
    expect(who.body).toEqual({ user_id: user.userId, device_id: r.body.device_id, is_guest: false });
    const device = await call('GET', `/_matrix/client/v3/devices/${r.body.device_id}`, { token: user.token });
    expect(device.body.display_name).toBe('Second device');

    const again = await tokenLogin(token);
    expect(again.status).toBe(403);
    expect(again.body.errcode).toBe('M_FORBIDDEN');
  });

  it('issue refresh tokens when asked, as password logins do', async () => {
    const user = await registerUser();
    const r = await tokenLogin(await getToken(user), { refresh_token: true });
    expect(r.status).toBe(200);
    expectSpec('POST /_matrix/client/v3/login', 200, r.body);
    expect(typeof r.body.refresh_token).toBe('string');
    expect(r.body.expires_in_ms).toBeGreaterThan(0);
  });

  it('are used by one of two concurrent logins only', async () => {
    const user = await registerUser();
    const token = await getToken(user);
    const results = await Promise.all([tokenLogin(token), tokenLogin(token), tokenLogin(token)]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 403, 403]);
  });

  it('do not work after they expire', async () => {
    const user = await registerUser();
    const token = await getToken(user);
    const db = httpDb(env as unknown as Env);
    const [row] = await db.select().from(loginTokens).where(eq(loginTokens.tokenHash, await hashToken(token)));
    expect(row.userId).toBe(user.userId);
    expect(Math.abs(row.expiresTs - (Date.now() + 120_000))).toBeLessThan(60_000);
    await db.update(loginTokens).set({ expiresTs: Date.now() - 1 }).where(eq(loginTokens.tokenHash, await hashToken(token)));
    const r = await tokenLogin(token);
    expect(r.status).toBe(403);
    expect(r.body.errcode).toBe('M_FORBIDDEN');
  });

  it('do not log in to a deactivated account', async () => {
    const user = await registerUser();
    const token = await getToken(user);
    const d = await withPasswordAuth('POST', '/_matrix/client/v3/account/deactivate', user);
    expect(d.status).toBe(200);
    const r = await tokenLogin(token);
    expect(r.status).toBe(403);
    expect(r.body.errcode).toBe('M_USER_DEACTIVATED');
  });

  it('refuse missing, malformed, forged and access tokens', async () => {
    const missing = await tokenLogin(undefined);
    expect(missing.status).toBe(400);
    expect(missing.body.errcode).toBe('M_BAD_JSON');
    const user = await registerUser();
    const real = await getToken(user);
    // Another user's localpart with a real token's random part: tokens are bound to their user.
    const other = await registerUser();
    const forged = `myt_${btoa(other.localpart).replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_')}_${real.slice(real.lastIndexOf('_') + 1)}`;
    for (const token of ['garbage', 'myt_!!!_x', forged, user.token, 42]) {
      const r = await tokenLogin(token);
      expect(r.status, String(token)).toBe(token === 42 ? 400 : 403);
      expect(r.body.errcode, String(token)).toBe(token === 42 ? 'M_BAD_JSON' : 'M_FORBIDDEN');
    }
    // The real token survived the forgery.
    expect((await tokenLogin(real)).status).toBe(200);
  });
});

describe('POST /login/get_token', () => {
  it('asks for the password each time (user-interactive auth) and refuses a wrong one', async () => {
    const user = await registerUser();
    const first = await call('POST', GET_TOKEN, { token: user.token, body: {} });
    expect(first.status).toBe(401);
    expectSpec('POST /_matrix/client/v1/login/get_token', 401, first.body);
    expect(first.body.flows).toEqual([{ stages: ['m.login.password'] }]);

    const wrong = await call('POST', GET_TOKEN, {
      token: user.token,
      body: { auth: { type: 'm.login.password', identifier: { type: 'm.id.user', user: user.userId }, password: 'wrong', session: first.body.session } },
    });
    expect(wrong.status).toBe(401);
    expect(wrong.body.errcode).toBe('M_FORBIDDEN');
    expect(wrong.body.login_token).toBeUndefined();

    const auth = { type: 'm.login.password', identifier: { type: 'm.id.user', user: user.userId }, password: user.password, session: first.body.session };
    const ok = await call('POST', GET_TOKEN, { token: user.token, body: { auth } });
    expect(ok.status).toBe(200);
    // The completed session cannot be replayed for another token.
    const replay = await call('POST', GET_TOKEN, { token: user.token, body: { auth: { session: first.body.session } } });
    expect(replay.status).toBe(400);
    expect(replay.body.login_token).toBeUndefined();
  });

  it('is limited to one token a minute per user, with a usable retry_after_ms', async () => {
    const user = await registerUser();
    await getToken(user);
    const r = await withPasswordAuth('POST', GET_TOKEN, user);
    expect(r.status).toBe(429);
    expectSpec('POST /_matrix/client/v1/login/get_token', 429, r.body);
    expect(r.body.errcode).toBe('M_LIMIT_EXCEEDED');
    expect(r.body.retry_after_ms).toBeGreaterThan(50_000);
    expect(r.body.retry_after_ms).toBeLessThanOrEqual(60_000);
    // Another user is not affected.
    await getToken(await registerUser());
  });

  it('refuses requests without a token, and guests', async () => {
    const anon = await call('POST', GET_TOKEN, { body: {} });
    expect(anon.status).toBe(401);
    expect(anon.body.errcode).toBe('M_MISSING_TOKEN');
    const guest = await call('POST', '/_matrix/client/v3/register?kind=guest', { body: {}, vars: { GUEST_ACCESS: 'on' } });
    const g = await call('POST', GET_TOKEN, { token: guest.body.access_token, body: {}, vars: { GUEST_ACCESS: 'on' } });
    expect(g.status).toBe(403);
    expect(g.body.errcode).toBe('M_GUEST_ACCESS_FORBIDDEN');
  });
});
