// Media bytes in R2. Keys carry a random nonce that only the metadata row knows, so an object is
// reachable only once its row exists, and two uploads racing for one async id never share a key.
import { ALPHANUMERIC, randomString } from '../../matrix/random';

export const contentKey = (mediaId: string) => `content/${mediaId}/${randomString(ALPHANUMERIC, 16)}`;
export const thumbnailPrefix = (mediaId: string) => `thumbnail/${mediaId}/`;

/** R2 multipart parts must all be the same size (at least 5 MiB) except the last. */
const PART_BYTES = 8 * 1024 * 1024;

/** The size of what `put` stored (it only returns null for conditional puts, which these are not). */
const sizeOf = (object: R2Object | null) => object!.size;

export class StreamLimitError extends Error {
  constructor(readonly size: number) {
    super(`stream exceeded its limit at ${size} bytes`);
  }
}

/**
 * Stores `body` under `key` without holding the whole of it. A body of known length (Content-Length)
 * goes to R2 as it is; one of unknown length (chunked) is cut into multipart parts, so at most one
 * part is in memory. Throws StreamLimitError past `limit` bytes. Returns the stored size.
 */
export async function putStream(bucket: R2Bucket, key: string, body: ReadableStream<Uint8Array> | null, knownLength: number | null, limit: number): Promise<number> {
  if (body === null) return sizeOf(await bucket.put(key, new Uint8Array()));
  if (knownLength !== null) {
    if (knownLength > limit) throw new StreamLimitError(knownLength);
    return sizeOf(await bucket.put(key, body));
  }
  const reader = body.getReader();
  let upload: R2MultipartUpload | undefined;
  const parts: R2UploadedPart[] = [];
  let part = new Uint8Array(PART_BYTES);
  let filled = 0;
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > limit) throw new StreamLimitError(size);
      for (let at = 0; at < value.byteLength; ) {
        const n = Math.min(PART_BYTES - filled, value.byteLength - at);
        part.set(value.subarray(at, at + n), filled);
        filled += n;
        at += n;
        if (filled === PART_BYTES) {
          upload ??= await bucket.createMultipartUpload(key);
          parts.push(await upload.uploadPart(parts.length + 1, part));
          part = new Uint8Array(PART_BYTES);
          filled = 0;
        }
      }
    }
    if (!upload) return sizeOf(await bucket.put(key, part.subarray(0, filled)));
    if (filled > 0) parts.push(await upload.uploadPart(parts.length + 1, part.subarray(0, filled)));
    return (await upload.complete(parts)).size;
  } catch (e) {
    await reader.cancel().catch(() => {});
    await upload?.abort().catch(() => {});
    throw e;
  }
}

/** Removes a media item's content and all its thumbnails. */
export async function deleteObjects(bucket: R2Bucket, mediaId: string, contentKeys: (string | null)[]): Promise<void> {
  const keys = contentKeys.filter((k): k is string => k !== null);
  let cursor: string | undefined;
  do {
    const page = await bucket.list({ prefix: thumbnailPrefix(mediaId), cursor });
    keys.push(...page.objects.map((o) => o.key));
    cursor = page.truncated ? page.cursor : undefined;
  } while (cursor);
  for (let i = 0; i < keys.length; i += 1000) await bucket.delete(keys.slice(i, i + 1000));
}
