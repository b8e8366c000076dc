import { describe, expect, it } from 'vitest';
import { call, login, registerUser, withPasswordAuth } from './helpers/client';
import { expectSpec } from './helpers/spec';

const whoami = (token: string) => call('GET', '/_matrix/client/v3/account/whoami', { token });

describe('whoami and logout', () => {
  it('GET /account/whoami names the user and device', async () => {
    const user = await registerUser();
    const r = await whoami(user.token);
    expect(r.status).toBe(200);
    expectSpec('GET /_matrix/client/v3/account/whoami', 200, r.body);
    expect(r.body).toEqual({ user_id: user.userId, device_id: user.deviceId, is_guest: false });
  });

  it('POST /logout kills the token and the device, and nothing else', async () => {
    const user = await registerUser();
    const other = await login(user);
    const r = await call('POST', '/_matrix/client/v3/logout', { token: user.token, body: {} });
    expect(r.status).toBe(200);
    expectSpec('POST /_matrix/client/v3/logout', 200, r.body);
    const dead = await whoami(user.token);
    expect(dead.status).toBe(401);
    expect(dead.body).toMatchObject({ errcode: 'M_UNKNOWN_TOKEN', soft_logout: false });
    const alive = await whoami(other.body.access_token);
    expect(alive.status).toBe(200);
    const devices = await call('GET', '/_matrix/client/v3/devices', { token: other.body.access_token });
    expect(devices.body.devices.map((d: { device_id: string }) => d.device_id)).toEqual([other.body.device_id]);
  });

  it('POST /logout/all kills every token of the user', async () => {
    const user = await registerUser();
    const other = await login(user);
    const r = await call('POST', '/_matrix/client/v3/logout/all', { token: user.token, body: {} });
    expect(r.status).toBe(200);
    expect((await whoami(user.token)).status).toBe(401);
    expect((await whoami(other.body.access_token)).status).toBe(401);
    expect((await login(user)).status).toBe(200);
  });
});

describe('POST /account/password', () => {
  it('needs the current password, then changes it and logs out the other devices', async () => {
    const user = await registerUser();
    const other = await login(user);
    const first = await call('POST', '/_matrix/client/v3/account/password', { token: user.token, body: { new_password: 'new-secret' } });
    expect(first.status).toBe(401);
    expect(first.body.flows).toEqual([{ stages: ['m.login.password'] }]);
    const wrong = await call('POST', '/_matrix/client/v3/account/password', {
      token: user.token,
      body: { new_password: 'new-secret', auth: { type: 'm.login.password', identifier: { type: 'm.id.user', user: user.userId }, password: 'wrong', session: first.body.session } },
    });
    expect(wrong.status).toBe(401);
    expect(wrong.body.errcode).toBe('M_FORBIDDEN');

    const ok = await withPasswordAuth('POST', '/_matrix/client/v3/account/password', user, { new_password: 'new-secret' });
    expect(ok.status).toBe(200);
    expect((await whoami(user.token)).status).toBe(200);
    expect((await whoami(other.body.access_token)).status).toBe(401);
    expect((await login(user)).status).toBe(403);
    expect((await login({ localpart: user.localpart, password: 'new-secret' })).status).toBe(200);
  });

  it('keeps other devices with logout_devices: false', async () => {
    const user = await registerUser();
    const other = await login(user);
    const ok = await withPasswordAuth('POST', '/_matrix/client/v3/account/password', user, { new_password: 'x2', logout_devices: false });
    expect(ok.status).toBe(200);
    expect((await whoami(other.body.access_token)).status).toBe(200);
  });

  it("will not take another user's password as authentication", async () => {
    const user = await registerUser();
    const mallory = await registerUser();
    const first = await call('POST', '/_matrix/client/v3/account/password', { token: user.token, body: { new_password: 'x' } });
    const r = await call('POST', '/_matrix/client/v3/account/password', {
      token: user.token,
      body: { new_password: 'x', auth: { type: 'm.login.password', identifier: { type: 'm.id.user', user: mallory.userId }, password: mallory.password, session: first.body.session } },
    });
    expect(r.status).toBe(401);
    expect(r.body.errcode).toBe('M_FORBIDDEN');
  });

  it('will not continue a session opened by another user or for another operation', async () => {
    const user = await registerUser();
    const mallory = await registerUser();
    const first = await call('POST', '/_matrix/client/v3/account/password', { token: user.token, body: { new_password: 'x' } });
    const stolen = await call('POST', '/_matrix/client/v3/account/password', {
      token: mallory.token,
      body: { new_password: 'x', auth: { type: 'm.login.password', user: mallory.userId, password: mallory.password, session: first.body.session } },
    });
    expect(stolen.status).toBe(400);
    const otherOp = await call('POST', '/_matrix/client/v3/account/deactivate', {
      token: user.token,
      body: { auth: { type: 'm.login.password', user: user.userId, password: user.password, session: first.body.session } },
    });
    expect(otherOp.status).toBe(400);
    expect((await whoami(user.token)).status).toBe(200);
  });
});

describe('POST /account/deactivate', () => {
  it('deactivates after password authentication: tokens die, login fails, profile is emptied', async () => {
    const user = await registerUser();
    const r = await withPasswordAuth('POST', '/_matrix/client/v3/account/deactivate', user);
    expect(r.status).toBe(200);
    expectSpec('POST /_matrix/client/v3/account/deactivate', 200, r.body);
    expect(r.body).toEqual({ id_server_unbind_result: 'no-support' });
    expect((await whoami(user.token)).status).toBe(401);
    expect((await login(user)).status).toBe(403);
    const profile = await call('GET', `/_matrix/client/v3/profile/${encodeURIComponent(user.userId)}`);
    expect(profile.body).toEqual({});
    const reuse = await call('GET', `/_matrix/client/v3/register/available?username=${user.localpart}`);
    expect(reuse.body.errcode).toBe('M_USER_IN_USE');
  });
});

describe('GET /account/3pid', () => {
  it('lists no third-party identifiers', async () => {
    const user = await registerUser();
    const r = await call('GET', '/_matrix/client/v3/account/3pid', { token: user.token });
    expect(r.status).toBe(200);
    expectSpec('GET /_matrix/client/v3/account/3pid', 200, r.body);
    expect(r.body).toEqual({ threepids: [] });
  });
});
