// Thumbnails (spec: GET .../thumbnail/{serverName}/{mediaId}): generated once per requested size and
// method, stored in R2 next to the content, and served from there afterwards.
import { ErrCode, MatrixError, invalidParam, missingParam } from '../../http/errors';
import type { ReadyMedia } from './download';
import { essence, mediaHeaders } from './headers';
import { CONTENT_TYPES, type ImageInfo, imageInfo } from './image-info';
import { thumbnailPrefix } from './storage';
import { MAX_THUMBNAIL_PIXELS, loadPhoton, renderThumbnail } from './thumbnailer';
import { type Plan, type ThumbnailMethod, displayed, planThumbnail } from './thumbnail-plan';

export interface ThumbnailRequest {
  width: number;
  height: number;
  method: ThumbnailMethod;
  /** Spec: only `animated=true` allows an animated thumbnail. */
  animated: boolean;
}

/** Originals larger than this are not read into memory to be thumbnailed (spec: 413 M_TOO_LARGE). */
export const MAX_THUMBNAIL_SOURCE_BYTES = 20 * 1024 * 1024;
const THUMBNAILABLE = new Set(Object.values(CONTENT_TYPES));

function dimension(name: string, value: string | undefined): number {
  if (value === undefined) throw missingParam(`Missing ${name}`);
  if (!/^\d{1,9}$/.test(value) || Number(value) < 1) throw invalidParam(`${name} must be a positive integer`);
  return Number(value);
}

export function thumbnailRequest(query: (name: string) => string | undefined): ThumbnailRequest {
  const method = query('method') ?? 'scale';
  if (method !== 'scale' && method !== 'crop') throw invalidParam('method must be "crop" or "scale"');
  const animated = query('animated');
  if (animated !== undefined && animated !== 'true' && animated !== 'false') throw invalidParam('animated must be true or false');
  return { width: dimension('width', query('width')), height: dimension('height', query('height')), method, animated: animated === 'true' };
}

const cannotThumbnail = (why: string) => new MatrixError(400, ErrCode.UNKNOWN, `Cannot generate thumbnails for the requested content: ${why}`);
const tooLarge = () => new MatrixError(413, ErrCode.TOO_LARGE, 'Content is too large to thumbnail');

const cacheKey = (mediaId: string, r: ThumbnailRequest) => `${thumbnailPrefix(mediaId)}${r.width}x${r.height}-${r.method}${r.animated ? '-animated' : ''}`;
/** Set after the decoder failed on an item: it is not tried again (a failed decode leaks its input). */
const undecodableKey = (mediaId: string) => `${thumbnailPrefix(mediaId)}undecodable`;

function respond(body: ReadableStream | Uint8Array, contentType: string, size: number): Response {
  const ext = contentType.split('/')[1];
  return new Response(body, { status: 200, headers: mediaHeaders(contentType, `inline; filename="thumbnail.${ext}"`, size) });
}

async function serveOriginal(bucket: R2Bucket, row: ReadyMedia, contentType: string): Promise<Response> {
  const object = await bucket.get(row.storageKey);
  if (!object) throw new MatrixError(404, ErrCode.NOT_FOUND, 'Media not found');
  return respond(object.body, contentType, object.size);
}

/** Whether the original itself can stand in for a thumbnail: animation only where it was asked for. */
const originalServes = (info: ImageInfo, r: ThumbnailRequest) => !info.animated || r.animated;

export async function serveThumbnail(bucket: R2Bucket, row: ReadyMedia, r: ThumbnailRequest): Promise<Response> {
  if (!THUMBNAILABLE.has(essence(row.contentType))) throw cannotThumbnail('not a PNG, JPEG, GIF or WebP image');
  if (row.size > MAX_THUMBNAIL_SOURCE_BYTES) throw tooLarge();
  const key = cacheKey(row.mediaId, r);

  const cached = await bucket.get(key);
  if (cached) {
    const original = cached.customMetadata?.original;
    if (original) return serveOriginal(bucket, row, original);
    return respond(cached.body, cached.httpMetadata?.contentType ?? 'application/octet-stream', cached.size);
  }
  if (await bucket.head(undecodableKey(row.mediaId))) throw cannotThumbnail('the image could not be decoded');

  const object = await bucket.get(row.storageKey);
  if (!object) throw new MatrixError(404, ErrCode.NOT_FOUND, 'Media not found');
  const bytes = new Uint8Array(await object.arrayBuffer());
  const info = imageInfo(bytes);
  if (!info) throw cannotThumbnail('not a PNG, JPEG, GIF or WebP image');
  if (info.width * info.height > MAX_THUMBNAIL_PIXELS) throw tooLarge();
  const src = displayed(info, info.orientation);
  const planned = planThumbnail(src, r, r.method);
  const useOriginal = async () => {
    // Remembered, so that the next request streams the original without reading it here.
    await bucket.put(key, new Uint8Array(), { customMetadata: { original: CONTENT_TYPES[info.format] } });
    return respond(bytes, CONTENT_TYPES[info.format], bytes.byteLength);
  };
  if (planned.kind === 'original' && originalServes(info, r)) return useOriginal();
  // An animation that fits but was not asked to move: its first frame, as it is.
  const plan: Extract<Plan, { kind: 'resize' }> = planned.kind === 'resize' ? planned : { kind: 'resize', crop: src, out: src };

  const photon = await loadPhoton();
  let thumbnail;
  try {
    thumbnail = renderThumbnail(photon, bytes, info, plan.crop, plan.out);
  } catch (e) {
    console.warn(`[media] cannot decode ${row.mediaId}: ${(e as Error).message}`);
    await bucket.put(undecodableKey(row.mediaId), new Uint8Array());
    throw cannotThumbnail('the image could not be decoded');
  }
  // A thumbnail is never larger than its original.
  if (thumbnail.bytes.byteLength >= bytes.byteLength && originalServes(info, r)) return useOriginal();
  await bucket.put(key, thumbnail.bytes, { httpMetadata: { contentType: thumbnail.contentType } });
  return respond(thumbnail.bytes, thumbnail.contentType, thumbnail.bytes.byteLength);
}
