// Media requests with raw bodies, and test images made on the spot: PNG, JPEG and WebP encoded by
// Photon, GIF (optionally animated) by a minimal encoder here, and decoding to check thumbnails.
import { PhotonImage } from '@cf-wasm/photon';
import { SELF, env } from 'cloudflare:test';
import { expect } from 'vitest';
import worker from '../../../src/index';
import type { Env } from '../../../src/config';
import { newIp, type TestUser } from '../helpers/client';

export interface RawOptions {
  token?: string;
  body?: BodyInit;
  headers?: Record<string, string>;
  vars?: Partial<Env>;
}

/** A request whose response body is left to the caller (binary content). */
export async function raw(method: string, path: string, opts: RawOptions = {}): Promise<Response> {
  const headers: Record<string, string> = { 'cf-connecting-ip': newIp(), ...opts.headers };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  const request = new Request(`http://myelin.test${path}`, { method, headers, body: opts.body, duplex: 'half' } as RequestInit);
  if (!opts.vars) return SELF.fetch(request);
  const e = { ...(env as unknown as Env), ...opts.vars };
  return worker.fetch(request, e, { waitUntil() {}, passThroughOnException() {}, props: {} } as unknown as ExecutionContext);
}

export async function json(res: Response): Promise<any> {
  const text = await res.text();
  return text ? JSON.parse(text) : undefined;
}

export const bytesOf = async (res: Response) => new Uint8Array(await res.arrayBuffer());

/** Uploads and returns the media id (the content_uri must be one of ours). */
export async function uploadOk(user: TestUser, body: Uint8Array, contentType = 'application/octet-stream', fileName?: string, vars?: Partial<Env>): Promise<string> {
  const query = fileName === undefined ? '' : `?filename=${encodeURIComponent(fileName)}`;
  const res = await raw('POST', `/_matrix/media/v3/upload${query}`, { token: user.token, body, headers: { 'content-type': contentType }, vars });
  const out = await json(res);
  expect(res.status, JSON.stringify(out)).toBe(200);
  expect(out.content_uri).toMatch(/^mxc:\/\/test\.local\/[A-Za-z0-9]{24}$/);
  return out.content_uri.split('/').pop();
}

export const download = (user: TestUser | null, mediaId: string, suffix = '', headers?: Record<string, string>) =>
  raw('GET', `/_matrix/client/v1/media/download/test.local/${mediaId}${suffix}`, { token: user?.token, headers });

export const thumbnail = (user: TestUser, mediaId: string, query: string) =>
  raw('GET', `/_matrix/client/v1/media/thumbnail/test.local/${mediaId}?${query}`, { token: user.token });

// ---- images ------------------------------------------------------------------------------------

/** RGBA pixels filled by `color(x, y)`. */
export function pixels(width: number, height: number, color: (x: number, y: number) => [number, number, number, number]): Uint8Array {
  const px = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) px.set(color(x, y), (y * width + x) * 4);
  return px;
}

/** A noisy image: real photos do not compress to nothing, and neither does this. */
export const noise = (x: number, y: number): [number, number, number, number] => [(x * 37 + y * 11) & 255, (x * y) & 255, (x ^ y) & 255, 255];

export function encode(format: 'png' | 'jpeg' | 'webp', width: number, height: number, color = noise): Uint8Array {
  const img = new PhotonImage(pixels(width, height, color), width, height);
  try {
    return format === 'png' ? img.get_bytes() : format === 'jpeg' ? img.get_bytes_jpeg(90) : img.get_bytes_webp();
  } finally {
    img.free();
  }
}

/** A GIF with a 4-colour palette, one frame per array of palette indices. Uncompressed LZW. */
export function gif(width: number, height: number, frames: Uint8Array[]): Uint8Array {
  const out: number[] = [...new TextEncoder().encode('GIF89a'), width & 255, width >> 8, height & 255, height >> 8, 0xf1, 0, 0];
  out.push(255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255); // red, green, blue, white
  if (frames.length > 1) out.push(0x21, 0xff, 11, ...new TextEncoder().encode('NETSCAPE2.0'), 3, 1, 0, 0, 0);
  for (const frame of frames) {
    out.push(0x21, 0xf9, 4, 0, 10, 0, 0, 0); // graphic control: 100 ms
    out.push(0x2c, 0, 0, 0, 0, width & 255, width >> 8, height & 255, height >> 8, 0);
    // Minimum code size 2: clear = 4, end = 5, codes of 3 bits, with a clear code often enough that
    // the decoder's table never grows past 3 bits.
    const codes: number[] = [4];
    frame.forEach((index, i) => {
      codes.push(index);
      if (i % 2 === 1) codes.push(4);
    });
    codes.push(5);
    const data: number[] = [];
    let acc = 0;
    let bits = 0;
    for (const code of codes) {
      acc |= code << bits;
      bits += 3;
      while (bits >= 8) {
        data.push(acc & 255);
        acc >>= 8;
        bits -= 8;
      }
    }
    if (bits > 0) data.push(acc & 255);
    out.push(2);
    for (let i = 0; i < data.length; i += 255) out.push(Math.min(255, data.length - i), ...data.slice(i, i + 255));
    out.push(0);
  }
  out.push(0x3b);
  return new Uint8Array(out);
}

const le = (v: number, n: number) => Array.from({ length: n }, (_, i) => (v >> (8 * i)) & 255);
const riffChunk = (tag: string, data: number[]) => [...new TextEncoder().encode(tag), ...le(data.length, 4), ...data, ...(data.length % 2 ? [0] : [])];

/** An animated WebP (VP8X, ANIM, one ANMF per colour) of lossless frames in flat colours. */
export function animatedWebp(width: number, height: number, colors: [number, number, number, number][]): Uint8Array {
  const frames = colors.map((c) => {
    const vp8l = [...encode('webp', width, height, () => c).subarray(12)]; // the frame's VP8L chunk
    return riffChunk('ANMF', [...le(0, 3), ...le(0, 3), ...le(width - 1, 3), ...le(height - 1, 3), ...le(100, 3), 0, ...vp8l]);
  });
  const body = [...new TextEncoder().encode('WEBP'), ...riffChunk('VP8X', [0x12, 0, 0, 0, ...le(width - 1, 3), ...le(height - 1, 3)]), ...riffChunk('ANIM', [0, 0, 0, 0, 0, 0]), ...frames.flat()];
  return new Uint8Array([...new TextEncoder().encode('RIFF'), ...le(body.length, 4), ...body]);
}

/** Inserts an EXIF APP1 segment with `orientation` right after a JPEG's SOI marker. */
export function withOrientation(jpeg: Uint8Array, orientation: number): Uint8Array {
  const tiff = [0x4d, 0x4d, 0, 42, 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, orientation, 0, 0, 0, 0, 0, 0];
  const payload = [...new TextEncoder().encode('Exif\0\0'), ...tiff];
  const length = payload.length + 2;
  return new Uint8Array([0xff, 0xd8, 0xff, 0xe1, length >> 8, length & 255, ...payload, ...jpeg.subarray(2)]);
}

export interface Decoded {
  format: string;
  width: number;
  height: number;
  /** RGBA at (x, y). */
  at(x: number, y: number): number[];
}

/** Decodes an image completely; its format from its magic bytes. */
export function decode(bytes: Uint8Array): Decoded {
  const magic = String.fromCharCode(...bytes.subarray(0, 12));
  const format = magic.startsWith('\x89PNG') ? 'png' : bytes[0] === 0xff && bytes[1] === 0xd8 ? 'jpeg' : magic.startsWith('GIF8') ? 'gif' : magic.slice(8, 12) === 'WEBP' ? 'webp' : 'unknown';
  const img = PhotonImage.new_from_byteslice(bytes);
  try {
    const width = img.get_width();
    const height = img.get_height();
    const px = img.get_raw_pixels();
    return { format, width, height, at: (x, y) => [...px.subarray((y * width + x) * 4, (y * width + x) * 4 + 4)] };
  } finally {
    img.free();
  }
}

/** Whether two colours are within `tolerance` on every channel (lossy formats shift them a little). */
export function near(actual: number[], expected: number[], tolerance = 40): boolean {
  return expected.every((v, i) => Math.abs(actual[i] - v) <= tolerance);
}
