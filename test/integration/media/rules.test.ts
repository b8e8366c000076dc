// The pure rules behind the media endpoints, table-driven: blocked address ranges for URL previews,
// byte ranges, thumbnail geometry, image header sniffing, and the media configuration's validation.
import { describe, expect, it } from 'vitest';
import { isBlockedAddress } from '../../../src/services/media/url-preview/address';
import { parseRange } from '../../../src/services/media/range';
import { planThumbnail } from '../../../src/services/media/thumbnail-plan';
import { imageInfo } from '../../../src/services/media/image-info';
import { contentDisposition } from '../../../src/services/media/headers';
import { registerUser } from '../helpers/client';
import { encode, gif, json, raw, withOrientation } from './helpers';

describe('addresses URL previews may not reach', () => {
  const blocked = [
    '127.0.0.1', '127.255.255.254', '10.0.0.1', '172.16.0.1', '172.31.255.255', '192.168.1.1', '169.254.169.254', '100.64.0.1',
    '0.0.0.0', '224.0.0.1', '255.255.255.255', '192.0.2.1', '198.51.100.1', '203.0.113.1', '198.18.0.1',
    '::1', '::', 'fe80::1', 'fc00::1', 'fd12:3456::1', 'ff02::1', '::ffff:127.0.0.1', '::ffff:10.1.1.1', '64:ff9b::a00:1',
    '2001:db8::1', '2002:7f00:1::', 'not an address',
  ];
  const allowed = ['93.184.215.14', '1.1.1.1', '172.32.0.1', '100.128.0.1', '2606:4700:4700::1111', '::ffff:8.8.8.8', '64:ff9b::808:808'];
  it.each(blocked)('blocks %s', (ip) => expect(isBlockedAddress(ip)).toBe(true));
  it.each(allowed)('allows %s', (ip) => expect(isBlockedAddress(ip)).toBe(false));
});

describe('Range header', () => {
  it.each([
    [null, 10, null],
    ['bytes=0-0', 10, { offset: 0, length: 1 }],
    ['bytes=3-', 10, { offset: 3, length: 7 }],
    ['bytes=-4', 10, { offset: 6, length: 4 }],
    ['bytes=-40', 10, { offset: 0, length: 10 }],
    ['bytes=5-2', 10, null],
    ['bytes=10-12', 10, 'unsatisfiable'],
    ['bytes=-0', 10, 'unsatisfiable'],
    ['bytes=0-', 0, 'unsatisfiable'],
    ['bytes=1-2,4-5', 10, null],
    ['items=1-2', 10, null],
  ] as const)('%s of %i bytes', (header, size, expected) => expect(parseRange(header, size)).toEqual(expected));
});

describe('thumbnail geometry', () => {
  it.each([
    // [source, box, method, expected]
    [[2000, 1000], [320, 240], 'scale', { crop: [2000, 1000], out: [320, 160] }],
    [[1000, 2000], [320, 240], 'scale', { crop: [1000, 2000], out: [120, 240] }],
    [[2000, 1000], [96, 96], 'crop', { crop: [1000, 1000], out: [96, 96] }],
    [[400, 300], [100, 50], 'crop', { crop: [400, 200], out: [100, 50] }],
    [[200, 50], [96, 96], 'crop', { crop: [96, 50], out: [96, 50] }],
    [[320, 240], [320, 240], 'scale', 'original'],
    [[100, 100], [800, 600], 'crop', 'original'],
  ] as const)('%j into %j by %s', (src, box, method, expected) => {
    const plan = planThumbnail({ width: src[0], height: src[1] }, { width: box[0], height: box[1] }, method);
    if (expected === 'original') return expect(plan).toEqual({ kind: 'original' });
    expect(plan).toEqual({ kind: 'resize', crop: { width: expected.crop[0], height: expected.crop[1] }, out: { width: expected.out[0], height: expected.out[1] } });
  });
});

describe('image headers', () => {
  it('reads format, size, animation and orientation', () => {
    expect(imageInfo(encode('png', 31, 17))).toEqual({ format: 'png', width: 31, height: 17, animated: false, orientation: 1 });
    expect(imageInfo(encode('jpeg', 31, 17))).toEqual({ format: 'jpeg', width: 31, height: 17, animated: false, orientation: 1 });
    expect(imageInfo(withOrientation(encode('jpeg', 31, 17), 8))).toMatchObject({ format: 'jpeg', orientation: 8 });
    expect(imageInfo(encode('webp', 31, 17))).toEqual({ format: 'webp', width: 31, height: 17, animated: false, orientation: 1 });
    expect(imageInfo(gif(4, 2, [new Uint8Array(8)]))).toEqual({ format: 'gif', width: 4, height: 2, animated: false, orientation: 1 });
    expect(imageInfo(gif(4, 2, [new Uint8Array(8), new Uint8Array(8).fill(1)]))).toMatchObject({ animated: true });
  });

  it('sees APNG, lossy WebP and animated WebP headers', () => {
    const png = encode('png', 8, 8);
    // An acTL chunk after IHDR makes an APNG (its CRC is not checked by a header reader).
    const actl = [0, 0, 0, 8, ...new TextEncoder().encode('acTL'), 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0];
    const apng = new Uint8Array([...png.subarray(0, 33), ...actl, ...png.subarray(33)]);
    expect(imageInfo(apng)).toMatchObject({ format: 'png', animated: true, width: 8, height: 8 });
    const riff = (chunk: string, data: number[]) => new Uint8Array([...new TextEncoder().encode('RIFF'), 0, 0, 0, 0, ...new TextEncoder().encode('WEBP'), ...new TextEncoder().encode(chunk), data.length, 0, 0, 0, ...data]);
    const vp8 = riff('VP8 ', [0, 0, 0, 0x9d, 0x01, 0x2a, 640 & 255, 640 >> 8, 480 & 255, 480 >> 8, ...Array(10).fill(0)]);
    expect(imageInfo(vp8)).toEqual({ format: 'webp', width: 640, height: 480, animated: false, orientation: 1 });
    const vp8x = riff('VP8X', [0x02, 0, 0, 0, 99, 0, 0, 49, 0, 0, ...Array(10).fill(0)]);
    expect(imageInfo(vp8x)).toEqual({ format: 'webp', width: 100, height: 50, animated: true, orientation: 1 });
  });

  it('refuses what is not an image it can read', () => {
    for (const bytes of [new Uint8Array(), new TextEncoder().encode('<svg xmlns="http://www.w3.org/2000/svg"/>'), new Uint8Array([0xff, 0xd8, 0xff, 0xd9]), encode('png', 4, 4).subarray(0, 20)]) {
      expect(imageInfo(bytes)).toBeNull();
    }
  });
});

describe('Content-Disposition', () => {
  it.each([
    ['inline', null, 'inline'],
    ['attachment', '', 'attachment'],
    ['inline', 'cat.png', 'inline; filename="cat.png"'],
    ['attachment', 'say "hi".txt', "attachment; filename*=utf-8''say%20%22hi%22.txt"],
    ['inline', 'naïve (1).jpg', "inline; filename*=utf-8''na%C3%AFve%20%281%29.jpg"],
  ] as const)('%s with %j', (disposition, name, expected) => expect(contentDisposition(disposition, name)).toBe(expected));
});

describe('media configuration', () => {
  it('refuses invalid values loudly and accepts an unlimited quota', async () => {
    const alice = await registerUser();
    for (const vars of [{ MEDIA_MAX_UPLOAD_BYTES: '50MB' }, { MEDIA_USER_QUOTA_BYTES: '-1' }, { RATE_LIMIT_MEDIA_UPLOAD: 'fast' }, { URL_PREVIEWS: 'maybe' }, { LEGACY_MEDIA: 'yes' }]) {
      const res = await raw('GET', '/_matrix/client/v1/media/config', { token: alice.token, vars });
      expect(res.status, JSON.stringify(vars)).toBe(500);
      expect((await json(res)).error).toBe('The server is misconfigured');
    }
    const unlimited = await raw('POST', '/_matrix/media/v3/upload', { token: alice.token, body: new Uint8Array([1]), vars: { MEDIA_USER_QUOTA_BYTES: 'unlimited' } });
    expect(unlimited.status).toBe(200);
    await unlimited.arrayBuffer();
  });
});
