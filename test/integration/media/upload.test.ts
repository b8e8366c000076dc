// Uploads (POST /_matrix/media/v3/upload), the media config, and the limits on uploads: size,
// quota and rate.
import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { registerUser } from '../helpers/client';
import { expectSpec } from '../helpers/spec';
import { bytesOf, download, json, raw, uploadOk } from './helpers';

const UPLOAD = '/_matrix/media/v3/upload';

/** A body of unknown length: sent chunked, without Content-Length. */
function chunked(size: number, chunk = 64 * 1024): ReadableStream<Uint8Array> {
  let sent = 0;
  return new ReadableStream({
    pull(controller) {
      if (sent >= size) return controller.close();
      const n = Math.min(chunk, size - sent);
      controller.enqueue(new Uint8Array(n).fill(sent % 251));
      sent += n;
    },
  });
}

describe('POST /_matrix/media/v3/upload', () => {
  it('stores the content and serves it back with its type and file name', async () => {
    const alice = await registerUser();
    const content = new TextEncoder().encode('hello, media');
    const res = await raw('POST', `${UPLOAD}?filename=notes.txt`, { token: alice.token, body: content, headers: { 'content-type': 'text/plain' } });
    const out = await json(res);
    expect(res.status).toBe(200);
    expectSpec('POST /_matrix/media/v3/upload', 200, out);
    const mediaId = out.content_uri.split('/').pop();

    const got = await download(alice, mediaId);
    expect(got.status).toBe(200);
    expect(got.headers.get('content-type')).toBe('text/plain');
    expect(got.headers.get('content-disposition')).toBe('inline; filename="notes.txt"');
    expect(got.headers.get('content-length')).toBe(String(content.byteLength));
    expect(await bytesOf(got)).toEqual(content);
  });

  it('writes the object to R2 before the row: the stored object is exactly the upload', async () => {
    const alice = await registerUser();
    const content = crypto.getRandomValues(new Uint8Array(3000));
    const mediaId = await uploadOk(alice, content);
    const listed = await env.MEDIA.list({ prefix: `content/${mediaId}/` });
    expect(listed.objects).toHaveLength(1);
    expect(listed.objects[0].size).toBe(3000);
  });

  it('defaults the content type to application/octet-stream, served as an attachment without a file name', async () => {
    const alice = await registerUser();
    const res = await raw('POST', UPLOAD, { token: alice.token, body: new Uint8Array([1, 2, 3]) });
    expect(res.status).toBe(200);
    const got = await download(alice, (await json(res)).content_uri.split('/').pop());
    expect(got.headers.get('content-type')).toBe('application/octet-stream');
    expect(got.headers.get('content-disposition')).toBe('attachment');
    await got.arrayBuffer();
  });

  it('accepts a zero-byte upload (as Synapse does) and serves it empty', async () => {
    const alice = await registerUser();
    const mediaId = await uploadOk(alice, new Uint8Array(), 'text/plain', 'empty.txt');
    const got = await download(alice, mediaId);
    expect(got.status).toBe(200);
    expect(got.headers.get('content-length')).toBe('0');
    expect((await bytesOf(got)).byteLength).toBe(0);
  });

  it('stores a chunked body of unknown length, across several multipart parts', async () => {
    const alice = await registerUser();
    const size = 17 * 1024 * 1024 + 123; // three R2 parts: 8 MiB, 8 MiB and the rest
    const res = await raw('POST', UPLOAD, { token: alice.token, body: chunked(size), headers: { 'content-type': 'application/x-test' } });
    expect(res.status, JSON.stringify(await res.clone().json())).toBe(200);
    const mediaId = (await json(res)).content_uri.split('/').pop();
    const got = await download(alice, mediaId);
    expect(got.headers.get('content-length')).toBe(String(size));
    const body = await bytesOf(got);
    expect(body.byteLength).toBe(size);
    expect(body[0]).toBe(0);
    expect(body[64 * 1024]).toBe((64 * 1024) % 251);
    expect(body[size - 1]).toBe(Math.floor((size - 1) / (64 * 1024)) * 64 * 1024 % 251);
  });

  it('requires an access token', async () => {
    const res = await raw('POST', UPLOAD, { body: new Uint8Array([1]) });
    expect(res.status).toBe(401);
    expect((await json(res)).errcode).toBe('M_MISSING_TOKEN');
  });

  it('refuses guests', async () => {
    const reg = await raw('POST', '/_matrix/client/v3/register?kind=guest', { body: '{}', headers: { 'content-type': 'application/json' }, vars: { GUEST_ACCESS: 'on' } });
    const guest = await json(reg);
    expect(reg.status, JSON.stringify(guest)).toBe(200);
    const res = await raw('POST', UPLOAD, { token: guest.access_token, body: new Uint8Array([1]), vars: { GUEST_ACCESS: 'on' } });
    expect(res.status).toBe(403);
    expect((await json(res)).errcode).toBe('M_GUEST_ACCESS_FORBIDDEN');
  });

  it('refuses a file name with control characters, and an over-long one', async () => {
    const alice = await registerUser();
    for (const name of ['a\nb.txt', 'x'.repeat(256)]) {
      const res = await raw('POST', `${UPLOAD}?filename=${encodeURIComponent(name)}`, { token: alice.token, body: new Uint8Array([1]) });
      expect(res.status).toBe(400);
      expect((await json(res)).errcode).toBe('M_INVALID_PARAM');
    }
  });
});

describe('upload size limit', () => {
  const vars = { MEDIA_MAX_UPLOAD_BYTES: '1000' };

  it('is what /media/config reports, on both paths', async () => {
    const alice = await registerUser();
    for (const path of ['/_matrix/client/v1/media/config', '/_matrix/media/v3/config']) {
      const res = await raw('GET', path, { token: alice.token, vars });
      const out = await json(res);
      expect(res.status).toBe(200);
      expect(out).toEqual({ 'm.upload.size': 1000 });
    }
    const def = await json(await raw('GET', '/_matrix/client/v1/media/config', { token: alice.token }));
    expectSpec('GET /_matrix/client/v1/media/config', 200, def);
    expect(def['m.upload.size']).toBe(50 * 1024 * 1024);
  });

  it('/media/config requires an access token', async () => {
    const res = await raw('GET', '/_matrix/client/v1/media/config');
    expect(res.status).toBe(401);
    expect((await json(res)).errcode).toBe('M_MISSING_TOKEN');
  });

  it('refuses a larger upload with 413 M_TOO_LARGE, and stores nothing', async () => {
    const alice = await registerUser();
    await uploadOk(alice, new Uint8Array(1000), undefined, undefined, vars);
    const res = await raw('POST', UPLOAD, { token: alice.token, body: new Uint8Array(1001), vars });
    expect(res.status).toBe(413);
    expect((await json(res)).errcode).toBe('M_TOO_LARGE');
  });

  it('refuses a chunked upload once it passes the limit', async () => {
    const alice = await registerUser();
    const before = (await env.MEDIA.list({ prefix: 'content/' })).objects.length;
    const res = await raw('POST', UPLOAD, { token: alice.token, body: chunked(5000, 300), vars });
    expect(res.status).toBe(413);
    expect((await json(res)).errcode).toBe('M_TOO_LARGE');
    expect((await env.MEDIA.list({ prefix: 'content/' })).objects.length).toBe(before);
  });
});

describe('per-user quota', () => {
  const vars = { MEDIA_USER_QUOTA_BYTES: '2000' };

  it('refuses uploads past the quota with 403 M_FORBIDDEN, counting only that user', async () => {
    const alice = await registerUser();
    const bob = await registerUser();
    await uploadOk(alice, new Uint8Array(1500), undefined, undefined, vars);
    const over = await raw('POST', UPLOAD, { token: alice.token, body: new Uint8Array(600), vars });
    expect(over.status).toBe(403);
    expect((await json(over)).errcode).toBe('M_FORBIDDEN');
    const chunkedOver = await raw('POST', UPLOAD, { token: alice.token, body: chunked(600, 100), vars });
    expect(chunkedOver.status).toBe(403);
    await chunkedOver.arrayBuffer();
    await uploadOk(alice, new Uint8Array(500), undefined, undefined, vars); // exactly the quota
    await uploadOk(bob, new Uint8Array(1500), undefined, undefined, vars);
  });
});

describe('upload rate limit', () => {
  it('answers 429 M_LIMIT_EXCEEDED with retry_after_ms once the burst is spent', async () => {
    const alice = await registerUser();
    const vars = { RATE_LIMIT_MEDIA_UPLOAD: '0.01/2' };
    await uploadOk(alice, new Uint8Array([1]), undefined, undefined, vars);
    await uploadOk(alice, new Uint8Array([2]), undefined, undefined, vars);
    const res = await raw('POST', UPLOAD, { token: alice.token, body: new Uint8Array([3]), vars });
    const out = await json(res);
    expect(res.status).toBe(429);
    expect(out.errcode).toBe('M_LIMIT_EXCEEDED');
    expect(out.retry_after_ms).toBeGreaterThan(0);
    // /create draws from the same bucket.
    const created = await raw('POST', '/_matrix/media/v1/create', { token: alice.token, vars });
    expect(created.status).toBe(429);
    await created.arrayBuffer();
  });
});
