// URL previews: Open Graph data through HTMLRewriter, the image stored as media, caching, and the
// refusal of private, loopback and link-local destinations and of other schemes. No test touches the
// network: every outbound fetch of the Worker is answered by `routes` below, and counted.
import { env } from 'cloudflare:test';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { registerUser, uniqueName, type TestUser } from '../helpers/client';
import { expectSpec } from '../helpers/spec';
import { bytesOf, decode, download, encode, json, raw } from './helpers';

type Route = (req: Request) => Response | Promise<Response>;
const routes = new Map<string, Route>();
/** Hosts the Worker tried to reach (DNS-over-HTTPS lookups are listed by the name they asked for). */
let requested: string[] = [];
const dns = new Map<string, string[]>();

const realFetch = globalThis.fetch;
beforeEach(() => {
  requested = [];
  vi.spyOn(globalThis, 'fetch').mockImplementation(async (input: RequestInfo | URL, init?: RequestInit) => {
    const req = new Request(input, init);
    const url = new URL(req.url);
    if (url.hostname === 'cloudflare-dns.com') {
      const name = url.searchParams.get('name')!;
      const type = url.searchParams.get('type');
      requested.push(`dns:${name}:${type}`);
      const answers = (dns.get(name) ?? []).filter((a) => a.includes(':') === (type === 'AAAA'));
      return Response.json({ Status: 0, Answer: answers.map((data) => ({ name, type: type === 'AAAA' ? 28 : 1, TTL: 60, data })) });
    }
    // The database driver's HTTP queries go to the local relay as usual; nothing else leaves.
    if (url.host === env.NEON_WS_PROXY && url.pathname === '/sql') return realFetch(input, init);
    requested.push(url.href);
    const route = routes.get(url.host);
    return route ? route(req) : new Response('no route in this test', { status: 599 });
  });
});
afterEach(() => {
  vi.restoreAllMocks();
  routes.clear();
});

/** A public-looking host of our own invention, resolving to a documentation-free public address. */
function site(route: Route): string {
  const host = `${uniqueName('site')}.example.com`;
  dns.set(host, ['93.184.215.14']);
  routes.set(host, route);
  return host;
}

const html = (body: string, headers: Record<string, string> = {}) => () => new Response(body, { headers: { 'content-type': 'text/html; charset=utf-8', ...headers } });

const preview = (user: TestUser, url: string, vars?: Record<string, string>) =>
  raw('GET', `/_matrix/client/v1/media/preview_url?url=${encodeURIComponent(url)}`, { token: user.token, vars });

describe('GET /_matrix/client/v1/media/preview_url', () => {
  it('reads Open Graph tags and stores the page image as media', async () => {
    const alice = await registerUser();
    const png = encode('png', 64, 48);
    const host = site((req) => {
      if (new URL(req.url).pathname === '/img/cover.png') return new Response(png, { headers: { 'content-type': 'image/png' } });
      return html(`<!doctype html><html><head>
        <meta property="og:title" content="A &amp; B">
        <meta property="og:description" content="Tom &amp;amp; Jerry &#x2014; all about it">
        <meta property="og:image" content="/img/cover.png">
        <meta property="og:image:width" content="9999">
        <title>ignored title</title></head><body>hello</body></html>`)();
    });
    const res = await preview(alice, `https://${host}/article`);
    const og = await json(res);
    expect(res.status, JSON.stringify(og)).toBe(200);
    expectSpec('GET /_matrix/client/v1/media/preview_url', 200, og);
    expect(og).toMatchObject({
      'og:title': 'A & B',
      'og:description': 'Tom &amp; Jerry \u2014 all about it',
      'og:image:type': 'image/png',
      'og:image:width': 64,
      'og:image:height': 48,
      'matrix:image:size': png.byteLength,
    });
    expect(og['og:image']).toMatch(/^mxc:\/\/test\.local\/[A-Za-z0-9]{24}$/);
    const image = await download(alice, og['og:image'].split('/').pop());
    expect(image.status).toBe(200);
    expect(decode(await bytesOf(image))).toMatchObject({ format: 'png', width: 64, height: 48 });
    expect(requested).toEqual([`dns:${host}:A`, `dns:${host}:AAAA`, `https://${host}/article`, `dns:${host}:A`, `dns:${host}:AAAA`, `https://${host}/img/cover.png`]);
  });

  it('falls back to <title> and the description meta tag, and caches the answer', async () => {
    const alice = await registerUser();
    const host = site(html('<html><head><title>  Plain &lt;page&gt; </title><meta name="description" content="About &quot;this&quot;"></head></html>'));
    const first = await json(await preview(alice, `http://${host}/`));
    expect(first).toEqual({ 'og:title': 'Plain <page>', 'og:description': 'About "this"' });
    const fetchedOnce = requested.length;
    const second = await json(await preview(alice, `http://${host}/`));
    expect(second).toEqual(first);
    expect(requested.length).toBe(fetchedOnce);
  });

  it('previews an image URL as the image itself', async () => {
    const alice = await registerUser();
    const jpeg = encode('jpeg', 30, 20);
    const host = site(() => new Response(jpeg, { headers: { 'content-type': 'image/jpeg' } }));
    const og = await json(await preview(alice, `https://${host}/photo.jpg`));
    expect(og).toMatchObject({ 'og:image:type': 'image/jpeg', 'og:image:width': 30, 'og:image:height': 20, 'matrix:image:size': jpeg.byteLength });
  });

  it('answers an empty preview for content that is neither HTML nor an image', async () => {
    const alice = await registerUser();
    const host = site(() => new Response('{"a":1}', { headers: { 'content-type': 'application/json' } }));
    const res = await preview(alice, `https://${host}/data.json`);
    expect(res.status).toBe(200);
    expect(await json(res)).toEqual({});
  });

  it('reads only the first MiB of a page', async () => {
    const alice = await registerUser();
    const filler = 'x'.repeat(2 * 1024 * 1024);
    const host = site(html(`<html><head><meta property="og:title" content="Early"></head><body>${filler}<meta property="og:description" content="Late"></body></html>`));
    const og = await json(await preview(alice, `https://${host}/big`));
    expect(og).toEqual({ 'og:title': 'Early' });
  });
});

describe('refused destinations', () => {
  it('refuses loopback, private and link-local addresses without any request', async () => {
    const alice = await registerUser();
    const urls = [
      'http://127.0.0.1:8787/_matrix/client/versions',
      'http://localhost/',
      'http://api.localhost/',
      'http://[::1]/',
      'http://[::ffff:127.0.0.1]/',
      'http://10.1.2.3/',
      'http://192.168.0.1/',
      'http://172.20.0.1/',
      'http://169.254.169.254/latest/meta-data/',
      'http://[fe80::1]/',
      'http://[fd00::1]/',
      'http://0.0.0.0/',
      'http://2130706433/', // 127.0.0.1 as one number
    ];
    for (const url of urls) {
      const res = await preview(alice, url);
      const out = await json(res);
      expect(res.status, url).toBe(403);
      expect(out.errcode, url).toBe('M_FORBIDDEN');
    }
    expect(requested).toEqual([]);
  });

  it('refuses other schemes and malformed URLs (400)', async () => {
    const alice = await registerUser();
    for (const url of ['ftp://example.com/file', 'file:///etc/passwd', 'javascript:alert(1)', 'data:text/html,hi', 'not a url', '/relative']) {
      const res = await preview(alice, url);
      expect(res.status, url).toBe(400);
      expect((await json(res)).errcode, url).toBe('M_INVALID_PARAM');
    }
    const missing = await raw('GET', '/_matrix/client/v1/media/preview_url', { token: alice.token });
    expect(missing.status).toBe(400);
    expect((await json(missing)).errcode).toBe('M_MISSING_PARAM');
    expect(requested).toEqual([]);
  });

  it('refuses a name that resolves to a private address, asking only DNS', async () => {
    const alice = await registerUser();
    const host = `${uniqueName('rebind')}.example.com`;
    dns.set(host, ['203.0.113.7', '127.0.0.1']);
    routes.set(host, html('<title>secret</title>'));
    const res = await preview(alice, `https://${host}/`);
    expect(res.status).toBe(403);
    expect((await json(res)).errcode).toBe('M_FORBIDDEN');
    expect(requested.every((r) => r.startsWith('dns:'))).toBe(true);
  });

  it('checks every redirect: a redirect to loopback is refused before it is followed', async () => {
    const alice = await registerUser();
    const host = site(() => new Response(null, { status: 302, headers: { location: 'http://127.0.0.1:9/admin' } }));
    const res = await preview(alice, `https://${host}/go`);
    expect(res.status).toBe(403);
    expect((await json(res)).errcode).toBe('M_FORBIDDEN');
    expect(requested).toEqual([`dns:${host}:A`, `dns:${host}:AAAA`, `https://${host}/go`]);
  });

  it('drops an og:image that points at a private address but keeps the rest', async () => {
    const alice = await registerUser();
    const host = site(html('<meta property="og:title" content="T"><meta property="og:image" content="http://10.0.0.5/x.png">'));
    const og = await json(await preview(alice, `https://${host}/`));
    expect(og).toEqual({ 'og:title': 'T' });
    expect(requested.some((r) => r.includes('10.0.0.5'))).toBe(false);
  });
});

describe('switching previews off', () => {
  it('makes the endpoint unknown (404 M_UNRECOGNIZED), on both paths', async () => {
    const alice = await registerUser();
    const host = site(html('<title>x</title>'));
    for (const path of ['/_matrix/client/v1/media/preview_url', '/_matrix/media/v3/preview_url']) {
      const res = await raw('GET', `${path}?url=${encodeURIComponent(`https://${host}/`)}`, { token: alice.token, vars: { URL_PREVIEWS: 'off' } });
      expect(res.status).toBe(404);
      expect((await json(res)).errcode).toBe('M_UNRECOGNIZED');
    }
    expect(requested).toEqual([]);
  });

  it('requires an access token', async () => {
    const res = await raw('GET', `/_matrix/client/v1/media/preview_url?url=${encodeURIComponent('https://example.com/')}`);
    expect(res.status).toBe(401);
    expect((await json(res)).errcode).toBe('M_MISSING_TOKEN');
  });
});
