// Asynchronous uploads (spec 1.7): POST /_matrix/media/v1/create, then
// PUT /_matrix/media/v3/upload/{serverName}/{mediaId}; downloads wait for content (timeout_ms).
import { env } from 'cloudflare:test';
import { eq } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { httpDb } from '../../../src/db/client';
import { media } from '../../../src/db/schema';
import { registerUser, type TestUser } from '../helpers/client';
import { expectSpec } from '../helpers/spec';
import { bytesOf, download, json, raw } from './helpers';

async function createId(user: TestUser): Promise<string> {
  const res = await raw('POST', '/_matrix/media/v1/create', { token: user.token });
  const out = await json(res);
  expect(res.status, JSON.stringify(out)).toBe(200);
  expectSpec('POST /_matrix/media/v1/create', 200, out);
  return out.content_uri.split('/').pop();
}

const put = (user: TestUser, mediaId: string, body: Uint8Array, server = 'test.local') =>
  raw('PUT', `/_matrix/media/v3/upload/${server}/${mediaId}?filename=later.bin`, { token: user.token, body, headers: { 'content-type': 'application/x-later' } });

describe('asynchronous upload', () => {
  it('creates an id that expires in 24 hours, then takes its content once', async () => {
    const alice = await registerUser();
    const before = Date.now();
    const res = await raw('POST', '/_matrix/media/v1/create', { token: alice.token });
    const out = await json(res);
    expect(res.status).toBe(200);
    expect(out.content_uri).toMatch(/^mxc:\/\/test\.local\/[A-Za-z0-9]{24}$/);
    expect(out.unused_expires_at).toBeGreaterThanOrEqual(before + 24 * 3600_000);
    expect(out.unused_expires_at).toBeLessThanOrEqual(Date.now() + 24 * 3600_000);
    const mediaId = out.content_uri.split('/').pop();

    const first = await put(alice, mediaId, new Uint8Array([1, 2, 3]));
    expect(first.status).toBe(200);
    const body = await json(first);
    expectSpec('PUT /_matrix/media/v3/upload/{serverName}/{mediaId}', 200, body);
    expect(body).toEqual({});

    const second = await put(alice, mediaId, new Uint8Array([9]));
    expect(second.status).toBe(409);
    expect((await json(second)).errcode).toBe('M_CANNOT_OVERWRITE_MEDIA');

    const got = await download(alice, mediaId);
    expect(got.status).toBe(200);
    expect(got.headers.get('content-type')).toBe('application/x-later');
    expect(got.headers.get('content-disposition')).toBe('attachment; filename="later.bin"');
    expect(await bytesOf(got)).toEqual(new Uint8Array([1, 2, 3]));
  });

  it('only lets the creator upload', async () => {
    const alice = await registerUser();
    const bob = await registerUser();
    const mediaId = await createId(alice);
    const res = await put(bob, mediaId, new Uint8Array([1]));
    expect(res.status).toBe(403);
    expect((await json(res)).errcode).toBe('M_FORBIDDEN');
  });

  it('refuses unknown ids, other servers, and malformed ids', async () => {
    const alice = await registerUser();
    const unknown = await put(alice, 'NoSuchMediaIdHere', new Uint8Array([1]));
    expect(unknown.status).toBe(404);
    expect((await json(unknown)).errcode).toBe('M_NOT_FOUND');
    const remote = await put(alice, await createId(alice), new Uint8Array([1]), 'other.example');
    expect(remote.status).toBe(404);
    expect((await json(remote)).errcode).toBe('M_NOT_FOUND');
    const bad = await put(alice, 'bad.id', new Uint8Array([1]));
    expect(bad.status).toBe(400);
    expect((await json(bad)).errcode).toBe('M_INVALID_PARAM');
  });

  it('forgets an id whose time ran out', async () => {
    const alice = await registerUser();
    const mediaId = await createId(alice);
    await httpDb(env).update(media).set({ unusedExpiresTs: Date.now() - 1 }).where(eq(media.mediaId, mediaId));
    const res = await put(alice, mediaId, new Uint8Array([1]));
    expect(res.status).toBe(404);
    expect((await json(res)).errcode).toBe('M_NOT_FOUND');
    const got = await download(alice, mediaId, '?timeout_ms=0');
    expect(got.status).toBe(404);
    await got.arrayBuffer();
  });

  it('limits pending ids per user to 5 (429 M_LIMIT_EXCEEDED)', async () => {
    const alice = await registerUser();
    for (let i = 0; i < 5; i++) await createId(alice);
    const res = await raw('POST', '/_matrix/media/v1/create', { token: alice.token });
    const out = await json(res);
    expect(res.status).toBe(429);
    expect(out.errcode).toBe('M_LIMIT_EXCEEDED');
    expect(out.retry_after_ms).toBeGreaterThan(0);
  });

  it('lets one of two racing uploads win; the other gets 409 and the winner is what is served', async () => {
    const alice = await registerUser();
    const mediaId = await createId(alice);
    const [a, b] = await Promise.all([put(alice, mediaId, new Uint8Array(5000).fill(1)), put(alice, mediaId, new Uint8Array(7000).fill(2))]);
    const statuses = [a.status, b.status].sort();
    expect(statuses).toEqual([200, 409]);
    const winner = a.status === 200 ? 1 : 2;
    await a.arrayBuffer();
    await b.arrayBuffer();
    const body = await bytesOf(await download(alice, mediaId));
    expect(body.byteLength).toBe(winner === 1 ? 5000 : 7000);
    expect(body.every((v) => v === winner)).toBe(true);
    // The loser's object is gone: one object for the id.
    expect((await env.MEDIA.list({ prefix: `content/${mediaId}/` })).objects).toHaveLength(1);
  });
});

describe('downloading content that is still pending', () => {
  it('answers 504 M_NOT_YET_UPLOADED when timeout_ms passes first', async () => {
    const alice = await registerUser();
    const mediaId = await createId(alice);
    const res = await download(alice, mediaId, '?timeout_ms=0');
    expect(res.status).toBe(504);
    expect((await json(res)).errcode).toBe('M_NOT_YET_UPLOADED');
    const thumb = await raw('GET', `/_matrix/client/v1/media/thumbnail/test.local/${mediaId}?width=32&height=32&timeout_ms=0`, { token: alice.token });
    expect(thumb.status).toBe(504);
    expect((await json(thumb)).errcode).toBe('M_NOT_YET_UPLOADED');
  });

  it('waits for the upload and then serves it', async () => {
    const alice = await registerUser();
    const mediaId = await createId(alice);
    const waiting = download(alice, mediaId, '?timeout_ms=15000');
    await new Promise((r) => setTimeout(r, 300));
    expect((await put(alice, mediaId, new Uint8Array([4, 5, 6]))).status).toBe(200);
    const res = await waiting;
    expect(res.status).toBe(200);
    expect(await bytesOf(res)).toEqual(new Uint8Array([4, 5, 6]));
  });

  it('refuses a malformed timeout_ms', async () => {
    const alice = await registerUser();
    const res = await download(alice, await createId(alice), '?timeout_ms=soon');
    expect(res.status).toBe(400);
    expect((await json(res)).errcode).toBe('M_INVALID_PARAM');
  });
});
