// Serving media (spec: GET .../download/{serverName}/{mediaId}[/{fileName}]): find the item, wait
// for content still being uploaded (timeout_ms), then stream the R2 body, whole or one byte range.
import type { Config, Env } from '../../config';
import { httpDb } from '../../db/client';
import * as q from '../../db/queries/media';
import { ErrCode, MatrixError, invalidParam, notFound } from '../../http/errors';
import { contentDisposition, isInlineType, mediaHeaders } from './headers';
import { parseRange } from './range';

export type ReadyMedia = q.MediaRow & { storageKey: string; contentType: string; size: number };

/** Spec default for timeout_ms, and the most we wait whatever the client asks. */
export const DEFAULT_WAIT_MS = 20_000;
export const MAX_WAIT_MS = 60_000;
const POLL_MS = 500;

export function waitMs(param: string | undefined): number {
  if (param === undefined) return DEFAULT_WAIT_MS;
  if (!/^\d{1,15}$/.test(param)) throw invalidParam('timeout_ms must be a non-negative integer');
  return Math.min(Number(param), MAX_WAIT_MS);
}

const unknownMedia = () => notFound('Media not found');

function visible(row: q.MediaRow | undefined, config: Config, legacy: boolean, now: number): q.MediaRow {
  if (!row || row.quarantinedBy !== null) throw unknownMedia();
  // The spec's freeze: media uploaded while authenticated media is enforced never leaves through the deprecated paths.
  if (legacy && row.authenticated && !config.media.legacyUnauthenticated) throw unknownMedia();
  if (row.uploadedTs === null && (row.unusedExpiresTs ?? 0) <= now) throw unknownMedia();
  return row;
}

/** The media item once its content is stored, waiting up to `timeoutMs` for a pending upload. */
export async function readyMedia(env: Env, config: Config, mediaId: string, opts: { legacy: boolean; timeoutMs: number }): Promise<ReadyMedia> {
  const db = httpDb(env);
  const deadline = Date.now() + opts.timeoutMs;
  for (;;) {
    const row = visible(await q.getMedia(db, mediaId), config, opts.legacy, Date.now());
    if (row.uploadedTs !== null) return row as ReadyMedia;
    const left = deadline - Date.now();
    if (left <= 0) throw new MatrixError(504, ErrCode.NOT_YET_UPLOADED, 'Content has not yet been uploaded');
    await new Promise((resolve) => setTimeout(resolve, Math.min(POLL_MS, left)));
  }
}

/** The stored content as a response: streamed from R2, never buffered; one byte range as 206. */
export async function serveContent(env: Env, row: ReadyMedia, request: Request, fileName: string | null): Promise<Response> {
  const range = parseRange(request.headers.get('range'), row.size);
  if (range === 'unsatisfiable') {
    return new Response(null, { status: 416, headers: { 'content-range': `bytes */${row.size}`, 'accept-ranges': 'bytes' } });
  }
  const object = await env.MEDIA.get(row.storageKey, range ? { range } : undefined);
  if (!object) throw unknownMedia(); // deleted meanwhile
  const disposition = contentDisposition(isInlineType(row.contentType) ? 'inline' : 'attachment', fileName ?? row.uploadName);
  const headers = mediaHeaders(row.contentType, disposition, range ? range.length : row.size);
  headers.set('accept-ranges', 'bytes');
  if (!range) return new Response(object.body, { status: 200, headers });
  headers.set('content-range', `bytes ${range.offset}-${range.offset + range.length - 1}/${row.size}`);
  return new Response(object.body, { status: 206, headers });
}
