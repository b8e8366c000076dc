// Thumbnails: scale and crop of PNG, JPEG, GIF (first frame) and WebP, checked by decoding what is
// served; stored in R2 and reused; never upscaled; `animated` as the spec allows; bad requests.
import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { registerUser, type TestUser } from '../helpers/client';
import { animatedWebp, bytesOf, decode, encode, gif, json, near, thumbnail, uploadOk, withOrientation } from './helpers';

async function thumb(user: TestUser, mediaId: string, query: string) {
  const res = await thumbnail(user, mediaId, query);
  const body = await bytesOf(res);
  expect(res.status, new TextDecoder().decode(body.subarray(0, 300))).toBe(200);
  return { res, body, image: decode(body) };
}

const quarters = (w: number, h: number) => (x: number, y: number): [number, number, number, number] =>
  x < w / 2 ? (y < h / 2 ? [255, 0, 0, 255] : [0, 255, 0, 255]) : y < h / 2 ? [0, 0, 255, 255] : [255, 255, 255, 255];

describe('thumbnail formats and methods', () => {
  it('scales a PNG into the box keeping its aspect ratio, as a PNG', async () => {
    const alice = await registerUser();
    const original = encode('png', 400, 300);
    const mediaId = await uploadOk(alice, original, 'image/png');
    const { res, body, image } = await thumb(alice, mediaId, 'width=100&height=100&method=scale');
    expect(res.headers.get('content-type')).toBe('image/png');
    expect(res.headers.get('content-disposition')).toBe('inline; filename="thumbnail.png"');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(image.format).toBe('png');
    expect([image.width, image.height]).toEqual([100, 75]);
    expect(body.byteLength).toBeLessThan(original.byteLength);
  });

  it('crops to the requested aspect ratio from the centre', async () => {
    const alice = await registerUser();
    // 400x200: left half red/green, right half blue/white; a centred square crop keeps all four.
    const mediaId = await uploadOk(alice, encode('png', 400, 200, quarters(400, 200)), 'image/png');
    const { image } = await thumb(alice, mediaId, 'width=64&height=64&method=crop');
    expect([image.width, image.height]).toEqual([64, 64]);
    expect(near(image.at(4, 4), [255, 0, 0, 255])).toBe(true);
    expect(near(image.at(60, 60), [255, 255, 255, 255])).toBe(true);
    const wide = await thumb(alice, mediaId, 'width=100&height=20&method=crop');
    expect([wide.image.width, wide.image.height]).toEqual([100, 20]);
  });

  it('keeps a JPEG a JPEG', async () => {
    const alice = await registerUser();
    const original = encode('jpeg', 640, 480);
    const mediaId = await uploadOk(alice, original, 'image/jpeg');
    const { res, body, image } = await thumb(alice, mediaId, 'width=320&height=240');
    expect(res.headers.get('content-type')).toBe('image/jpeg');
    expect(image.format).toBe('jpeg');
    expect([image.width, image.height]).toEqual([320, 240]);
    expect(body.byteLength).toBeLessThan(original.byteLength);
  });

  it('turns a WebP into a PNG', async () => {
    const alice = await registerUser();
    const original = encode('webp', 300, 300);
    const mediaId = await uploadOk(alice, original, 'image/webp');
    const { res, body, image } = await thumb(alice, mediaId, 'width=96&height=96&method=crop');
    expect(res.headers.get('content-type')).toBe('image/png');
    expect(image.format).toBe('png');
    expect([image.width, image.height]).toEqual([96, 96]);
    expect(body.byteLength).toBeLessThan(original.byteLength);
  });

  it('serves the original instead of a thumbnail that would be larger than it', async () => {
    const alice = await registerUser();
    // Four flat quarters compress to almost nothing as lossless WebP; a PNG thumbnail would be bigger.
    const original = encode('webp', 300, 300, quarters(300, 300));
    const mediaId = await uploadOk(alice, original, 'image/webp');
    const { res, body, image } = await thumb(alice, mediaId, 'width=96&height=96&method=scale');
    expect(res.headers.get('content-type')).toBe('image/webp');
    expect(body).toEqual(original);
    expect([image.format, image.width, image.height]).toEqual(['webp', 300, 300]);
  });

  it('thumbnails the first frame of an animated GIF unless animation is asked for', async () => {
    const alice = await registerUser();
    const red = new Uint8Array(80 * 60).fill(0);
    const blue = new Uint8Array(80 * 60).fill(2);
    const animation = gif(80, 60, [red, blue]);
    const mediaId = await uploadOk(alice, animation, 'image/gif');
    for (const query of ['width=40&height=40', 'width=40&height=40&animated=false', 'width=40&height=40&animated=true']) {
      const { res, image } = await thumb(alice, mediaId, query);
      expect(res.headers.get('content-type'), query).toBe('image/png');
      expect([image.width, image.height], query).toEqual([40, 30]);
      expect(near(image.at(20, 15), [255, 0, 0, 255]), query).toBe(true);
    }
  });

  it('serves a small animated GIF as it is only when animated=true', async () => {
    const alice = await registerUser();
    const animation = gif(20, 10, [new Uint8Array(200).fill(1), new Uint8Array(200).fill(3)]);
    const mediaId = await uploadOk(alice, animation, 'image/gif');
    const moving = await thumb(alice, mediaId, 'width=32&height=32&animated=true');
    expect(moving.res.headers.get('content-type')).toBe('image/gif');
    expect(moving.body).toEqual(animation);
    // animated=false: MUST NOT be animated, so the first frame as a still PNG of the same size.
    for (const query of ['width=32&height=32&animated=false', 'width=32&height=32']) {
      const still = await thumb(alice, mediaId, query);
      expect(still.res.headers.get('content-type')).toBe('image/png');
      expect([still.image.format, still.image.width, still.image.height]).toEqual(['png', 20, 10]);
      expect(near(still.image.at(5, 5), [0, 255, 0, 255])).toBe(true);
    }
  });

  it('treats an animated WebP the same way: as it is only when animated=true, else its first frame', async () => {
    const alice = await registerUser();
    const animation = animatedWebp(20, 10, [[255, 0, 0, 255], [0, 0, 255, 255]]);
    const mediaId = await uploadOk(alice, animation, 'image/webp');
    const moving = await thumb(alice, mediaId, 'width=64&height=64&animated=true');
    expect(moving.res.headers.get('content-type')).toBe('image/webp');
    expect(moving.body).toEqual(animation);
    const still = await thumb(alice, mediaId, 'width=64&height=64&animated=false');
    expect(still.res.headers.get('content-type')).toBe('image/png');
    expect([still.image.format, still.image.width, still.image.height]).toEqual(['png', 20, 10]);
    expect(near(still.image.at(10, 5), [255, 0, 0, 255])).toBe(true);
  });

  it('applies the JPEG EXIF orientation', async () => {
    const alice = await registerUser();
    // Stored 200x100 with orientation 6 (rotate 90° clockwise): displayed 100x200.
    const mediaId = await uploadOk(alice, withOrientation(encode('jpeg', 200, 100, quarters(200, 100)), 6), 'image/jpeg');
    const { image } = await thumb(alice, mediaId, 'width=50&height=50&method=scale');
    expect([image.width, image.height]).toEqual([25, 50]);
    // Stored top-left (red) ends up top-right after a clockwise turn.
    expect(near(image.at(22, 3), [255, 0, 0, 255])).toBe(true);
    expect(near(image.at(2, 3), [0, 255, 0, 255])).toBe(true);
  });
});

describe('thumbnail storage and size rules', () => {
  it('stores a generated thumbnail in R2 and serves the stored one afterwards', async () => {
    const alice = await registerUser();
    const mediaId = await uploadOk(alice, encode('png', 500, 500), 'image/png');
    const first = await thumb(alice, mediaId, 'width=96&height=96&method=crop');
    const stored = await env.MEDIA.list({ prefix: `thumbnail/${mediaId}/` });
    expect(stored.objects.map((o) => o.key)).toEqual([`thumbnail/${mediaId}/96x96-crop`]);
    // Replace the stored thumbnail: the next answer must come from R2, not from a new rendering.
    const marker = encode('png', 96, 96, () => [1, 2, 3, 255]);
    await env.MEDIA.put(`thumbnail/${mediaId}/96x96-crop`, marker, { httpMetadata: { contentType: 'image/png' } });
    const second = await thumb(alice, mediaId, 'width=96&height=96&method=crop');
    expect(second.body).toEqual(marker);
    expect(first.body).not.toEqual(marker);
  });

  it('never upscales: an image within the box is served as it is', async () => {
    const alice = await registerUser();
    const original = encode('jpeg', 60, 40);
    const mediaId = await uploadOk(alice, original, 'image/jpeg');
    for (const query of ['width=800&height=600&method=scale', 'width=96&height=96&method=crop', 'width=60&height=40']) {
      const { res, body, image } = await thumb(alice, mediaId, query);
      expect(res.headers.get('content-type')).toBe('image/jpeg');
      expect(body).toEqual(original);
      expect([image.width, image.height]).toEqual([60, 40]);
    }
  });

  it('never upscales when cropping an image smaller than the box in one dimension', async () => {
    const alice = await registerUser();
    const mediaId = await uploadOk(alice, encode('png', 200, 50), 'image/png');
    const { image } = await thumb(alice, mediaId, 'width=96&height=96&method=crop');
    expect([image.width, image.height]).toEqual([96, 50]);
  });

  it('refuses images with more pixels than it decodes (413 M_TOO_LARGE), without decoding them', async () => {
    const alice = await registerUser();
    // A PNG header claiming 5000x5000, then nothing: only the header is read.
    const header = encode('png', 1, 1).slice(0, 33);
    new DataView(header.buffer).setUint32(16, 5000);
    new DataView(header.buffer).setUint32(20, 5000);
    const mediaId = await uploadOk(alice, header, 'image/png');
    const res = await thumbnail(alice, mediaId, 'width=32&height=32');
    expect(res.status).toBe(413);
    expect((await json(res)).errcode).toBe('M_TOO_LARGE');
  });
});

describe('thumbnail refusals', () => {
  it('cannot thumbnail a non-image (400)', async () => {
    const alice = await registerUser();
    const mediaId = await uploadOk(alice, new TextEncoder().encode('just text'), 'text/plain');
    const res = await thumbnail(alice, mediaId, 'width=32&height=32');
    expect(res.status).toBe(400);
    const out = await json(res);
    expect(out.errcode).toBe('M_UNKNOWN');
    expect(out.error).toMatch(/Cannot generate thumbnails/);
  });

  it('cannot thumbnail bytes that only claim to be an image, nor a corrupt one, and remembers that', async () => {
    const alice = await registerUser();
    const fake = await uploadOk(alice, new TextEncoder().encode('<svg>not a png</svg>'), 'image/png');
    const res = await thumbnail(alice, fake, 'width=32&height=32');
    expect(res.status).toBe(400);
    expect((await json(res)).errcode).toBe('M_UNKNOWN');
    // A valid header over garbage: the decoder fails once, then the item is not decoded again.
    const png = encode('png', 300, 300);
    const corrupt = png.slice();
    corrupt.fill(7, 60, png.length - 20);
    const broken = await uploadOk(alice, corrupt, 'image/png');
    for (let i = 0; i < 2; i++) {
      const again = await thumbnail(alice, broken, 'width=32&height=32');
      expect(again.status).toBe(400);
      expect((await json(again)).errcode).toBe('M_UNKNOWN');
    }
    expect(await env.MEDIA.head(`thumbnail/${broken}/undecodable`)).not.toBeNull();
  });

  it('validates width, height, method and animated', async () => {
    const alice = await registerUser();
    const mediaId = await uploadOk(alice, encode('png', 50, 50), 'image/png');
    const cases: [string, string][] = [
      ['height=32', 'M_MISSING_PARAM'],
      ['width=32', 'M_MISSING_PARAM'],
      ['width=0&height=32', 'M_INVALID_PARAM'],
      ['width=-5&height=32', 'M_INVALID_PARAM'],
      ['width=1.5&height=32', 'M_INVALID_PARAM'],
      ['width=abc&height=32', 'M_INVALID_PARAM'],
      ['width=32&height=32&method=stretch', 'M_INVALID_PARAM'],
      ['width=32&height=32&animated=yes', 'M_INVALID_PARAM'],
    ];
    for (const [query, errcode] of cases) {
      const res = await thumbnail(alice, mediaId, query);
      expect(res.status, query).toBe(400);
      expect((await json(res)).errcode, query).toBe(errcode);
    }
  });

  it('requires an access token', async () => {
    const alice = await registerUser();
    const mediaId = await uploadOk(alice, encode('png', 50, 50), 'image/png');
    const res = await thumbnail({ ...alice, token: '' }, mediaId, 'width=32&height=32');
    expect(res.status).toBe(401);
    expect((await json(res)).errcode).toBe('M_MISSING_TOKEN');
  });
});
