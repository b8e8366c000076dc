// GET /voip/turnServer: time-limited TURN credentials by the shared-secret scheme (username
// `expiry:user`, password base64(HMAC-SHA1(secret, username))), `{}` without TURN, guest policy.
import { describe, expect, it } from 'vitest';
import { turnCredentials } from '../../src/services/voip/turn';
import { call, registerUser } from './helpers/client';
import { expectSpec } from './helpers/spec';

const TURN = '/_matrix/client/v3/voip/turnServer';
const URIS = ['turn:turn.test.local:3478?transport=udp', 'turns:turn.test.local:5349?transport=tcp'];
const SECRET = 'n0t-s0-s3cret';
const vars = { TURN_URIS: URIS.join(', '), TURN_SHARED_SECRET: SECRET, TURN_TTL: '600' };

/** What a TURN server does on receiving the credentials: recompute the password from the username. */
async function expectedPassword(username: string): Promise<string> {
  const key = await crypto.subtle.importKey('raw', new TextEncoder().encode(SECRET), { name: 'HMAC', hash: 'SHA-1' }, false, ['sign']);
  const mac = new Uint8Array(await crypto.subtle.sign('HMAC', key, new TextEncoder().encode(username)));
  return btoa(String.fromCharCode(...mac));
}

describe('VoIP TURN credentials', () => {
  it('issues credentials that verify against the shared secret and expire after the TTL', async () => {
    const user = await registerUser();
    const before = Math.floor(Date.now() / 1000);
    const r = await call('GET', TURN, { token: user.token, vars });
    const after = Math.floor(Date.now() / 1000);
    expect(r.status).toBe(200);
    expectSpec('GET /_matrix/client/v3/voip/turnServer', 200, r.body);
    expect(r.body.uris).toEqual(URIS);
    expect(r.body.ttl).toBe(600);
    const [expiry, ...rest] = r.body.username.split(':');
    expect(rest.join(':')).toBe(user.userId);
    expect(Number(expiry)).toBeGreaterThanOrEqual(before + 600);
    expect(Number(expiry)).toBeLessThanOrEqual(after + 600);
    expect(r.body.password).toBe(await expectedPassword(r.body.username));
    // Standard padded base64 of a 20-byte digest, as coturn expects.
    expect(r.body.password).toMatch(/^[A-Za-z0-9+/]{27}=$/);
  });

  it('computes the password of a known vector (HMAC-SHA1, padded base64)', async () => {
    const creds = await turnCredentials({ uris: URIS, sharedSecret: SECRET, ttlSeconds: 86_400, allowGuests: true }, '@user:example.com', (1443779631 - 86_400) * 1000);
    expect(creds).toEqual({ username: '1443779631:@user:example.com', password: 'X0cv8HhZUz3qpdRONTohsAHPgjM=', uris: URIS, ttl: 86_400 });
  });

  it('answers an empty object when no TURN server is configured', async () => {
    const user = await registerUser();
    const r = await call('GET', TURN, { token: user.token });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({});
  });

  it('serves guests unless TURN_ALLOW_GUESTS is off', async () => {
    const guest = await call('POST', '/_matrix/client/v3/register?kind=guest', { body: {}, vars: { GUEST_ACCESS: 'on' } });
    expect(guest.status).toBe(200);
    const token = guest.body.access_token;
    const allowed = await call('GET', TURN, { token, vars: { ...vars, GUEST_ACCESS: 'on' } });
    expect(allowed.status).toBe(200);
    expectSpec('GET /_matrix/client/v3/voip/turnServer', 200, allowed.body);
    expect(allowed.body.username.endsWith(`:${guest.body.user_id}`)).toBe(true);
    const refused = await call('GET', TURN, { token, vars: { ...vars, GUEST_ACCESS: 'on', TURN_ALLOW_GUESTS: 'off' } });
    expect(refused.status).toBe(403);
    expect(refused.body.errcode).toBe('M_GUEST_ACCESS_FORBIDDEN');
  });

  it('needs an access token', async () => {
    const r = await call('GET', TURN, { vars });
    expect(r.status).toBe(401);
    expect(r.body.errcode).toBe('M_MISSING_TOKEN');
  });

  it('refuses to run half-configured: URIs without a secret, or URIs that are not TURN URIs', async () => {
    const user = await registerUser();
    for (const bad of [{ TURN_URIS: URIS[0] }, { TURN_SHARED_SECRET: SECRET }, { TURN_URIS: 'https://turn.test.local', TURN_SHARED_SECRET: SECRET }, { ...vars, TURN_TTL: '0' }]) {
      const r = await call('GET', TURN, { token: user.token, vars: bad });
      expect(r.status, JSON.stringify(bad)).toBe(500);
      expect(r.body.errcode).toBe('M_UNKNOWN');
    }
  });
});
