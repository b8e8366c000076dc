import { describe, expect, it } from 'vitest';
import { call, login, newIp, registerUser } from './helpers/client';
import { expectSpec } from './helpers/spec';

const LOGIN = '/_matrix/client/v3/login';

describe('GET /login', () => {
  it('offers password login', async () => {
    const r = await call('GET', LOGIN);
    expect(r.status).toBe(200);
    expectSpec('GET /_matrix/client/v3/login', 200, r.body);
    expect(r.body.flows).toContainEqual({ type: 'm.login.password' });
  });
});

describe('POST /login', () => {
  it('logs in with m.id.user by localpart and by full id, each time a new device', async () => {
    const user = await registerUser();
    const a = await login(user);
    expect(a.status).toBe(200);
    expectSpec('POST /_matrix/client/v3/login', 200, a.body);
    expect(a.body.user_id).toBe(user.userId);
    expect(a.body.device_id).not.toBe(user.deviceId);
    expect(a.body.well_known['m.homeserver'].base_url).toBe('https://test.local');
    const b = await login({ localpart: user.userId, password: user.password });
    expect(b.status).toBe(200);
    expect(b.body.user_id).toBe(user.userId);
    const who = await call('GET', '/_matrix/client/v3/account/whoami', { token: b.body.access_token });
    expect(who.body).toEqual({ user_id: user.userId, device_id: b.body.device_id, is_guest: false });
  });

  it('accepts the legacy top-level user field and a case-insensitive localpart', async () => {
    const user = await registerUser();
    const r = await call('POST', LOGIN, { body: { type: 'm.login.password', user: user.localpart.toUpperCase(), password: user.password } });
    expect(r.status).toBe(200);
    expect(r.body.user_id).toBe(user.userId);
  });

  it('reuses a device id given by the client and keeps its display name', async () => {
    const user = await registerUser();
    const r = await login(user, { device_id: 'KEEPME', initial_device_display_name: 'Laptop' });
    expect(r.body.device_id).toBe('KEEPME');
    const again = await login(user, { device_id: 'KEEPME' });
    expect(again.body.device_id).toBe('KEEPME');
    const dev = await call('GET', '/_matrix/client/v3/devices/KEEPME', { token: again.body.access_token });
    expect(dev.body.display_name).toBe('Laptop');
  });

  it('refuses a wrong password, an unknown user and a foreign server with the same 403', async () => {
    const user = await registerUser();
    const wrong = await login({ localpart: user.localpart, password: 'not it' });
    const unknown = await login({ localpart: 'nobody-here', password: 'x' });
    const foreign = await login({ localpart: `@${user.localpart}:elsewhere.example`, password: user.password });
    for (const r of [wrong, unknown, foreign]) {
      expect(r.status).toBe(403);
      expect(r.body).toEqual({ errcode: 'M_FORBIDDEN', error: 'Invalid username or password' });
    }
  });

  it('refuses unknown login types and third-party identifiers', async () => {
    const r = await call('POST', LOGIN, { body: { type: 'm.login.magic', user: 'x' } });
    expect(r.status).toBe(400);
    expect(r.body.errcode).toBe('M_UNKNOWN');
    const tp = await call('POST', LOGIN, { body: { type: 'm.login.password', identifier: { type: 'm.id.thirdparty', medium: 'email', address: 'a@b.c' }, password: 'x' } });
    expect(tp.status).toBe(403);
    const missing = await call('POST', LOGIN, { body: { type: 'm.login.password', password: 'x' } });
    expect(missing.status).toBe(400);
    expect(missing.body.errcode).toBe('M_BAD_JSON');
  });

  it('slows a brute force on one account with 429 M_LIMIT_EXCEEDED, whatever the address', async () => {
    const user = await registerUser();
    const statuses: number[] = [];
    let limited;
    for (let i = 0; i < 8; i++) {
      const r = await login({ localpart: user.localpart, password: `guess-${i}` });
      statuses.push(r.status);
      if (r.status === 429) {
        limited = r;
        break;
      }
    }
    expect(statuses.slice(0, 3)).toEqual([403, 403, 403]);
    expect(statuses).toHaveLength(4);
    expect(limited?.body.errcode).toBe('M_LIMIT_EXCEEDED');
    expect(limited?.body.retry_after_ms).toBeGreaterThan(0);
    // Even the right password waits until the limit allows another try.
    const right = await login(user);
    expect(right.status).toBe(429);
  });

  it('rate-limits logins from one address', async () => {
    const ip = newIp();
    const users = await Promise.all([0, 1, 2, 3, 4, 5, 6].map(() => registerUser()));
    const statuses = [];
    for (const u of users) {
      const r = await call('POST', LOGIN, { body: { type: 'm.login.password', user: u.localpart, password: u.password }, ip });
      statuses.push(r.status);
    }
    expect(statuses.slice(0, 5)).toEqual([200, 200, 200, 200, 200]);
    expect(statuses).toContain(429);
  });

  it('refuses login to a deactivated account', async () => {
    const user = await registerUser();
    const first = await call('POST', '/_matrix/client/v3/account/deactivate', { token: user.token, body: {} });
    await call('POST', '/_matrix/client/v3/account/deactivate', {
      token: user.token,
      body: { auth: { type: 'm.login.password', identifier: { type: 'm.id.user', user: user.userId }, password: user.password, session: first.body.session } },
    });
    const r = await login(user);
    expect(r.status).toBe(403);
  });
});

describe('refresh tokens', () => {
  it('rotates the pair; the old refresh token works until the new pair is used, then never', async () => {
    const user = await registerUser();
    const l = await login(user, { refresh_token: true });
    expect(l.body.refresh_token).toMatch(/^myr_/);
    expect(l.body.expires_in_ms).toBe(60_000);

    const r1 = await call('POST', '/_matrix/client/v3/refresh', { body: { refresh_token: l.body.refresh_token } });
    expect(r1.status).toBe(200);
    expectSpec('POST /_matrix/client/v3/refresh', 200, r1.body);
    expect(r1.body.refresh_token).not.toBe(l.body.refresh_token);
    expect(r1.body.access_token).not.toBe(l.body.access_token);

    // The access token that was refreshed is dead at once.
    const oldAccess = await call('GET', '/_matrix/client/v3/account/whoami', { token: l.body.access_token });
    expect(oldAccess.status).toBe(401);
    // The new access token works; using it retires the old refresh token.
    const who = await call('GET', '/_matrix/client/v3/account/whoami', { token: r1.body.access_token });
    expect(who.body.device_id).toBe(l.body.device_id);
    const reuse = await call('POST', '/_matrix/client/v3/refresh', { body: { refresh_token: l.body.refresh_token } });
    expect(reuse.status).toBe(401);
    expect(reuse.body).toMatchObject({ errcode: 'M_UNKNOWN_TOKEN', soft_logout: false });

    const r2 = await call('POST', '/_matrix/client/v3/refresh', { body: { refresh_token: r1.body.refresh_token } });
    expect(r2.status).toBe(200);
  });

  it('reports an expired access token as a soft logout', async () => {
    const user = await registerUser();
    const vars = { ACCESS_TOKEN_LIFETIME_MS: '300' };
    const l = await call('POST', LOGIN, { body: { type: 'm.login.password', user: user.localpart, password: user.password, refresh_token: true }, vars });
    expect(l.body.expires_in_ms).toBe(300);
    await new Promise((r) => setTimeout(r, 400));
    const expired = await call('GET', '/_matrix/client/v3/account/whoami', { token: l.body.access_token });
    expect(expired.status).toBe(401);
    expect(expired.body).toMatchObject({ errcode: 'M_UNKNOWN_TOKEN', soft_logout: true });
    const refreshed = await call('POST', '/_matrix/client/v3/refresh', { body: { refresh_token: l.body.refresh_token } });
    expect(refreshed.status).toBe(200);
    const ok = await call('GET', '/_matrix/client/v3/account/whoami', { token: refreshed.body.access_token });
    expect(ok.status).toBe(200);
  });

  it('refuses garbage and unknown refresh tokens', async () => {
    for (const refresh_token of ['garbage', 'myr_bm9ib2R5_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA']) {
      const r = await call('POST', '/_matrix/client/v3/refresh', { body: { refresh_token } });
      expect(r.status).toBe(401);
      expect(r.body.errcode).toBe('M_UNKNOWN_TOKEN');
    }
    const bad = await call('POST', '/_matrix/client/v3/refresh', { body: {} });
    expect(bad.status).toBe(400);
    expect(bad.body.errcode).toBe('M_BAD_JSON');
  });
});
