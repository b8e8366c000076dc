// Uploads (spec: POST /_matrix/media/v3/upload, POST /_matrix/media/v1/create and
// PUT /_matrix/media/v3/upload/{serverName}/{mediaId}). The bytes go to R2 first and the metadata
// row after, so media is visible only once completely stored (invariant 7).
import type { Config, Env } from '../../config';
import { httpDb } from '../../db/client';
import * as q from '../../db/queries/media';
import { ErrCode, MatrixError, forbidden, invalidParam, notFound } from '../../http/errors';
import { newMediaId } from './ids';
import { StreamLimitError, contentKey, putStream } from './storage';

/** Spec: the recommended lifetime of an unused id from POST /create. */
export const UNUSED_ID_LIFETIME_MS = 24 * 60 * 60 * 1000;
/** Spec: limit the concurrent pending uploads of a user (Synapse's default). */
export const MAX_PENDING_UPLOADS = 5;

export interface UploadInput {
  userId: string;
  contentType: string;
  uploadName: string | null;
  body: ReadableStream<Uint8Array> | null;
  /** From Content-Length; null for a chunked body. */
  length: number | null;
}

/** Content-Type (default application/octet-stream, spec 1.12) and the optional `filename`. */
export function uploadMetadata(contentType: string | undefined, fileName: string | undefined, contentLength: string | undefined) {
  const type = contentType?.trim() || 'application/octet-stream';
  if (type.length > 255 || !/^[\x20-\x7e]+$/.test(type)) throw invalidParam('Content-Type must be printable ASCII of at most 255 characters');
  if (fileName !== undefined && (fileName.length > 255 || /[\x00-\x1f\x7f]/.test(fileName))) {
    throw invalidParam('filename must be at most 255 characters without control characters');
  }
  if (contentLength !== undefined && !/^\d{1,16}$/.test(contentLength)) throw invalidParam('Content-Length is not a number');
  return { contentType: type, uploadName: fileName || null, length: contentLength === undefined ? null : Number(contentLength) };
}

const tooLarge = (max: number) => new MatrixError(413, ErrCode.TOO_LARGE, `Upload is larger than the ${max} bytes this server accepts`);
const overQuota = () => forbidden('Upload would exceed your media storage quota');

/** Stores the body; the caller writes the row. Enforces the upload size limit and the user's quota. */
async function store(env: Env, config: Config, mediaId: string, input: UploadInput): Promise<{ key: string; size: number }> {
  const { maxUploadBytes, userQuotaBytes } = config.media;
  if (input.length !== null && input.length > maxUploadBytes) throw tooLarge(maxUploadBytes);
  let limit = maxUploadBytes;
  if (userQuotaBytes !== null) {
    const remaining = userQuotaBytes - (await q.storedBytes(httpDb(env), input.userId));
    if ((input.length ?? 0) > remaining || remaining <= 0) throw overQuota();
    limit = Math.min(limit, remaining);
  }
  const key = contentKey(mediaId);
  try {
    return { key, size: await putStream(env.MEDIA, key, input.body, input.length, limit) };
  } catch (e) {
    if (e instanceof StreamLimitError) throw e.size > maxUploadBytes ? tooLarge(maxUploadBytes) : overQuota();
    throw e;
  }
}

/** Runs `write` after the object is stored; if the row cannot be written, the object goes. */
async function thenRow<T>(env: Env, key: string, write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (e) {
    await env.MEDIA.delete(key).catch(() => {});
    throw e;
  }
}

export async function upload(env: Env, config: Config, input: UploadInput): Promise<string> {
  const mediaId = newMediaId();
  const { key, size } = await store(env, config, mediaId, input);
  await thenRow(env, key, () =>
    q.insertUploaded(httpDb(env), {
      mediaId,
      userId: input.userId,
      now: Date.now(),
      contentType: input.contentType,
      uploadName: input.uploadName,
      size,
      storageKey: key,
      authenticated: !config.media.legacyUnauthenticated,
    }),
  );
  return mediaId;
}

export async function createPending(env: Env, config: Config, userId: string): Promise<{ mediaId: string; unusedExpiresAt: number }> {
  const db = httpDb(env);
  const now = Date.now();
  await q.deleteExpiredPending(db, userId, now);
  if ((await q.countPending(db, userId, now)) >= MAX_PENDING_UPLOADS) {
    throw new MatrixError(429, ErrCode.LIMIT_EXCEEDED, `At most ${MAX_PENDING_UPLOADS} uploads may be pending at once`, { retry_after_ms: 60_000 });
  }
  const mediaId = newMediaId();
  const unusedExpiresAt = now + UNUSED_ID_LIFETIME_MS;
  await q.insertPending(db, { mediaId, userId, now, expiresTs: unusedExpiresAt, authenticated: !config.media.legacyUnauthenticated });
  return { mediaId, unusedExpiresAt };
}

/** Checks that `mediaId` can still receive content from `userId` (spec order: 404, 403, 409). */
function checkPending(row: q.MediaRow | undefined, userId: string, now: number): void {
  if (!row || (row.uploadedTs === null && (row.unusedExpiresTs ?? 0) <= now)) throw notFound('Unknown or expired media id');
  if (row.userId !== userId) throw forbidden('This media id was created by another user');
  if (row.uploadedTs !== null) throw new MatrixError(409, ErrCode.CANNOT_OVERWRITE_MEDIA, 'Media already uploaded');
}

export async function uploadToPending(env: Env, config: Config, mediaId: string, input: UploadInput): Promise<void> {
  const db = httpDb(env);
  checkPending(await q.getMedia(db, mediaId), input.userId, Date.now());
  const { key, size } = await store(env, config, mediaId, input);
  const done = await thenRow(env, key, () =>
    q.completePending(db, { mediaId, userId: input.userId, now: Date.now(), contentType: input.contentType, uploadName: input.uploadName, size, storageKey: key }),
  );
  if (!done) {
    // Another upload to the same id finished first (or the id expired meanwhile): ours is unused.
    await env.MEDIA.delete(key);
    checkPending(await q.getMedia(db, mediaId), input.userId, Date.now());
    throw new MatrixError(409, ErrCode.CANNOT_OVERWRITE_MEDIA, 'Media already uploaded');
  }
}

/** Stores bytes the server fetched itself (a URL preview's image): no quota, and marked as cache. */
export async function storeFetched(env: Env, config: Config, userId: string, bytes: Uint8Array, contentType: string, url: string): Promise<string> {
  const mediaId = newMediaId();
  const key = contentKey(mediaId);
  await env.MEDIA.put(key, bytes);
  await thenRow(env, key, () =>
    q.insertUploaded(httpDb(env), {
      mediaId,
      userId,
      now: Date.now(),
      contentType,
      uploadName: null,
      size: bytes.byteLength,
      storageKey: key,
      authenticated: !config.media.legacyUnauthenticated,
      urlCache: url,
    }),
  );
  return mediaId;
}
