// Request authentication between servers (spec: server-server "Request Authentication") on the
// query endpoints: a valid X-Matrix header is accepted; a missing, malformed, misdirected,
// wrongly signed or tampered one, or one naming a key the origin never published, is 401.
import { describe, expect, it } from 'vitest';
import { generateSigningKeyText, parseSigningKey } from '../../../src/matrix/signing';
import { registerUser } from '../helpers/client';
import { expectSpec } from '../helpers/spec';
import { fakeServer, interceptFederation } from './fake-server';

interceptFederation();

const profilePath = (userId: string) => `/_matrix/federation/v1/query/profile?user_id=${encodeURIComponent(userId)}`;

describe('X-Matrix authentication', () => {
  it('accepts a request signed by the origin for this server', async () => {
    const remote = await fakeServer();
    const alice = await registerUser();
    const r = await remote.request('GET', profilePath(alice.userId));
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expectSpec('GET /_matrix/federation/v1/query/profile', 200, r.body);
  });

  it('refuses a request without an Authorization header', async () => {
    const remote = await fakeServer();
    const alice = await registerUser();
    const r = await remote.request('GET', profilePath(alice.userId), { noAuth: true });
    expect(r.status).toBe(401);
    expect(r.body.errcode).toBe('M_UNAUTHORIZED');
  });

  it('refuses a malformed header, and a Bearer token', async () => {
    const remote = await fakeServer();
    const alice = await registerUser();
    for (const authorization of ['X-Matrix origin=', 'X-Matrix key="ed25519:a",sig="abc"', 'Bearer abc']) {
      const r = await remote.request('GET', profilePath(alice.userId), { authorization });
      expect(r.status, authorization).toBe(401);
      expect(r.body.errcode).toBe('M_UNAUTHORIZED');
    }
  });

  it('refuses a request meant for another server', async () => {
    const remote = await fakeServer();
    const alice = await registerUser();
    const r = await remote.request('GET', profilePath(alice.userId), { destination: 'someone-else.test' });
    expect(r.status).toBe(401);
    expect(r.body.errcode).toBe('M_UNAUTHORIZED');
  });

  it('refuses a signature by another key, and one over a different request', async () => {
    const remote = await fakeServer();
    const alice = await registerUser();
    const other = await parseSigningKey(generateSigningKeyText(remote.key.version));
    const forged = await remote.request('GET', profilePath(alice.userId), { signWith: other });
    expect(forged.status).toBe(401);
    expect(forged.body.errcode).toBe('M_UNAUTHORIZED');
    const tampered = await remote.request('POST', '/_matrix/federation/v1/user/keys/query', { body: { device_keys: { [alice.userId]: [] } }, signedBody: { device_keys: {} } });
    expect(tampered.status).toBe(401);
    expect(tampered.body.errcode).toBe('M_UNAUTHORIZED');
  });

  it('refuses a key the origin does not publish, and an origin whose keys cannot be fetched', async () => {
    const remote = await fakeServer();
    const alice = await registerUser();
    const unknownKey = await remote.request('GET', profilePath(alice.userId), { keyId: 'ed25519:never' });
    expect(unknownKey.status).toBe(401);
    expect(unknownKey.body.errcode).toBe('M_UNAUTHORIZED');
    const offline = await fakeServer();
    offline.keysOffline = true;
    const r = await offline.request('GET', profilePath(alice.userId));
    expect(r.status).toBe(401);
    expect(r.body.errcode).toBe('M_UNAUTHORIZED');
  });

  it('refuses an origin pretending to be another server', async () => {
    const remote = await fakeServer();
    const victim = await fakeServer();
    const alice = await registerUser();
    // Signed with the remote's key, but claiming the victim's name: the victim's key does not verify it.
    const r = await remote.request('GET', profilePath(alice.userId), { origin: victim.name });
    expect(r.status).toBe(401);
    expect(r.body.errcode).toBe('M_UNAUTHORIZED');
  });
});
