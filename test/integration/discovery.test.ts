import { describe, expect, it } from 'vitest';
import { verifyJsonSignature } from '../../src/matrix/signing';
import { decodeBase64 } from '../../src/matrix/base64';
import { call, registerUser, SERVER_NAME } from './helpers/client';
import { expectSpec } from './helpers/spec';

describe('server discovery and versions', () => {
  it('GET /_matrix/client/versions lists spec versions', async () => {
    const r = await call('GET', '/_matrix/client/versions');
    expect(r.status).toBe(200);
    expectSpec('GET /_matrix/client/versions', 200, r.body);
    expect(r.body.versions).toContain('v1.1');
    expect(r.headers.get('content-type')).toContain('application/json');
  });

  it('serves /.well-known/matrix/client with the public base URL', async () => {
    const r = await call('GET', '/.well-known/matrix/client');
    expect(r.status).toBe(200);
    expectSpec('GET /.well-known/matrix/client', 200, r.body);
    expect(r.body['m.homeserver'].base_url).toBe(`https://${SERVER_NAME}`);
  });

  it('serves /.well-known/matrix/server delegating to port 443 of a bare server name', async () => {
    const r = await call('GET', '/.well-known/matrix/server');
    expect(r.status).toBe(200);
    expectSpec('GET /.well-known/matrix/server', 200, r.body);
    expect(r.body['m.server']).toBe(`${SERVER_NAME}:443`);
    const delegated = await call('GET', '/.well-known/matrix/server', { vars: { WELL_KNOWN_SERVER: 'matrix.test.local:8448' } });
    expect(delegated.body['m.server']).toBe('matrix.test.local:8448');
  });

  it('GET /_matrix/federation/v1/version names the software', async () => {
    const r = await call('GET', '/_matrix/federation/v1/version');
    expect(r.status).toBe(200);
    expectSpec('GET /_matrix/federation/v1/version', 200, r.body);
    expect(r.body.server.name).toBe('Myelin');
  });

  it('GET /_matrix/key/v2/server is signed by the key it publishes', async () => {
    const r = await call('GET', '/_matrix/key/v2/server');
    expect(r.status).toBe(200);
    expectSpec('GET /_matrix/key/v2/server', 200, r.body);
    expect(r.body.server_name).toBe(SERVER_NAME);
    const [keyId] = Object.keys(r.body.verify_keys);
    expect(keyId).toMatch(/^ed25519:[A-Za-z0-9_]+$/);
    const publicKey = decodeBase64(r.body.verify_keys[keyId].key);
    expect(await verifyJsonSignature(r.body, SERVER_NAME, keyId, publicKey)).toBe(true);
    expect(r.body.valid_until_ts).toBeGreaterThan(Date.now());
    const tampered = { ...r.body, server_name: 'evil.example' };
    expect(await verifyJsonSignature(tampered, SERVER_NAME, keyId, publicKey)).toBe(false);
  });

  it('GET /capabilities describes what this server lets users do', async () => {
    const user = await registerUser();
    const r = await call('GET', '/_matrix/client/v3/capabilities', { token: user.token });
    expect(r.status).toBe(200);
    expectSpec('GET /_matrix/client/v3/capabilities', 200, r.body);
    const caps = r.body.capabilities;
    expect(caps['m.change_password']).toEqual({ enabled: true });
    expect(caps['m.room_versions'].default).toBe('12');
    expect(Object.keys(caps['m.room_versions'].available)).toEqual(['1', '2', '3', '4', '5', '6', '7', '8', '9', '10', '11', '12']);
    expect(caps['m.3pid_changes']).toEqual({ enabled: false });
    const anonymous = await call('GET', '/_matrix/client/v3/capabilities');
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.errcode).toBe('M_MISSING_TOKEN');
  });
});
