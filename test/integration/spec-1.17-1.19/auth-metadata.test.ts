// Authentication API discovery (v1.15, clarified in v1.18): Myelin has the legacy authentication
// API and no OAuth 2.0 API, so GET /auth_metadata answers 404 M_UNRECOGNIZED while GET /login
// lists the legacy login types, and nothing else advertises OAuth 2.0.
import { describe, expect, it } from 'vitest';
import { call, registerUser } from '../helpers/client';
import { expectSpec } from '../helpers/spec';

const OP = 'GET /_matrix/client/v1/auth_metadata';

describe('authentication API discovery', () => {
  it('GET /auth_metadata is 404 M_UNRECOGNIZED, with or without a token; GET /login is 200', async () => {
    const alice = await registerUser();
    for (const token of [undefined, alice.token]) {
      const r = await call('GET', '/_matrix/client/v1/auth_metadata', { token });
      expect(r.status, JSON.stringify(r.body)).toBe(404);
      expect(r.body.errcode).toBe('M_UNRECOGNIZED');
      expect(typeof r.body.error).toBe('string');
      expectSpec(OP, 404, r.body);
    }
    // Nor under the unstable prefix of MSC2965, which clients fall back to.
    const unstable = await call('GET', '/_matrix/client/unstable/org.matrix.msc2965/auth_metadata');
    expect(unstable.status).toBe(404);
    expect(unstable.body.errcode).toBe('M_UNRECOGNIZED');

    const login = await call('GET', '/_matrix/client/v3/login');
    expect(login.status).toBe(200);
    expectSpec('GET /_matrix/client/v3/login', 200, login.body);
    const types = login.body.flows.map((f: { type: string }) => f.type);
    expect(types).toContain('m.login.password');
    // OAuth 2.0 aware clients (MSC3824) are told nothing of an OAuth 2.0 server either.
    expect(login.body.flows.some((f: Record<string, unknown>) => 'oauth_aware_preferred' in f || 'delegated_oidc_compatibility' in f)).toBe(false);
  });

  it('other methods on /auth_metadata are not recognised either', async () => {
    for (const method of ['POST', 'PUT', 'DELETE']) {
      const r = await call(method, '/_matrix/client/v1/auth_metadata', { body: {} });
      expect([404, 405], `${method}: ${JSON.stringify(r.body)}`).toContain(r.status);
      expect(r.body.errcode).toBe('M_UNRECOGNIZED');
    }
  });

  it('.well-known does not advertise an OAuth 2.0 server', async () => {
    const wk = await call('GET', '/.well-known/matrix/client');
    if (wk.status === 200) {
      expectSpec('GET /.well-known/matrix/client', 200, wk.body);
      expect(wk.body['m.authentication']).toBeUndefined();
      expect(wk.body['org.matrix.msc2965.authentication']).toBeUndefined();
    }
  });
});
