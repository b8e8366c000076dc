// matrix-js-sdk against a running homeserver: register, log in, read /versions and the profile, log out.
import { createClient, MatrixError, type MatrixClient } from 'matrix-js-sdk';
import { describe, expect, inject, it } from 'vitest';

const baseUrl = inject('homeserverUrl');
const serverName = inject('serverName');

// The SDK logs every request at debug level; a test run only wants its own output.
const quiet = { trace() {}, debug() {}, info() {}, warn() {}, error() {}, getChild: () => quiet };

function client(credentials: { accessToken?: string; userId?: string; deviceId?: string } = {}): MatrixClient {
  return createClient({ baseUrl, logger: quiet, ...credentials });
}

/** The error a call rejects with, so that its Matrix fields can be asserted. */
async function failure(call: Promise<unknown>): Promise<MatrixError> {
  const e = await call.then(() => undefined, (err: unknown) => err);
  expect(e).toBeInstanceOf(MatrixError);
  return e as MatrixError;
}

describe('an account driven by matrix-js-sdk', () => {
  const localpart = `alice-${Date.now().toString(36)}`;
  const userId = `@${localpart}:${serverName}`;
  const password = 'correct horse battery staple';

  it('registers, logs in, edits its profile and logs out', async () => {
    const anonymous = client();

    const { versions } = await anonymous.getVersions();
    expect(versions).toContain('v1.1');
    expect(versions).toContain('v1.12');

    // User-interactive auth: the first request only opens a session and names the flows.
    const challenge = await failure(anonymous.registerRequest({ username: localpart, password }));
    expect(challenge.httpStatus).toBe(401);
    expect(challenge.data.flows).toEqual([{ stages: ['m.login.dummy'] }]);
    const session = challenge.data.session;
    expect(session).toEqual(expect.any(String));

    const registered = await anonymous.register(localpart, password, session as string, { type: 'm.login.dummy' });
    expect(registered.user_id).toBe(userId);
    expect(registered.device_id).toMatch(/^[A-Z]{10}$/);
    expect(registered.access_token).toEqual(expect.any(String));
    expect(registered.refresh_token).toEqual(expect.any(String)); // the SDK always asks for one

    const login = await anonymous.loginRequest({ type: 'm.login.password', identifier: { type: 'm.id.user', user: localpart }, password });
    expect(login.user_id).toBe(userId);
    expect(login.device_id).not.toBe(registered.device_id);
    expect(login.access_token).not.toBe(registered.access_token);
    expect(login.well_known).toEqual({ 'm.homeserver': { base_url: `http://${serverName}` } });

    const alice = client({ accessToken: login.access_token, userId, deviceId: login.device_id });
    expect(await alice.whoami()).toEqual({ user_id: userId, device_id: login.device_id, is_guest: false });

    await alice.setDisplayName('Alice Liddell');
    expect(await alice.getProfileInfo(userId)).toEqual({ displayname: 'Alice Liddell' });
    expect(await anonymous.getProfileInfo(userId, 'displayname')).toEqual({ displayname: 'Alice Liddell' });

    await alice.logout();
    const refused = await failure(alice.whoami());
    expect(refused.httpStatus).toBe(401);
    expect(refused.errcode).toBe('M_UNKNOWN_TOKEN');

    // Logging out ends that device's session only.
    const registeredDevice = client({ accessToken: registered.access_token, userId, deviceId: registered.device_id });
    expect(await registeredDevice.whoami()).toEqual({ user_id: userId, device_id: registered.device_id, is_guest: false });
  });
});
