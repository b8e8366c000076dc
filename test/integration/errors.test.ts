// The error model (invariant 8 of the design) and CORS, on the routes that exist so far.
import { describe, expect, it } from 'vitest';
import { SELF } from 'cloudflare:test';
import { call, registerUser } from './helpers/client';

describe('error model', () => {
  it('answers an unknown path with 404 M_UNRECOGNIZED', async () => {
    const r = await call('GET', '/_matrix/client/v3/no/such/endpoint');
    expect(r.status).toBe(404);
    expect(r.body).toEqual({ errcode: 'M_UNRECOGNIZED', error: expect.any(String) });
  });

  it('answers a known path with another method with 405 M_UNRECOGNIZED', async () => {
    for (const [method, path] of [
      ['DELETE', '/_matrix/client/v3/login'],
      ['POST', '/_matrix/client/versions'],
      ['PUT', '/_matrix/client/v3/account/whoami'],
      ['GET', '/_matrix/client/v3/user/@a:test.local/filter'],
    ]) {
      const r = await call(method, path);
      expect(r.status, `${method} ${path}`).toBe(405);
      expect(r.body.errcode).toBe('M_UNRECOGNIZED');
    }
  });

  it('refuses a body that is not JSON with 400 M_NOT_JSON', async () => {
    const r = await call('POST', '/_matrix/client/v3/login', { raw: '{"type": "m.login.password",' });
    expect(r.status).toBe(400);
    expect(r.body.errcode).toBe('M_NOT_JSON');
    const notUtf8 = await call('POST', '/_matrix/client/v3/login', { raw: new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]) });
    expect(notUtf8.body.errcode).toBe('M_NOT_JSON');
  });

  it('refuses JSON of the wrong shape with 400 M_BAD_JSON', async () => {
    const notObject = await call('POST', '/_matrix/client/v3/login', { body: [1, 2] });
    expect(notObject.status).toBe(400);
    expect(notObject.body.errcode).toBe('M_BAD_JSON');
    const wrongType = await call('POST', '/_matrix/client/v3/login', { body: { type: 'm.login.password', password: 12 } });
    expect(wrongType.status).toBe(400);
    expect(wrongType.body.errcode).toBe('M_BAD_JSON');
    expect(wrongType.body.error).toContain('password');
  });

  it('refuses a body over the size limit with 413 M_TOO_LARGE', async () => {
    const big = JSON.stringify({ type: 'm.login.password', password: 'x'.repeat(1024 * 1024 + 10) });
    const r = await call('POST', '/_matrix/client/v3/login', { raw: big });
    expect(r.status).toBe(413);
    expect(r.body.errcode).toBe('M_TOO_LARGE');
    // Chunked, without a Content-Length to trust.
    const stream = new ReadableStream({
      start(controller) {
        for (let i = 0; i < 40; i++) controller.enqueue(new TextEncoder().encode('x'.repeat(64 * 1024)));
        controller.close();
      },
    });
    const chunked = await call('POST', '/_matrix/client/v3/login', { raw: stream as unknown as Uint8Array, headers: {} });
    expect(chunked.status).toBe(413);
  });

  it('distinguishes a missing token (M_MISSING_TOKEN) from a bad one (M_UNKNOWN_TOKEN)', async () => {
    const missing = await call('GET', '/_matrix/client/v3/account/whoami');
    expect(missing.status).toBe(401);
    expect(missing.body.errcode).toBe('M_MISSING_TOKEN');
    for (const token of ['nonsense', 'myl_bm9ib2R5_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA', 'myl_!!!_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA']) {
      const bad = await call('GET', '/_matrix/client/v3/account/whoami', { token });
      expect(bad.status).toBe(401);
      expect(bad.body).toMatchObject({ errcode: 'M_UNKNOWN_TOKEN', soft_logout: false });
    }
    const badHeader = await call('GET', '/_matrix/client/v3/account/whoami', { headers: { authorization: 'Basic abc' } });
    expect(badHeader.body.errcode).toBe('M_UNKNOWN_TOKEN');
  });

  it('refuses a forged token naming a real user', async () => {
    const user = await registerUser();
    const forged = user.token.slice(0, -4) + (user.token.endsWith('AAAA') ? 'BBBB' : 'AAAA');
    const r = await call('GET', '/_matrix/client/v3/account/whoami', { token: forged });
    expect(r.status).toBe(401);
    expect(r.body.errcode).toBe('M_UNKNOWN_TOKEN');
  });

  it('accepts the deprecated access_token query parameter', async () => {
    const user = await registerUser();
    const r = await call('GET', `/_matrix/client/v3/account/whoami?access_token=${encodeURIComponent(user.token)}`);
    expect(r.status).toBe(200);
    expect(r.body.user_id).toBe(user.userId);
  });

  it('refuses a body over the request size limit with 413 M_TOO_LARGE, with or without a declared length', async () => {
    const user = await registerUser();
    const path = `/_matrix/client/v3/user/${encodeURIComponent(user.userId)}/filter`;
    const limit = 1024 * 1024;
    const padded = (n: number) => new TextEncoder().encode(`{"event_fields":[],"x":"${'a'.repeat(n - 30)}"}`.padEnd(n, ' '));
    const declared = await call('POST', path, { token: user.token, raw: padded(limit + 1) });
    expect(declared.status).toBe(413);
    expect(declared.body.errcode).toBe('M_TOO_LARGE');
    // Streamed (no content-length): the cap applies while reading.
    const big = padded(limit + 1);
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let at = 0; at < big.length; at += 64 * 1024) controller.enqueue(big.slice(at, at + 64 * 1024));
        controller.close();
      },
    });
    const streamed = await SELF.fetch(`http://myelin.test${path}`, { method: 'POST', headers: { authorization: `Bearer ${user.token}`, 'content-type': 'application/json' }, body: stream });
    expect(streamed.status).toBe(413);
    expect(((await streamed.json()) as { errcode: string }).errcode).toBe('M_TOO_LARGE');
    // At the limit the body is read and judged on its content.
    const atLimit = await call('POST', path, { token: user.token, raw: padded(limit) });
    expect(atLimit.status, JSON.stringify(atLimit.body)).toBe(200);
    expect(typeof atLimit.body.filter_id).toBe('string');
  });
});

describe('CORS', () => {
  it('answers OPTIONS preflight without running the endpoint', async () => {
    const r = await call('OPTIONS', '/_matrix/client/v3/account/whoami', { headers: { origin: 'https://app.element.io', 'access-control-request-method': 'GET' } });
    expect(r.status).toBe(204);
    expect(r.headers.get('access-control-allow-origin')).toBe('*');
    expect(r.headers.get('access-control-allow-methods')).toContain('PUT');
    expect(r.headers.get('access-control-allow-headers')).toContain('Authorization');
  });

  it('puts CORS headers on successes and on errors', async () => {
    for (const path of ['/_matrix/client/versions', '/_matrix/client/v3/account/whoami', '/nowhere']) {
      const r = await call('GET', path);
      expect(r.headers.get('access-control-allow-origin'), path).toBe('*');
    }
  });
});
