// Downloads: authenticated (spec 1.11) and the frozen unauthenticated paths, path validation, safe
// headers, file name overrides and byte ranges.
import { describe, expect, it } from 'vitest';
import { registerUser } from '../helpers/client';
import { bytesOf, download, json, raw, uploadOk } from './helpers';

describe('GET /_matrix/client/v1/media/download', () => {
  it('requires an access token, and refuses an unknown one', async () => {
    const alice = await registerUser();
    const mediaId = await uploadOk(alice, new Uint8Array([1]));
    const anonymous = await download(null, mediaId);
    expect(anonymous.status).toBe(401);
    expect((await json(anonymous)).errcode).toBe('M_MISSING_TOKEN');
    const bogus = await raw('GET', `/_matrix/client/v1/media/download/test.local/${mediaId}`, { headers: { authorization: 'Bearer nonsense' } });
    expect(bogus.status).toBe(401);
    expect((await json(bogus)).errcode).toBe('M_UNKNOWN_TOKEN');
  });

  it('serves any user, not only the uploader', async () => {
    const alice = await registerUser();
    const bob = await registerUser();
    const mediaId = await uploadOk(alice, new Uint8Array([7, 7]), 'image/png');
    const res = await download(bob, mediaId);
    expect(res.status).toBe(200);
    expect(await bytesOf(res)).toEqual(new Uint8Array([7, 7]));
  });

  it('sends the security headers the spec recommends', async () => {
    const alice = await registerUser();
    const res = await download(alice, await uploadOk(alice, new Uint8Array([1]), 'image/png'));
    expect(res.headers.get('content-security-policy')).toBe(
      "sandbox; default-src 'none'; script-src 'none'; plugin-types application/pdf; style-src 'unsafe-inline'; object-src 'self';",
    );
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('cross-origin-resource-policy')).toBe('cross-origin');
    expect(res.headers.get('access-control-allow-origin')).toBe('*');
    await res.arrayBuffer();
  });

  it('serves only the spec\'s safe types inline, everything else as an attachment', async () => {
    const alice = await registerUser();
    const cases: [string, string][] = [
      ['image/png', 'inline'],
      ['text/plain; charset=utf-8', 'inline'],
      ['video/mp4', 'inline'],
      ['text/html', 'attachment'],
      ['image/svg+xml', 'attachment'],
      ['application/javascript', 'attachment'],
    ];
    for (const [type, disposition] of cases) {
      const res = await download(alice, await uploadOk(alice, new Uint8Array([1]), type, 'f'));
      expect(res.headers.get('content-type'), type).toBe(type);
      expect(res.headers.get('content-disposition'), type).toBe(`${disposition}; filename="f"`);
      await res.arrayBuffer();
    }
  });

  it('uses the file name from the path, encoding non-ASCII names (RFC 8187)', async () => {
    const alice = await registerUser();
    const mediaId = await uploadOk(alice, new Uint8Array([1]), 'image/jpeg', 'original.jpg');
    const plain = await download(alice, mediaId, '/holiday.jpg');
    expect(plain.status).toBe(200);
    expect(plain.headers.get('content-disposition')).toBe('inline; filename="holiday.jpg"');
    await plain.arrayBuffer();
    const unicode = await download(alice, mediaId, `/${encodeURIComponent('été "1".jpg')}`);
    expect(unicode.headers.get('content-disposition')).toBe("inline; filename*=utf-8''%C3%A9t%C3%A9%20%221%22.jpg");
    await unicode.arrayBuffer();
    const uploadedUnicode = await download(alice, await uploadOk(alice, new Uint8Array([1]), 'text/plain', 'Straße.txt'));
    expect(uploadedUnicode.headers.get('content-disposition')).toBe("inline; filename*=utf-8''Stra%C3%9Fe.txt");
    await uploadedUnicode.arrayBuffer();
  });

  it('answers 404 M_NOT_FOUND for unknown media, and 502 for media of a server it cannot reach', async () => {
    const alice = await registerUser();
    const unknown = await download(alice, 'AbsentMediaId');
    expect(unknown.status).toBe(404);
    expect((await json(unknown)).errcode).toBe('M_NOT_FOUND');
    // Remote media is fetched over federation (test/integration/federation/media.test.ts); this server is not reachable.
    const remote = await raw('GET', '/_matrix/client/v1/media/download/matrix.org/SomeMediaId', { token: alice.token, vars: { FEDERATION_RESOLVE: 'elsewhere.test=http://127.0.0.1:9' } });
    expect(remote.status).toBe(502);
    expect((await json(remote)).errcode).toBe('M_UNKNOWN');
  });

  it('refuses media ids with path characters or over 255 characters, and bad server names', async () => {
    const alice = await registerUser();
    const bad = ['..%2F..%2Fetc%2Fpasswd', 'a.b', 'a%00b', 'x'.repeat(256), 'caf%C3%A9'];
    for (const id of bad) {
      const res = await raw('GET', `/_matrix/client/v1/media/download/test.local/${id}`, { token: alice.token });
      expect(res.status, id).toBe(400);
      const out = await json(res);
      expect(out.errcode, id).toBe('M_INVALID_PARAM');
      expect(out.error).toMatch(/Media id/);
    }
    for (const server of ['bad_server!', 'a%2Fb', '[::1']) {
      const res = await raw('GET', `/_matrix/client/v1/media/download/${server}/AbsentMediaId`, { token: alice.token });
      expect(res.status, server).toBe(400);
      const out = await json(res);
      expect(out.errcode).toBe('M_INVALID_PARAM');
      expect(out.error).toMatch(/server name/);
    }
  });
});

describe('byte ranges', () => {
  const content = new TextEncoder().encode('0123456789');

  it('serves one range as 206 with Content-Range', async () => {
    const alice = await registerUser();
    const mediaId = await uploadOk(alice, content, 'text/plain');
    const cases: [string, string, string][] = [
      ['bytes=2-5', '2345', 'bytes 2-5/10'],
      ['bytes=7-', '789', 'bytes 7-9/10'],
      ['bytes=-3', '789', 'bytes 7-9/10'],
      ['bytes=8-100', '89', 'bytes 8-9/10'],
    ];
    for (const [range, body, contentRange] of cases) {
      const res = await download(alice, mediaId, '', { range });
      expect(res.status, range).toBe(206);
      expect(res.headers.get('content-range')).toBe(contentRange);
      expect(res.headers.get('content-length')).toBe(String(body.length));
      expect(await res.text()).toBe(body);
    }
  });

  it('answers 416 to a range past the end, and the whole content to several ranges', async () => {
    const alice = await registerUser();
    const mediaId = await uploadOk(alice, content, 'text/plain');
    const past = await download(alice, mediaId, '', { range: 'bytes=10-' });
    expect(past.status).toBe(416);
    expect(past.headers.get('content-range')).toBe('bytes */10');
    await past.arrayBuffer();
    const several = await download(alice, mediaId, '', { range: 'bytes=0-1,4-5' });
    expect(several.status).toBe(200);
    expect(several.headers.get('accept-ranges')).toBe('bytes');
    expect(await several.text()).toBe('0123456789');
  });
});

describe('the deprecated unauthenticated paths', () => {
  it('refuse media uploaded after the freeze with 404 M_NOT_FOUND (download and thumbnail)', async () => {
    const alice = await registerUser();
    const mediaId = await uploadOk(alice, new Uint8Array([1]), 'image/png');
    for (const path of [`/_matrix/media/v3/download/test.local/${mediaId}`, `/_matrix/media/v3/download/test.local/${mediaId}/x.png`, `/_matrix/media/r0/download/test.local/${mediaId}`, `/_matrix/media/v3/thumbnail/test.local/${mediaId}?width=32&height=32`]) {
      const res = await raw('GET', path);
      expect(res.status, path).toBe(404);
      expect((await json(res)).errcode).toBe('M_NOT_FOUND');
      // A token does not help: the freeze is about the path.
      const withToken = await raw('GET', path, { token: alice.token });
      expect(withToken.status, path).toBe(404);
      await withToken.arrayBuffer();
    }
  });

  it('serve media without a token when LEGACY_MEDIA is on', async () => {
    const alice = await registerUser();
    const vars = { LEGACY_MEDIA: 'on' };
    const mediaId = await uploadOk(alice, new Uint8Array([5, 6]), 'application/pdf', 'doc.pdf', vars);
    const res = await raw('GET', `/_matrix/media/v3/download/test.local/${mediaId}`, { vars });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="doc.pdf"');
    expect(await bytesOf(res)).toEqual(new Uint8Array([5, 6]));
    // Turning the switch off freezes what is uploaded from then on; media from before stays reachable (spec).
    const before = await raw('GET', `/_matrix/media/v3/download/test.local/${mediaId}`);
    expect(before.status).toBe(200);
    await before.arrayBuffer();
    const after = await uploadOk(alice, new Uint8Array([1]), 'application/pdf');
    const frozen = await raw('GET', `/_matrix/media/v3/download/test.local/${after}`);
    expect(frozen.status).toBe(404);
    await frozen.arrayBuffer();
  });
});
