// GET /preview_url (spec: Content repository): fetch the page (or image), read its Open Graph data,
// store its image as media, and cache the answer for an hour.
import type { Config, Env } from '../../../config';
import { httpDb } from '../../../db/client';
import * as q from '../../../db/queries/media';
import { essence } from '../headers';
import { mxcUri } from '../ids';
import { CONTENT_TYPES, imageInfo } from '../image-info';
import { storeFetched } from '../upload';
import { type Fetched, fetchChecked } from './fetch';
import { parsePreviewUrl } from './guard';
import { openGraph } from './og';

export const MAX_PAGE_BYTES = 1024 * 1024;
export const MAX_IMAGE_BYTES = 10 * 1024 * 1024;
export const CACHE_MS = 60 * 60 * 1000;

type Preview = Record<string, string | number>;

/** Stores a fetched image as media; the og:image* fields that describe it, or none. */
async function imageFields(env: Env, config: Config, userId: string, fetched: Fetched): Promise<Preview> {
  const { bytes, truncated } = await fetched.read(Math.min(MAX_IMAGE_BYTES, config.media.maxUploadBytes));
  const info = imageInfo(bytes);
  if (truncated || !info) return {};
  const mediaId = await storeFetched(env, config, userId, bytes, CONTENT_TYPES[info.format], fetched.url.href);
  return {
    'og:image': mxcUri(config.serverName, mediaId),
    'og:image:type': CONTENT_TYPES[info.format],
    'og:image:width': info.width,
    'og:image:height': info.height,
    'matrix:image:size': bytes.byteLength,
  };
}

async function build(env: Env, config: Config, userId: string, url: URL): Promise<Preview> {
  const page = await fetchChecked(url, 'text/html,application/xhtml+xml,image/*;q=0.9,*/*;q=0.5');
  const type = essence(page.contentType);
  if (type.startsWith('image/')) return imageFields(env, config, userId, page);
  if (type !== 'text/html' && type !== 'application/xhtml+xml') {
    await page.discard();
    return {};
  }
  const { bytes } = await page.read(MAX_PAGE_BYTES);
  const og: Preview = await openGraph(bytes, page.contentType);
  const image = og['og:image'];
  // The page's own image fields describe its URL; ours describe the stored copy, or nothing.
  for (const key of Object.keys(og)) if (key.startsWith('og:image') && key !== 'og:image:alt') delete og[key];
  if (typeof image === 'string') {
    let imageUrl: URL | undefined;
    try {
      imageUrl = new URL(image, page.url);
    } catch {
      // not a URL: no image
    }
    // The page is still worth previewing when its image is refused or unreachable.
    if (imageUrl) Object.assign(og, await fetchChecked(imageUrl, 'image/*').then((f) => imageFields(env, config, userId, f)).catch(() => ({})));
  }
  return og;
}

export async function previewUrl(env: Env, config: Config, userId: string, raw: string): Promise<Preview> {
  const url = parsePreviewUrl(raw);
  const db = httpDb(env);
  const now = Date.now();
  const cached = await q.getPreview(db, url.href, now);
  if (cached) return cached as Preview;
  const og = await build(env, config, userId, url);
  await q.putPreview(db, url.href, og, now, now + CACHE_MS);
  return og;
}
