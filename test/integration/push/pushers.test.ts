import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import type { Env } from '../../../src/config';
import { httpDb } from '../../../src/db/client';
import { listPushers } from '../../../src/db/queries/push';
import { call, login, registerUser, withPasswordAuth, type TestUser } from '../helpers/client';
import { expectSpec } from '../helpers/spec';

const db = httpDb(env as unknown as Env);
const SET = '/_matrix/client/v3/pushers/set';
const LIST = '/_matrix/client/v3/pushers';

const httpPusher = (over: Record<string, unknown> = {}) => ({
  kind: 'http',
  app_id: 'com.example.app.ios',
  pushkey: `key-${Math.random().toString(36).slice(2)}`,
  app_display_name: 'Mat Rix',
  device_display_name: 'iPhone 9',
  profile_tag: 'xxyyzz',
  lang: 'en',
  data: { url: 'https://push-gateway.location.here/_matrix/push/v1/notify', format: 'event_id_only', custom: { a: 1 } },
  ...over,
});

async function set(user: TestUser, body: unknown) {
  return call('POST', SET, { token: user.token, body });
}

async function list(user: TestUser) {
  const r = await call('GET', LIST, { token: user.token });
  expect(r.status).toBe(200);
  expectSpec('GET /_matrix/client/v3/pushers', 200, r.body);
  return r.body.pushers;
}

describe('pushers', () => {
  it('creates, lists, updates and deletes a pusher', async () => {
    const alice = await registerUser();
    expect(await list(alice)).toEqual([]);
    const p = httpPusher();
    const r = await set(alice, p);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expectSpec('POST /_matrix/client/v3/pushers/set', 200, r.body);
    expect(await list(alice)).toEqual([{ pushkey: p.pushkey, kind: 'http', app_id: p.app_id, app_display_name: 'Mat Rix', device_display_name: 'iPhone 9', profile_tag: 'xxyyzz', lang: 'en', data: p.data }]);

    // Same app_id + pushkey: updated, not duplicated.
    const { profile_tag: _t, ...withoutTag } = p;
    expect((await set(alice, { ...withoutTag, lang: 'fr', data: { url: 'http://localhost:5000/_matrix/push/v1/notify' } })).status).toBe(200);
    expect(await list(alice)).toEqual([{ pushkey: p.pushkey, kind: 'http', app_id: p.app_id, app_display_name: 'Mat Rix', device_display_name: 'iPhone 9', lang: 'fr', data: { url: 'http://localhost:5000/_matrix/push/v1/notify' } }]);

    // Another pushkey for the same app is another pusher.
    const p2 = httpPusher();
    expect((await set(alice, p2)).status).toBe(200);
    expect((await list(alice)).map((x: any) => x.pushkey).sort()).toEqual([p.pushkey, p2.pushkey].sort());

    // kind null deletes (other fields are not needed).
    expect((await set(alice, { kind: null, app_id: p.app_id, pushkey: p.pushkey })).status).toBe(200);
    expect((await list(alice)).map((x: any) => x.pushkey)).toEqual([p2.pushkey]);
    // Deleting what does not exist is fine.
    expect((await set(alice, { kind: null, app_id: 'x', pushkey: 'y' })).status).toBe(200);
  });

  it('moves a pushkey to the user who sets it, unless append is true', async () => {
    const [alice, bob, carol] = await Promise.all([registerUser(), registerUser(), registerUser()]);
    const p = httpPusher();
    expect((await set(alice, p)).status).toBe(200);
    expect((await set(bob, { ...p, append: true })).status).toBe(200);
    expect(await list(alice)).toHaveLength(1);
    expect(await list(bob)).toHaveLength(1);
    expect((await set(carol, { ...p, append: false })).status).toBe(200);
    expect(await list(alice)).toEqual([]);
    expect(await list(bob)).toEqual([]);
    expect(await list(carol)).toHaveLength(1);
  });

  it('refuses missing parameters, bad types, unsupported kinds, bad URLs and oversized ids', async () => {
    const alice = await registerUser();
    const cases: [unknown, string][] = [
      [{ app_id: 'a', pushkey: 'k' }, 'M_MISSING_PARAM'],
      [{ kind: 'http', pushkey: 'k' }, 'M_MISSING_PARAM'],
      [{ kind: null, app_id: 'a' }, 'M_MISSING_PARAM'],
      [{ kind: 'http', app_id: 'a', pushkey: 'k' }, 'M_MISSING_PARAM'],
      [httpPusher({ lang: undefined }), 'M_MISSING_PARAM'],
      [httpPusher({ data: {} }), 'M_MISSING_PARAM'],
      [httpPusher({ kind: 5 }), 'M_BAD_JSON'],
      [httpPusher({ app_id: 5 }), 'M_BAD_JSON'],
      [httpPusher({ data: 'x' }), 'M_BAD_JSON'],
      [httpPusher({ append: 'yes' }), 'M_BAD_JSON'],
      [httpPusher({ lang: 1 }), 'M_BAD_JSON'],
      [httpPusher({ kind: 'email', app_id: 'm.email', pushkey: 'a@example.org' }), 'M_INVALID_PARAM'],
      [httpPusher({ kind: 'carrier-pigeon' }), 'M_INVALID_PARAM'],
      [httpPusher({ data: { url: 'not a url' } }), 'M_INVALID_PARAM'],
      [httpPusher({ data: { url: 'ftp://gw.example.org/_matrix/push/v1/notify' } }), 'M_INVALID_PARAM'],
      [httpPusher({ data: { url: 'https://gw.example.org/notify' } }), 'M_INVALID_PARAM'],
      [httpPusher({ data: { url: 'https://gw.example.org/_matrix/push/v1/notify', format: 'full' } }), 'M_INVALID_PARAM'],
      [httpPusher({ app_id: 'a'.repeat(65) }), 'M_INVALID_PARAM'],
      [httpPusher({ pushkey: 'é'.repeat(257) }), 'M_INVALID_PARAM'],
      [httpPusher({ device_display_name: 'a\u0000b' }), 'M_BAD_JSON'],
    ];
    for (const [body, errcode] of cases) {
      const r = await set(alice, body);
      expect([r.status, r.body.errcode], JSON.stringify(body).slice(0, 120)).toEqual([400, errcode]);
    }
    expect(await list(alice)).toEqual([]);
    // The limits themselves are allowed.
    expect((await set(alice, httpPusher({ app_id: 'a'.repeat(64), pushkey: 'é'.repeat(256) }))).status).toBe(200);
    expect((await call('POST', SET, { token: alice.token, raw: 'nope' })).body.errcode).toBe('M_NOT_JSON');
    expect((await call('GET', LIST)).status).toBe(401);
  });

  it('removes the pushers of deleted devices, logged-out devices and deactivated accounts', async () => {
    const alice = await registerUser();
    const second = await login(alice);
    expect(second.status).toBe(200);
    const phone = { ...alice, token: second.body.access_token, deviceId: second.body.device_id };
    const mine = httpPusher();
    const phones = httpPusher();
    expect((await set(alice, mine)).status).toBe(200);
    expect((await set(phone, phones)).status).toBe(200);
    expect(await list(alice)).toHaveLength(2);

    // Deleting the phone's device removes its pusher only.
    const del = await withPasswordAuth('DELETE', `/_matrix/client/v3/devices/${encodeURIComponent(phone.deviceId)}`, alice);
    expect(del.status, JSON.stringify(del.body)).toBe(200);
    expect((await list(alice)).map((p: any) => p.pushkey)).toEqual([mine.pushkey]);

    // Logging out removes the device and its pusher.
    const third = await login(alice);
    const tablet = { ...alice, token: third.body.access_token };
    expect((await set(tablet, httpPusher())).status).toBe(200);
    expect(await list(alice)).toHaveLength(2);
    expect((await call('POST', '/_matrix/client/v3/logout', { token: tablet.token, body: {} })).status).toBe(200);
    expect((await list(alice)).map((p: any) => p.pushkey)).toEqual([mine.pushkey]);

    // A password change that logs out other devices removes their pushers.
    const fourth = await login(alice);
    expect((await set({ ...alice, token: fourth.body.access_token }, httpPusher())).status).toBe(200);
    const newPassword = `${alice.password}-2`;
    const pw = await withPasswordAuth('POST', '/_matrix/client/v3/account/password', alice, { new_password: newPassword, logout_devices: true });
    expect(pw.status, JSON.stringify(pw.body)).toBe(200);
    expect((await list(alice)).map((p: any) => p.pushkey)).toEqual([mine.pushkey]);

    // Deactivation removes every pusher of the account (checked in the table: the account cannot list).
    const bob = await registerUser();
    expect((await set(bob, httpPusher())).status).toBe(200);
    expect(await listPushers(db, bob.userId)).toHaveLength(1);
    const deact = await withPasswordAuth('POST', '/_matrix/client/v3/account/deactivate', bob);
    expect(deact.status, JSON.stringify(deact.body)).toBe(200);
    expect(await listPushers(db, bob.userId)).toEqual([]);
  });
});
