// Media between servers (spec: server-server "Content Repository", authenticated media v1.11):
// our media served as multipart/mixed to other servers, and other servers' media fetched once into
// R2 and served to our users like our own (ranges, thumbnails), through redirects and the
// deprecated endpoint of older servers; refusals for missing, malformed and oversized media.
import { describe, expect, it } from 'vitest';
import { parseMultipartMedia, boundaryOf } from '../../../src/services/federation/multipart';
import { registerUser, type TestUser } from '../helpers/client';
import { bytesOf, decode, encode, json, raw, uploadOk } from '../media/helpers';
import { fakeServer, interceptFederation, type FakeServer } from './fake-server';

interceptFederation();

const enc = encodeURIComponent;
const encoder = new TextEncoder();

async function readMultipart(res: Response) {
  const boundary = boundaryOf(res.headers.get('content-type'));
  expect(boundary, res.headers.get('content-type') ?? '').toBeDefined();
  const part = await parseMultipartMedia(res.body!, boundary!);
  return { ...part, bytes: new Uint8Array(await new Response(part.body).arrayBuffer()) };
}

function randomBytes(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i += 65536) crypto.getRandomValues(out.subarray(i, Math.min(n, i + 65536)));
  return out;
}

/** A multipart/mixed answer as another server sends it, streamed in chunks of `chunk` bytes. */
function multipart(media: Uint8Array, headers: Record<string, string>, chunk = 4093, boundary = 'gc0p4Jq0M2Yt08jU534c0p'): Response {
  const head = encoder.encode(
    `preamble to ignore\r\n--${boundary}\r\nContent-Type: application/json\r\n\r\n{}\r\n--${boundary}\r\n${Object.entries(headers)
      .map(([k, v]) => `${k}: ${v}`)
      .join('\r\n')}\r\n\r\n`,
  );
  const tail = encoder.encode(`\r\n--${boundary}--\r\nepilogue`);
  const all = new Uint8Array(head.length + media.length + tail.length);
  all.set(head);
  all.set(media, head.length);
  all.set(tail, head.length + media.length);
  let at = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (at >= all.length) return controller.close();
      controller.enqueue(all.slice(at, at + chunk));
      at += chunk;
    },
  });
  return new Response(body, { headers: { 'content-type': `multipart/mixed; boundary="${boundary}"` } });
}

/** Byte arrays compared in one step (toEqual walks megabytes element by element). */
const same = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((v, i) => v === b[i]);

const downloads = (remote: FakeServer) => remote.received.filter((r) => r.url.pathname.startsWith('/_matrix/federation/v1/media/download/'));
const clientDownload = (user: TestUser, remote: FakeServer, mediaId: string, headers?: Record<string, string>) =>
  raw('GET', `/_matrix/client/v1/media/download/${remote.name}/${mediaId}`, { token: user.token, vars: remote.vars, headers });

describe('GET /_matrix/federation/v1/media/download and /thumbnail', () => {
  it('serves our media as multipart/mixed: empty metadata, then the bytes with their type and name', async () => {
    const remote = await fakeServer();
    const alice = await registerUser();
    const content = randomBytes(200_000);
    const mediaId = await uploadOk(alice, content, 'application/pdf', 'report.pdf');
    const res = await remote.fetch('GET', `/_matrix/federation/v1/media/download/${mediaId}`);
    expect(res.status).toBe(200);
    const part = await readMultipart(res);
    expect(part.metadata).toEqual({});
    expect(part.headers.get('content-type')).toBe('application/pdf');
    expect(part.headers.get('content-disposition')).toBe('attachment; filename="report.pdf"');
    expect(same(part.bytes, content)).toBe(true);
  });

  it('serves a thumbnail of our image', async () => {
    const remote = await fakeServer();
    const alice = await registerUser();
    const mediaId = await uploadOk(alice, encode('png', 400, 300), 'image/png');
    const res = await remote.fetch('GET', `/_matrix/federation/v1/media/thumbnail/${mediaId}?width=40&height=30&method=scale`);
    expect(res.status).toBe(200);
    const part = await readMultipart(res);
    expect(part.metadata).toEqual({});
    expect(part.headers.get('content-type')).toMatch(/^image\//);
    const img = decode(part.bytes);
    expect([img.width, img.height]).toEqual([40, 30]);
  });

  it('answers 404 for unknown media, 400 for bad ids and parameters, 401 without authentication', async () => {
    const remote = await fakeServer();
    const unknown = await remote.request('GET', '/_matrix/federation/v1/media/download/NoSuchMedia');
    expect(unknown.status).toBe(404);
    expect(unknown.body.errcode).toBe('M_NOT_FOUND');
    const bad = await remote.request('GET', '/_matrix/federation/v1/media/download/a.b');
    expect(bad.status).toBe(400);
    const alice = await registerUser();
    const mediaId = await uploadOk(alice, encode('png', 10, 10), 'image/png');
    const noWidth = await remote.request('GET', `/_matrix/federation/v1/media/thumbnail/${mediaId}?height=5`);
    expect(noWidth.status).toBe(400);
    const anonymous = await raw('GET', `/_matrix/federation/v1/media/download/${mediaId}`);
    expect(anonymous.status).toBe(401);
  });
});

describe('media of other servers for our users', () => {
  it('fetches the media once, keeps it, and serves it whole and by range', async () => {
    const remote = await fakeServer();
    const alice = await registerUser();
    const content = randomBytes(3 * 1024 * 1024 + 17);
    remote.on('GET', '/_matrix/federation/v1/media/download/Remote1', () => multipart(content, { 'Content-Type': 'video/mp4', 'Content-Disposition': `inline; filename*=utf-8''${enc('été.mp4')}` }));
    const first = await clientDownload(alice, remote, 'Remote1');
    expect(first.status).toBe(200);
    expect(first.headers.get('content-type')).toBe('video/mp4');
    expect(first.headers.get('content-disposition')).toBe(`inline; filename*=utf-8''${enc('été.mp4')}`);
    expect(same(await bytesOf(first), content)).toBe(true);
    const second = await clientDownload(alice, remote, 'Remote1', { range: 'bytes=100-199' });
    expect(second.status).toBe(206);
    expect(await bytesOf(second)).toEqual(content.slice(100, 200));
    expect(downloads(remote)).toHaveLength(1);
    const req = downloads(remote)[0];
    expect(req.auth?.origin).toBe('test.local');
    expect(req.auth?.destination).toBe(remote.name);
  });

  it('finds the closing delimiter wherever the chunks cut it', async () => {
    const remote = await fakeServer();
    const alice = await registerUser();
    const content = encoder.encode('short text\r\n--not the boundary\r\n-');
    remote.on('GET', '/_matrix/federation/v1/media/download/Tiny', () => multipart(content, { 'Content-Type': 'text/plain' }, 5));
    const res = await clientDownload(alice, remote, 'Tiny');
    expect(res.status).toBe(200);
    expect(await bytesOf(res)).toEqual(content);
  });

  it('makes thumbnails of remote images here', async () => {
    const remote = await fakeServer();
    const alice = await registerUser();
    remote.on('GET', '/_matrix/federation/v1/media/download/Picture', () => multipart(encode('png', 200, 100), { 'Content-Type': 'image/png' }));
    const res = await raw('GET', `/_matrix/client/v1/media/thumbnail/${remote.name}/Picture?width=20&height=10`, { token: alice.token, vars: remote.vars });
    expect(res.status).toBe(200);
    const img = decode(await bytesOf(res));
    expect([img.width, img.height]).toEqual([20, 10]);
    expect(downloads(remote)).toHaveLength(1);
  });

  it('follows a Location part, and falls back to the deprecated endpoint of an older server', async () => {
    const remote = await fakeServer();
    const alice = await registerUser();
    const content = randomBytes(1000);
    remote.on('GET', '/_matrix/federation/v1/media/download/Moved', () => multipart(new Uint8Array(), { Location: `${remote.baseUrl}/cdn/moved` }));
    remote.on('GET', '/cdn/moved', () => new Response(content, { headers: { 'content-type': 'image/webp' } }));
    const moved = await clientDownload(alice, remote, 'Moved');
    expect(moved.status).toBe(200);
    expect(moved.headers.get('content-type')).toBe('image/webp');
    expect(await bytesOf(moved)).toEqual(content);

    const old = await fakeServer();
    old.on('GET', /^\/_matrix\/federation\/v1\/media\//, () => new Response(JSON.stringify({ errcode: 'M_UNRECOGNIZED', error: 'no' }), { status: 404 }));
    old.on('GET', `/_matrix/media/v3/download/${old.name}/Legacy`, () => new Response(content, { headers: { 'content-type': 'application/octet-stream' } }));
    const legacy = await clientDownload(alice, old, 'Legacy');
    expect(legacy.status).toBe(200);
    expect(await bytesOf(legacy)).toEqual(content);
    const asked = old.received.find((r) => r.url.pathname.startsWith('/_matrix/media/v3/download/'));
    expect(asked?.url.searchParams.get('allow_remote')).toBe('false');
  });

  it('answers 404 for media the server does not have, 502 for malformed, oversized or unreachable media', async () => {
    const remote = await fakeServer();
    const alice = await registerUser();
    remote.on('GET', '/_matrix/federation/v1/media/download/Missing', () => new Response(JSON.stringify({ errcode: 'M_NOT_FOUND', error: 'no' }), { status: 404 }));
    remote.on('GET', '/_matrix/federation/v1/media/download/Plain', () => new Response('just bytes', { headers: { 'content-type': 'text/plain' } }));
    remote.on('GET', '/_matrix/federation/v1/media/download/Cut', () => {
      const res = multipart(encoder.encode('abc'), { 'Content-Type': 'text/plain' });
      // The closing delimiter never comes.
      return new Response(res.body!.pipeThrough(new TransformStream({ transform: (c, ctl) => ctl.enqueue(c.slice(0, Math.max(0, c.length - 60))) })), { headers: res.headers });
    });
    remote.on('GET', '/_matrix/federation/v1/media/download/Huge', () => multipart(randomBytes(4096), { 'Content-Type': 'application/octet-stream' }));
    const missing = await clientDownload(alice, remote, 'Missing');
    expect(missing.status).toBe(404);
    expect((await json(missing)).errcode).toBe('M_NOT_FOUND');
    const plain = await clientDownload(alice, remote, 'Plain');
    expect(plain.status).toBe(502);
    const cut = await clientDownload(alice, remote, 'Cut');
    expect(cut.status).toBe(502);
    const huge = await raw('GET', `/_matrix/client/v1/media/download/${remote.name}/Huge`, { token: alice.token, vars: { ...remote.vars, MEDIA_MAX_UPLOAD_BYTES: '1000' } });
    expect(huge.status).toBe(502);
    expect((await json(huge)).errcode).toBe('M_TOO_LARGE');
    const unreachable = await raw('GET', '/_matrix/client/v1/media/download/unlisted.test/X', { token: alice.token, vars: remote.vars });
    expect(unreachable.status).toBe(502);
    // Nothing half-fetched became media.
    const again = await clientDownload(alice, remote, 'Cut');
    expect(again.status).toBe(502);
  });
});
