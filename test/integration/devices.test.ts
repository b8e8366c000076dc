import { describe, expect, it } from 'vitest';
import { call, login, registerUser, withPasswordAuth } from './helpers/client';
import { expectSpec } from './helpers/spec';

describe('devices', () => {
  it('lists, gets and renames devices', async () => {
    const user = await registerUser();
    const second = await login(user, { initial_device_display_name: 'Tablet' });
    const list = await call('GET', '/_matrix/client/v3/devices', { token: user.token });
    expect(list.status).toBe(200);
    expectSpec('GET /_matrix/client/v3/devices', 200, list.body);
    expect(list.body.devices.map((d: { device_id: string }) => d.device_id).sort()).toEqual([user.deviceId, second.body.device_id].sort());
    const current = list.body.devices.find((d: { device_id: string }) => d.device_id === user.deviceId);
    expect(current.last_seen_ts).toBeGreaterThan(Date.now() - 60_000);
    expect(current.last_seen_ip).toMatch(/^10\./);

    const one = await call('GET', `/_matrix/client/v3/devices/${second.body.device_id}`, { token: user.token });
    expect(one.status).toBe(200);
    expectSpec('GET /_matrix/client/v3/devices/{deviceId}', 200, one.body);
    expect(one.body.display_name).toBe('Tablet');

    const rename = await call('PUT', `/_matrix/client/v3/devices/${second.body.device_id}`, { token: user.token, body: { display_name: 'Old tablet' } });
    expect(rename.status).toBe(200);
    const renamed = await call('GET', `/_matrix/client/v3/devices/${second.body.device_id}`, { token: user.token });
    expect(renamed.body.display_name).toBe('Old tablet');
  });

  it("answers 404 for unknown devices and for another user's devices", async () => {
    const user = await registerUser();
    const other = await registerUser();
    for (const id of ['NOSUCHDEVICE', other.deviceId]) {
      const get = await call('GET', `/_matrix/client/v3/devices/${id}`, { token: user.token });
      expect(get.status).toBe(404);
      expect(get.body.errcode).toBe('M_NOT_FOUND');
      const put = await call('PUT', `/_matrix/client/v3/devices/${id}`, { token: user.token, body: { display_name: 'x' } });
      expect(put.status).toBe(404);
      const del = await call('DELETE', `/_matrix/client/v3/devices/${id}`, { token: user.token, body: {} });
      expect(del.status).toBe(404);
    }
    const still = await call('GET', `/_matrix/client/v3/devices/${other.deviceId}`, { token: other.token });
    expect(still.status).toBe(200);
  });

  it('deletes a device behind user-interactive auth, and its token dies with it', async () => {
    const user = await registerUser();
    const second = await login(user);
    const unauth = await call('DELETE', `/_matrix/client/v3/devices/${second.body.device_id}`, { token: user.token, body: {} });
    expect(unauth.status).toBe(401);
    expect(unauth.body.flows).toEqual([{ stages: ['m.login.password'] }]);
    expect((await call('GET', '/_matrix/client/v3/account/whoami', { token: second.body.access_token })).status).toBe(200);

    const r = await withPasswordAuth('DELETE', `/_matrix/client/v3/devices/${second.body.device_id}`, user);
    expect(r.status).toBe(200);
    const dead = await call('GET', '/_matrix/client/v3/account/whoami', { token: second.body.access_token });
    expect(dead.status).toBe(401);
    expect(dead.body.errcode).toBe('M_UNKNOWN_TOKEN');
    const gone = await call('GET', `/_matrix/client/v3/devices/${second.body.device_id}`, { token: user.token });
    expect(gone.status).toBe(404);
  });

  it('POST /delete_devices removes several devices at once', async () => {
    const user = await registerUser();
    const a = await login(user);
    const b = await login(user);
    const r = await withPasswordAuth('POST', '/_matrix/client/v3/delete_devices', user, { devices: [a.body.device_id, b.body.device_id, 'UNKNOWN'] });
    expect(r.status).toBe(200);
    const list = await call('GET', '/_matrix/client/v3/devices', { token: user.token });
    expect(list.body.devices.map((d: { device_id: string }) => d.device_id)).toEqual([user.deviceId]);
    expect((await call('GET', '/_matrix/client/v3/account/whoami', { token: a.body.access_token })).status).toBe(401);
    const bad = await call('POST', '/_matrix/client/v3/delete_devices', { token: user.token, body: { devices: 'all' } });
    expect(bad.status).toBe(400);
    expect(bad.body.errcode).toBe('M_BAD_JSON');
  });
});
