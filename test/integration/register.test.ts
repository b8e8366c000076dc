import { describe, expect, it } from 'vitest';
import { env } from 'cloudflare:test';
import { httpDb } from '../../src/db/client';
import { registrationTokens } from '../../src/db/schema';
import { call, login, newIp, registerUser, uniqueName } from './helpers/client';
import { expectSpec } from './helpers/spec';

const REGISTER = '/_matrix/client/v3/register';

describe('POST /register', () => {
  it('runs user-interactive auth with m.login.dummy on an open server', async () => {
    const username = uniqueName();
    const ip = newIp();
    const first = await call('POST', REGISTER, { body: { username, password: 'secret' }, ip });
    expect(first.status).toBe(401);
    expectSpec('POST /_matrix/client/v3/register', 401, first.body);
    expect(first.body.flows).toEqual([{ stages: ['m.login.dummy'] }]);
    expect(first.body.session).toEqual(expect.any(String));

    const done = await call('POST', REGISTER, { body: { username, password: 'secret', initial_device_display_name: 'Phone', auth: { type: 'm.login.dummy', session: first.body.session } }, ip });
    expect(done.status).toBe(200);
    expectSpec('POST /_matrix/client/v3/register', 200, done.body);
    expect(done.body.user_id).toBe(`@${username}:test.local`);
    expect(done.body.access_token).toMatch(/^myl_/);
    const who = await call('GET', '/_matrix/client/v3/account/whoami', { token: done.body.access_token });
    expect(who.body).toEqual({ user_id: done.body.user_id, device_id: done.body.device_id, is_guest: false });
    const devices = await call('GET', '/_matrix/client/v3/devices', { token: done.body.access_token });
    expect(devices.body.devices).toEqual([expect.objectContaining({ device_id: done.body.device_id, display_name: 'Phone' })]);
    const profile = await call('GET', `/_matrix/client/v3/profile/${encodeURIComponent(done.body.user_id)}`);
    expect(profile.body.displayname).toBe(username);
  });

  it('generates a localpart when none is chosen, and honours inhibit_login and device_id', async () => {
    const ip = newIp();
    const first = await call('POST', REGISTER, { body: { password: 'secret' }, ip });
    const done = await call('POST', REGISTER, { body: { password: 'secret', device_id: 'MYDEVICE', auth: { type: 'm.login.dummy', session: first.body.session } }, ip });
    expect(done.status).toBe(200);
    expect(done.body.user_id).toMatch(/^@\d+:test\.local$/);
    expect(done.body.device_id).toBe('MYDEVICE');

    const name = uniqueName();
    const a = await call('POST', REGISTER, { body: { username: name, password: 'secret', inhibit_login: true }, ip });
    const b = await call('POST', REGISTER, { body: { username: name, password: 'secret', inhibit_login: true, auth: { type: 'm.login.dummy', session: a.body.session } }, ip });
    expect(b.status).toBe(200);
    expect(b.body).toEqual({ user_id: `@${name}:test.local` });
  });

  it('issues a refresh token when asked', async () => {
    const user = await registerUser({ refresh: true });
    expect(user.refreshToken).toMatch(/^myr_/);
  });

  it('refuses taken, invalid and reserved usernames before any authentication', async () => {
    const user = await registerUser();
    const taken = await call('POST', REGISTER, { body: { username: user.localpart, password: 'x' } });
    expect(taken.status).toBe(400);
    expect(taken.body.errcode).toBe('M_USER_IN_USE');
    for (const username of ['Upper', 'sp ace', 'colon:x', '', '12345', 'x'.repeat(250), 'é']) {
      const r = await call('POST', REGISTER, { body: { username, password: 'x' } });
      expect(r.status, username).toBe(400);
      expect(r.body.errcode, username).toBe('M_INVALID_USERNAME');
    }
  });

  it('refuses a registration without a password, and an unknown kind', async () => {
    const r = await call('POST', REGISTER, { body: { username: uniqueName() } });
    expect(r.status).toBe(400);
    expect(r.body.errcode).toBe('M_MISSING_PARAM');
    const kind = await call('POST', `${REGISTER}?kind=admin`, { body: {} });
    expect(kind.status).toBe(400);
    expect(kind.body.errcode).toBe('M_INVALID_PARAM');
  });

  it('refuses a stage that was not offered, and an unknown session', async () => {
    const first = await call('POST', REGISTER, { body: { username: uniqueName(), password: 'x' } });
    const wrong = await call('POST', REGISTER, { body: { username: uniqueName(), password: 'x', auth: { type: 'm.login.password', session: first.body.session } } });
    expect(wrong.status).toBe(401);
    expect(wrong.body.errcode).toBe('M_BAD_JSON');
    expect(wrong.body.flows).toEqual([{ stages: ['m.login.dummy'] }]);
    const unknown = await call('POST', REGISTER, { body: { username: uniqueName(), password: 'x', auth: { type: 'm.login.dummy', session: 'nope' } } });
    expect(unknown.status).toBe(400);
  });

  it('refuses all registration on a closed server', async () => {
    const r = await call('POST', REGISTER, { body: { username: uniqueName(), password: 'x' }, vars: { REGISTRATION: 'closed' } });
    expect(r.status).toBe(403);
    expect(r.body.errcode).toBe('M_FORBIDDEN');
    const validity = await call('GET', '/_matrix/client/v1/register/m.login.registration_token/validity?token=abc', { vars: { REGISTRATION: 'closed' } });
    expect(validity.status).toBe(403);
  });

  it('requires a valid registration token on a token-only server', async () => {
    const vars = { REGISTRATION: 'token' };
    const token = uniqueName('tok');
    await httpDb(env).insert(registrationTokens).values({ token, usesAllowed: 1 });

    const ip = newIp();
    const username = uniqueName();
    const first = await call('POST', REGISTER, { body: { username, password: 'x' }, vars, ip });
    expect(first.status).toBe(401);
    expect(first.body.flows).toEqual([{ stages: ['m.login.registration_token'] }]);
    const wrong = await call('POST', REGISTER, { body: { username, password: 'x', auth: { type: 'm.login.registration_token', token: 'wrong', session: first.body.session } }, vars, ip });
    expect(wrong.status).toBe(401);
    expect(wrong.body.errcode).toBe('M_UNAUTHORIZED');
    const dummy = await call('POST', REGISTER, { body: { username, password: 'x', auth: { type: 'm.login.dummy', session: first.body.session } }, vars, ip });
    expect(dummy.status).toBe(401);

    const valid = await call('GET', `/_matrix/client/v1/register/m.login.registration_token/validity?token=${token}`, { vars });
    expect(valid.status).toBe(200);
    expectSpec('GET /_matrix/client/v1/register/m.login.registration_token/validity', 200, valid.body);
    expect(valid.body).toEqual({ valid: true });

    const ok = await call('POST', REGISTER, { body: { username, password: 'x', auth: { type: 'm.login.registration_token', token, session: first.body.session } }, vars, ip });
    expect(ok.status).toBe(200);
    expect(ok.body.user_id).toBe(`@${username}:test.local`);

    // The token allowed one use: it is spent now.
    const spent = await call('GET', `/_matrix/client/v1/register/m.login.registration_token/validity?token=${token}`, { vars });
    expect(spent.body).toEqual({ valid: false });
    const again = await call('POST', REGISTER, { body: { username: uniqueName(), password: 'x' }, vars });
    const refused = await call('POST', REGISTER, { body: { username: uniqueName(), password: 'x', auth: { type: 'm.login.registration_token', token, session: again.body.session } }, vars });
    expect(refused.status).toBe(401);
    expect(refused.body.errcode).toBe('M_UNAUTHORIZED');
  });

  it('validates the token parameter of the validity endpoint', async () => {
    const bad = await call('GET', '/_matrix/client/v1/register/m.login.registration_token/validity?token=has%20space', { vars: { REGISTRATION: 'token' } });
    expect(bad.status).toBe(400);
    expect(bad.body.errcode).toBe('M_INVALID_PARAM');
    const missing = await call('GET', '/_matrix/client/v1/register/m.login.registration_token/validity', { vars: { REGISTRATION: 'token' } });
    expect(missing.body.errcode).toBe('M_MISSING_PARAM');
  });

  it('rate-limits registrations from one address with M_LIMIT_EXCEEDED and retry_after_ms', async () => {
    const ip = newIp();
    let limited;
    for (let i = 0; i < 8 && !limited; i++) {
      const r = await call('POST', REGISTER, { body: { username: uniqueName(), password: 'x' }, ip });
      if (r.status === 429) limited = r;
    }
    expect(limited?.body.errcode).toBe('M_LIMIT_EXCEEDED');
    expect(limited?.body.retry_after_ms).toBeGreaterThan(0);
    expect(limited?.headers.get('retry-after')).toMatch(/^\d+$/);
    // The limit is per address: another client is not affected.
    const other = await call('POST', REGISTER, { body: { username: uniqueName(), password: 'x' } });
    expect(other.status).toBe(401);
  });

  it('registers guests only when guest access is enabled', async () => {
    const off = await call('POST', `${REGISTER}?kind=guest`, { body: {} });
    expect(off.status).toBe(403);
    expect(off.body.errcode).toBe('M_GUEST_ACCESS_FORBIDDEN');
    const on = await call('POST', `${REGISTER}?kind=guest`, { body: { initial_device_display_name: 'Guest' }, vars: { GUEST_ACCESS: 'on' } });
    expect(on.status).toBe(200);
    expect(on.body.user_id).toMatch(/^@\d+:test\.local$/);
    const who = await call('GET', '/_matrix/client/v3/account/whoami', { token: on.body.access_token });
    expect(who.body.is_guest).toBe(true);
    // Guests may not manage devices.
    const devices = await call('GET', '/_matrix/client/v3/devices', { token: on.body.access_token });
    expect(devices.status).toBe(403);
    expect(devices.body.errcode).toBe('M_GUEST_ACCESS_FORBIDDEN');
  });
});

describe('GET /register/available', () => {
  it('answers available, taken and invalid usernames', async () => {
    const free = await call('GET', `/_matrix/client/v3/register/available?username=${uniqueName()}`);
    expect(free.status).toBe(200);
    expectSpec('GET /_matrix/client/v3/register/available', 200, free.body);
    expect(free.body).toEqual({ available: true });
    const user = await registerUser();
    const taken = await call('GET', `/_matrix/client/v3/register/available?username=${user.localpart}`);
    expect(taken.status).toBe(400);
    expect(taken.body.errcode).toBe('M_USER_IN_USE');
    const invalid = await call('GET', '/_matrix/client/v3/register/available?username=Not%20Valid');
    expect(invalid.status).toBe(400);
    expect(invalid.body.errcode).toBe('M_INVALID_USERNAME');
    const missing = await call('GET', '/_matrix/client/v3/register/available');
    expect(missing.body.errcode).toBe('M_MISSING_PARAM');
  });

  it('lets a freshly registered user log in', async () => {
    const user = await registerUser();
    const r = await login(user);
    expect(r.status).toBe(200);
  });
});
